// Stateless policies over the router's own probabilities.
import type { RouteInput, Routing } from '../types';
import { createRng, mixSeed } from '../rng';
import { isMasked, routingFrom, softmaxRows, topkChoices, topkRow, type Choice } from './build';

/** Top-k of p = softmax(z), gates renormalised over the k when renorm (Switch / Mixtral). */
export function topk(inp: RouteInput, k: number, renorm: boolean): Routing {
  const p = softmaxRows(inp.logits, inp.T, inp.E);
  return routingFrom(inp.T, inp.E, p, topkChoices(inp.logits, p, inp.T, inp.E, k, renorm));
}

/** Smallest prefix of experts by p whose mass exceeds p_thr; raw probabilities as gates. */
export function topp(inp: RouteInput, pThr: number): Routing {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const order = topkRow(p, E, t, E).filter((e) => !isMasked(inp.logits, E, t, e));
    const experts: number[] = [];
    let mass = 0;
    for (const e of order) {
      experts.push(e);
      mass += p[t * E + e];
      if (mass > pThr) break;
    }
    choices.push({ experts, gates: experts.map((e) => p[t * E + e]) });
  }
  return routingFrom(T, E, p, choices);
}

/** Every unmasked expert with its probability (soft MoE upper bound). */
export function dense(inp: RouteInput): Routing {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const experts = topkRow(p, E, t, E).filter((e) => !isMasked(inp.logits, E, t, e));
    choices.push({ experts, gates: experts.map((e) => p[t * E + e]) });
  }
  return routingFrom(T, E, p, choices);
}

/** Tsallis entropy S_q(p) = (1 − Σ p^q)/(q − 1) (q → 1: Shannon). */
export function tsallisEntropy(p: ArrayLike<number>, q: number): number {
  if (Math.abs(q - 1) < 1e-9) {
    let h = 0;
    for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
    return h;
  }
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += Math.pow(p[i], q);
  return (1 - s) / (q - 1);
}

/**
 * DynMoLE-style hybrid: dense routing (all experts, gates = p) for tokens whose Tsallis entropy
 * exceeds `threshold` × its maximum (uniform p over the unmasked experts), else top-k renormalised.
 */
export function tsallis(inp: RouteInput, q: number, threshold: number, k: number): Routing {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  const top = topkChoices(inp.logits, p, T, E, k, true);
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const row = p.subarray(t * E, (t + 1) * E);
    const n = Array.from(row).filter((_, e) => !isMasked(inp.logits, E, t, e)).length;
    const max = tsallisEntropy(new Float32Array(n).fill(1 / Math.max(n, 1)), q);
    if (n > 0 && tsallisEntropy(row, q) > threshold * max) {
      const experts = topkRow(p, E, t, E).filter((e) => !isMasked(inp.logits, E, t, e));
      choices.push({ experts, gates: experts.map((e) => p[t * E + e]) });
    } else choices.push(top[t]);
  }
  return routingFrom(T, E, p, choices);
}

/**
 * Gumbel top-k sampling at temperature τ (exploration, MoE-GRPO): choose the top-k of
 * z/τ + Gumbel noise; gates = softmax(z) of the chosen, renormalised. The noise stream is
 * re-seeded per call from (seed, layer), so the same input gives the same routing.
 */
export function sample(inp: RouteInput, temperature: number, k: number, seed: number): Routing {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  const rng = createRng(mixSeed(seed, inp.layer));
  const noisy = new Float32Array(T * E);
  for (let i = 0; i < T * E; i++) noisy[i] = inp.logits[i] === -Infinity ? -Infinity : inp.logits[i] / temperature + rng.gumbel();
  return routingFrom(T, E, p, topkChoices(inp.logits, p, T, E, k, true, noisy));
}

/**
 * AdaMoE null experts: m extra slots with zero output whose logit is mean(z_t) + offset. Top-k
 * over all E + m softmax scores; the chosen true experts' gates are renormalised among
 * themselves; a token may pick only null experts (dropped = 1: residual only).
 */
export function nullExperts(inp: RouteInput, m: number, k: number, offset: number): Routing {
  const { T, E } = inp;
  const W = E + m;
  const z = new Float32Array(T * W);
  for (let t = 0; t < T; t++) {
    let sum = 0;
    let n = 0;
    for (let e = 0; e < E; e++) {
      const v = inp.logits[t * E + e];
      z[t * W + e] = v;
      if (!Number.isFinite(v)) continue;
      sum += v;
      n++;
    }
    const nullLogit = (n ? sum / n : 0) + offset;
    for (let j = 0; j < m; j++) z[t * W + E + j] = nullLogit;
  }
  const pAll = softmaxRows(z, T, W);
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const experts = topkRow(pAll, W, t, k).filter((e) => e < E && !isMasked(inp.logits, E, t, e));
    const g = experts.map((e) => pAll[t * W + e]);
    const s = g.reduce((a, b) => a + b, 0);
    choices.push({ experts, gates: s > 0 ? g.map((x) => x / s) : g, dropped: experts.length === 0 });
  }
  return routingFrom(T, E, softmaxRows(inp.logits, T, E), choices);
}
