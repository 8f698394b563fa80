// Helpers shared by the policies: building a CSR Routing from per-token choices.
import type { Routing } from '../types';
import { softmaxRows, topkRow } from '../softmax';

export interface Choice {
  experts: number[];
  gates: number[];
  dropped?: boolean;
}

export function routingFrom(T: number, E: number, probs: Float32Array, choices: Choice[]): Routing {
  const offsets = new Int32Array(T + 1);
  const experts: number[] = [];
  const gates: number[] = [];
  const dropped = new Uint8Array(T);
  choices.forEach((c, t) => {
    experts.push(...c.experts);
    gates.push(...c.gates);
    offsets[t + 1] = experts.length;
    dropped[t] = c.dropped || c.experts.length === 0 ? 1 : 0;
  });
  return { T, E, probs, offsets, experts: Int32Array.from(experts), gates: Float32Array.from(gates), dropped };
}

/**
 * top-k per token ranked by `score` (default the logits: same order as p = softmax(z), but an
 * expert whose float32 probability underflows to 0 still ranks above a masked one), gates from p,
 * renormalised over the k when `renorm`. Masked experts (logit −∞) are never chosen.
 */
export function topkChoices(
  logits: Float32Array,
  p: Float32Array,
  T: number,
  E: number,
  k: number,
  renorm: boolean,
  score: Float32Array = logits,
): Choice[] {
  const out: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const ex = topkRow(score, E, t, k).filter((e) => logits[t * E + e] !== -Infinity && score[t * E + e] !== -Infinity);
    const g = ex.map((e) => p[t * E + e]);
    const s = g.reduce((a, b) => a + b, 0);
    out.push({ experts: ex, gates: renorm && s > 0 ? g.map((x) => x / s) : g });
  }
  return out;
}

export { softmaxRows, topkRow };

/** −Infinity logits mark masked experts: policies that ignore logits must still skip them. */
export function isMasked(logits: Float32Array, E: number, t: number, e: number): boolean {
  return logits[t * E + e] === -Infinity;
}
