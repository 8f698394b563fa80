// Contrastive expert attribution: which experts a text set A uses more than a set B, per layer —
// the common step behind multilingual steering, SteerMoE, RouteHijack and Misrouter — and its
// conversion into interventions.

/** [L][E] fraction of tokens selecting each expert, over several runs' selections [run][L][T][k]. */
export function routingFrequency(runs: number[][][][], E: number): number[][] {
  const L = runs[0]?.length ?? 0;
  const out = Array.from({ length: L }, () => new Array<number>(E).fill(0));
  let T = 0;
  for (const run of runs) {
    T += run[0]?.length ?? 0;
    run.forEach((layer, l) => layer.forEach((sel) => sel.forEach((e) => out[l][e]++)));
  }
  return out.map((row) => row.map((c) => (T ? c / T : 0)));
}

export interface RankedExpert {
  layer: number;
  expert: number;
  freqA: number;
  freqB: number;
  delta: number;
}

/** Experts ranked per layer by Δ = freq(A) − freq(B), largest first. */
export function contrastiveRanking(freqA: number[][], freqB: number[][]): RankedExpert[][] {
  return freqA.map((row, l) =>
    row
      .map((a, e) => ({ layer: l, expert: e, freqA: a, freqB: freqB[l][e], delta: a - freqB[l][e] }))
      .sort((x, y) => y.delta - x.delta || x.expert - y.expert),
  );
}

/**
 * Intervention specs from a ranking: "towards A" soft-steers (+λ) the experts with Δ > τ;
 * "suppress B" steers (−λ) the experts with Δ < −τ. One spec per layer that has any.
 */
export function steeringSpecs(ranking: RankedExpert[][], opts: { tau: number; lambda: number; direction: 'towardsA' | 'suppressB'; layers?: number[] }): string[] {
  const out: string[] = [];
  ranking.forEach((row, l) => {
    if (opts.layers && !opts.layers.includes(l)) return;
    const pick = row.filter((r) => (opts.direction === 'towardsA' ? r.delta > opts.tau : r.delta < -opts.tau)).map((r) => r.expert).sort((a, b) => a - b);
    if (pick.length) out.push(`steer:layers=${l},experts=${pick.join('+')},lambda=${opts.direction === 'towardsA' ? opts.lambda : -opts.lambda}`);
  });
  return out;
}
