// Pure maths over next-token logits: log-softmax, per-token loss, top-N, KL, sampling.
import type { Rng } from './rng';

/** log softmax of row r of a [rows × V] matrix */
export function logSoftmaxRow(logits: Float32Array, V: number, r: number): Float64Array {
  const out = new Float64Array(V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[r * V + i]);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[r * V + i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < V; i++) out[i] = logits[r * V + i] - lse;
  return out;
}

/** log Σ exp of row r (no allocation: this runs on every token of every pass). */
function logSumExpRow(logits: Float32Array, V: number, r: number): number {
  let max = -Infinity;
  for (let i = r * V; i < (r + 1) * V; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = r * V; i < (r + 1) * V; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}

/** [T-1] NLL in nats of token t+1 given tokens ≤ t, from logits [T × V]. */
export function tokenLosses(logits: Float32Array, V: number, ids: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < ids.length; t++) out.push(logSumExpRow(logits, V, t) - logits[t * V + ids[t + 1]]);
  return out;
}

/** tokenLosses for rows that are already log-probabilities (log_softmax applied): −lp[t, id_{t+1}]. */
export function tokenLossesFromLogProbs(logProbs: Float32Array, V: number, ids: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < ids.length; t++) out.push(-logProbs[t * V + ids[t + 1]]);
  return out;
}

/** The N most likely next tokens after row r, with probabilities, best first (ties: lower id). */
export function topNext(logits: Float32Array, V: number, r: number, n: number): { id: number; p: number }[] {
  const lse = logSumExpRow(logits, V, r);
  // Keep a small sorted list instead of sorting the whole vocabulary.
  const best: number[] = [];
  for (let i = 0; i < V; i++) {
    const z = logits[r * V + i];
    if (best.length === n && z <= logits[r * V + best[n - 1]]) continue;
    let j = best.length;
    while (j > 0 && logits[r * V + best[j - 1]] < z) j--;
    best.splice(j, 0, i);
    if (best.length > n) best.pop();
  }
  return best.map((id) => ({ id, p: Math.exp(logits[r * V + id] - lse) }));
}

/** KL(p ‖ q) in nats between the softmax distributions of two logit rows. */
export function klLogits(p: Float32Array, q: Float32Array, V: number, rp = 0, rq = 0): number {
  const lp = logSoftmaxRow(p, V, rp);
  const lq = logSoftmaxRow(q, V, rq);
  let kl = 0;
  for (let i = 0; i < V; i++) {
    const pi = Math.exp(lp[i]);
    if (pi > 0) kl += pi * (lp[i] - lq[i]);
  }
  return Math.max(0, kl);
}

/**
 * Sample a token from logits row r: temperature 0 = greedy; otherwise softmax(z / T) truncated
 * to the smallest set whose mass reaches topP (nucleus sampling), drawn with the seeded rng.
 */
export function sampleNext(logits: Float32Array, V: number, r: number, temperature: number, topP: number, rng: Rng): number {
  if (temperature <= 0) return topNext(logits, V, r, 1)[0].id;
  const scaled = new Float32Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[r * V + i] / temperature;
  const lp = logSoftmaxRow(scaled, V, 0);
  const { kept, mass } = nucleus(lp, topP);
  let u = rng.next() * mass;
  for (const id of kept) {
    u -= Math.exp(lp[id]);
    if (u <= 0) return id;
  }
  return kept[kept.length - 1];
}

/**
 * The nucleus of log-probabilities `lp`: ids by probability descending (ties: lower id) up to the
 * first whose cumulative mass reaches topP, and that mass. Sorting a 49k vocabulary per sampled
 * token cost ~45 ms, so the ids within `w` nats of the best are sorted first (w = 4, 8, …): they
 * are exactly the first ids of the full order, so when their prefix already reaches topP the
 * result is the one the full sort gives; otherwise (or at topP ≥ 1) the whole row is sorted.
 */
export function nucleus(lp: Float64Array, topP: number): { kept: number[]; mass: number } {
  const V = lp.length;
  const byP = (a: number, b: number) => lp[b] - lp[a] || a - b;
  const walk = (order: number[]) => {
    const kept: number[] = [];
    let mass = 0;
    for (const id of order) {
      kept.push(id);
      mass += Math.exp(lp[id]);
      if (mass >= topP) return { kept, mass, done: true };
    }
    return { kept, mass, done: false };
  };
  if (topP < 1) {
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (lp[i] > max) max = lp[i];
    for (let w = 4; w <= 64; w *= 2) {
      const cut = max - w;
      // the candidates' mass first (O(V)): sort them only when they can hold the nucleus
      let inside = 0;
      let n = 0;
      for (let i = 0; i < V; i++)
        if (lp[i] >= cut) {
          inside += Math.exp(lp[i]);
          n++;
        }
      if (n === V) break;
      if (inside < topP) continue;
      const cand: number[] = [];
      for (let i = 0; i < V; i++) if (lp[i] >= cut) cand.push(i);
      const r = walk(cand.sort(byP));
      if (r.done) return r;
    }
  }
  return walk(Array.from({ length: V }, (_, i) => i).sort(byP));
}
