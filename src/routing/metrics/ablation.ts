// Causal check with a control (moe-vis): mask the n experts a source prefers, measure the per-token
// loss change on that source and on the others, and compare with masking n random experts over
// several seeds. The pure parts: which experts, and the mean and spread of the control.
import type { Rng } from '../rng';

/** The n experts with the largest share (ties: lower id first). shares: [E]. */
export function preferredExperts(shares: number[], n: number): number[] {
  return shares
    .map((s, e) => [s, e] as const)
    .sort((x, y) => y[0] - x[0] || x[1] - y[1])
    .slice(0, n)
    .map(([, e]) => e)
    .sort((x, y) => x - y);
}

/** n distinct experts of E drawn uniformly (partial Fisher–Yates), ascending. */
export function randomExperts(E: number, n: number, rng: Rng): number[] {
  if (!(Number.isInteger(n) && n >= 0 && n <= E))
    throw new Error(`ablate: n must be an integer in 0..${E}, got ${n}`);
  const ids = Array.from({ length: E }, (_, e) => e);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (E - i));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids.slice(0, n).sort((x, y) => x - y);
}

/** Mean of the per-token values of several sequences, pooled (null when there is none). */
export function meanOverTokens(perSequence: number[][]): number | null {
  let s = 0;
  let n = 0;
  for (const xs of perSequence)
    for (const x of xs) {
      s += x;
      n++;
    }
  return n ? s / n : null;
}

export interface Spread {
  mean: number;
  /** sample standard deviation (n − 1); 0 for a single value */
  std: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  if (!xs.length) throw new Error('spread: no values');
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(v), min: Math.min(...xs), max: Math.max(...xs), n };
}
