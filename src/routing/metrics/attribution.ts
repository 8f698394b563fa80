// Contrastive expert attribution: which experts a text set A uses more than a set B, per layer —
// the common step behind multilingual steering, SteerMoE, RouteHijack and Misrouter — and its
// conversion into intervention spec strings (DESIGN.md §3, §5).
import type { Trace } from './trace';

/**
 * [L][E] (layers × experts) routing frequency: the fraction of tokens whose selection holds each
 * expert, over several runs' selections runs: [run][L][T][k_t]. Rows may sum to more than 1 for
 * top-k > 1 (each row sums to the mean number of active experts).
 */
export function routingFrequency(runs: number[][][][], E: number): number[][] {
  const L = runs[0]?.length ?? 0;
  const out = Array.from({ length: L }, () => new Array<number>(E).fill(0));
  let T = 0;
  runs.forEach((run, r) => {
    if (run.length !== L)
      throw new Error(`routingFrequency: run ${r} has ${run.length} layers, run 0 has ${L}`);
    T += run[0]?.length ?? 0;
    run.forEach((layer, l) => layer.forEach((sel) => sel.forEach((e) => out[l][e]++)));
  });
  return out.map((row) => row.map((c) => (T ? c / T : 0)));
}

/** [L][E] routing frequency over a set of traces (all tokens of all traces pooled). */
export function traceFrequency(traces: Trace[]): number[][] {
  const E = Math.max(0, ...traces.map((t) => t.numExperts));
  return routingFrequency(
    traces.map((t) => t.layers.map((l) => l.selected)),
    E,
  );
}

/** [L][E] Δ = freq(A) − freq(B). */
export function frequencyDelta(freqA: number[][], freqB: number[][]): number[][] {
  if (freqA.length !== freqB.length)
    throw new Error(`frequencyDelta: A has ${freqA.length} layers, B has ${freqB.length}`);
  return freqA.map((row, l) => {
    if (row.length !== freqB[l].length)
      throw new Error(
        `frequencyDelta: layer ${l} has ${row.length} experts in A, ${freqB[l].length} in B`,
      );
    return row.map((a, e) => a - freqB[l][e]);
  });
}

export interface RankedExpert {
  layer: number;
  expert: number;
  freqA: number;
  freqB: number;
  delta: number;
}

/** [L][E] experts ranked per layer by Δ = freq(A) − freq(B), largest first (ties: lower id first). */
export function contrastiveRanking(freqA: number[][], freqB: number[][]): RankedExpert[][] {
  const delta = frequencyDelta(freqA, freqB);
  return freqA.map((row, l) =>
    row
      .map((a, e) => ({ layer: l, expert: e, freqA: a, freqB: freqB[l][e], delta: delta[l][e] }))
      .sort((x, y) => y.delta - x.delta || x.expert - y.expert),
  );
}

export interface SteeringOptions {
  /** threshold on |Δ| (strict: Δ > τ, or Δ < −τ) */
  tau: number;
  /** steer strength λ (z_e += λ·std(z)); default 0.5. Ignored by `mask`. */
  lambda?: number;
  /** layer positions to act on (default: all) */
  layers?: number[];
  /**
   * steer: +λ on the experts with Δ > τ (route like A);
   * suppress: −λ on the experts with Δ < −τ (route less like B);
   * mask: mask (−∞) the experts with Δ < −τ (hard version of suppress).
   */
  kind?: 'steer' | 'suppress' | 'mask';
  /** older spelling: towardsA = steer, suppressB = suppress (used when `kind` is absent) */
  direction?: 'towardsA' | 'suppressB';
}

/**
 * Intervention spec strings from Δ (a [L][E] matrix, or a contrastiveRanking). Each layer picks its
 * experts (sorted ids); consecutive layers that pick the same non-empty set share one spec with a
 * range: `steer:layers=2-3,experts=1+4,lambda=0.5`, `steer:…,lambda=-0.5`, `mask:layers=2,experts=3`.
 * Returns [] when no expert passes the threshold.
 */
export function steeringSpecs(
  delta: number[][] | RankedExpert[][],
  opts: SteeringOptions,
): string[] {
  const kind = opts.kind ?? (opts.direction === 'suppressB' ? 'suppress' : 'steer');
  const lambda = opts.lambda ?? 0.5;
  const rows: number[][] = delta.map((row) => {
    if (row.length && typeof row[0] === 'object') {
      const out: number[] = [];
      for (const r of row as RankedExpert[]) out[r.expert] = r.delta;
      return out;
    }
    return row as number[];
  });
  const picks = rows.map((row, l) => {
    if (opts.layers && !opts.layers.includes(l)) return '';
    const ids: number[] = [];
    row.forEach((d, e) => {
      if (kind === 'steer' ? d > opts.tau : d < -opts.tau) ids.push(e);
    });
    return ids.join('+');
  });
  const param =
    kind === 'steer' ? `,lambda=${lambda}` : kind === 'suppress' ? `,lambda=${-lambda}` : '';
  const name = kind === 'mask' ? 'mask' : 'steer';
  const out: string[] = [];
  for (let l = 0; l < picks.length; l++) {
    if (!picks[l]) continue;
    let to = l;
    while (to + 1 < picks.length && picks[to + 1] === picks[l]) to++;
    out.push(`${name}:layers=${to > l ? `${l}-${to}` : l},experts=${picks[l]}${param}`);
    l = to;
  }
  return out;
}
