// Cross-lingual routing alignment maths (Multilingual Routing in MoE, Bandarkar et al. 2025).

/** Mean of per-token routing distributions: probs [T][E] → [E]. */
export function meanRoutingVector(probs: number[][]): number[] {
  const E = probs[0]?.length ?? 0;
  const out = new Array<number>(E).fill(0);
  for (const row of probs) for (let e = 0; e < E; e++) out[e] += row[e];
  return out.map((x) => x / Math.max(1, probs.length));
}

/** Shannon entropy in bits. */
export function entropyBits(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log2(p[i]);
  return h;
}

/** Jensen–Shannon divergence in bits, in [0, 1]: 0 for identical, 1 for disjoint distributions. */
export function jsdBits(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`jsdBits: distributions of length ${p.length} and ${q.length}`);
  const m = Array.from({ length: p.length }, (_, i) => (p[i] + q[i]) / 2);
  return Math.min(1, Math.max(0, entropyBits(m) - (entropyBits(p) + entropyBits(q)) / 2));
}
