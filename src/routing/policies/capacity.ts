// Policies that cap or assign expert load across the block of tokens.
import type { RouteInput, Routing } from '../types';
import { isMasked, routingFrom, softmaxRows, topkChoices, type Choice } from './build';

/**
 * Switch/DeepSpeed capacity: top-k (renormalised), then each expert accepts at most
 * C = ceil(cf·T·k/E) assignments, in token order (and best-first within a token); the rest are
 * dropped (their tokens keep the residual only). Kept gates are not renormalised.
 */
export function capacity(inp: RouteInput, k: number, cf: number): Routing & { capacity: number } {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  // Round away float noise first: 1.1·25·2/5 is 11.000000000000002 in binary, but C must be 11.
  const C = Math.ceil(Number(((cf * T * k) / E).toPrecision(12)));
  const load = new Int32Array(E);
  const choices: Choice[] = topkChoices(inp.logits, p, T, E, k, true).map((c) => {
    const experts: number[] = [];
    const gates: number[] = [];
    c.experts.forEach((e, i) => {
      if (load[e] < C) {
        load[e]++;
        experts.push(e);
        gates.push(c.gates[i]);
      }
    });
    return { experts, gates, dropped: experts.length === 0 };
  });
  return { ...routingFrom(T, E, p, choices), capacity: C };
}

/**
 * Expert choice (Zhou et al. 2022): each unmasked expert takes its q = max(1, round(c·T/E))
 * highest-p tokens (ties: earlier token); gates = p. Non-causal: a token's experts depend on
 * the other tokens of the block, later ones included.
 */
export function expertChoice(inp: RouteInput, c: number): Routing & { quota: number } {
  const { T, E } = inp;
  const p = softmaxRows(inp.logits, T, E);
  const q = Math.min(T, Math.max(1, Math.round((c * T) / E)));
  const per: { e: number; g: number }[][] = Array.from({ length: T }, () => []);
  for (let e = 0; e < E; e++) {
    const tokens = Array.from({ length: T }, (_, t) => t)
      .filter((t) => !isMasked(inp.logits, E, t, e))
      .sort((a, b) => p[b * E + e] - p[a * E + e] || a - b)
      .slice(0, q);
    for (const t of tokens) per[t].push({ e, g: p[t * E + e] });
  }
  const choices = per.map((xs) => {
    xs.sort((a, b) => b.g - a.g || a.e - b.e);
    return { experts: xs.map((x) => x.e), gates: xs.map((x) => x.g) };
  });
  return { ...routingFrom(T, E, p, choices), quota: q };
}
