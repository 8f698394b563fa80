// Synthetic routing at a real model's shape, for tests, benchmarks and generated captures: each
// layer prefers its own experts with a Zipf-like bias (rank r gets logit −log(r+1)), plus Gaussian
// noise per token, so a few experts carry much of the load as in trained routers. Top-k without
// repeats, gates renormalised over the chosen experts. Seeded: the same seed gives the same run.
import type { Rng } from './rng';

export interface SyntheticLayer {
  /** [T][k] chosen experts, best first */
  selected: number[][];
  /** [T][k] gates over the chosen experts (sum 1) */
  gates: number[][];
  /** [T × E] router logits and their softmax, when asked for */
  logits?: Float32Array;
  probs?: Float32Array;
}

export function syntheticLayer(rng: Rng, E: number, k: number, T: number, withProbs: boolean): SyntheticLayer {
  const order = Array.from({ length: E }, (_, e) => e);
  for (let i = E - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const bias = new Float32Array(E);
  order.forEach((e, rank) => (bias[e] = -Math.log(rank + 1)));
  const logits = new Float32Array(T * E);
  const probs = withProbs ? new Float32Array(T * E) : undefined;
  const selected: number[][] = [];
  const gates: number[][] = [];
  for (let t = 0; t < T; t++) {
    const row = logits.subarray(t * E, (t + 1) * E);
    let max = -Infinity;
    for (let e = 0; e < E; e++) max = Math.max(max, (row[e] = bias[e] + 1.5 * rng.normal()));
    const top = topK(row, k);
    const w = top.map((e) => Math.exp(row[e] - max));
    const s = w.reduce((a, b) => a + b, 0);
    selected.push(top);
    gates.push(w.map((x) => x / s));
    if (probs) {
      let z = 0;
      for (let e = 0; e < E; e++) z += probs[t * E + e] = Math.exp(row[e] - max);
      for (let e = 0; e < E; e++) probs[t * E + e] /= z;
    }
  }
  return { selected, gates, ...(probs ? { logits, probs } : {}) };
}

/** The k largest entries' indices, best first (ties: lower index first); O(E·k), no sort of the row. */
function topK(row: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let e = 0; e < row.length; e++) {
    if (top.length === k && row[e] <= row[top[k - 1]]) continue;
    let i = top.length;
    while (i > 0 && row[top[i - 1]] < row[e]) i--;
    top.splice(i, 0, e);
    if (top.length > k) top.pop();
  }
  return top;
}
