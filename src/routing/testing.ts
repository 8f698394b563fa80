// Small helpers shared by the routing unit tests (not part of the public API; imported only by
// *.test.ts files). They turn nested arrays into RouteInput and CSR routings into nested lists.
import { expect } from 'vitest';
import { createPolicy } from './policies/create';
import type { NativeRouter, RouteInput, Routing } from './types';

/** Mixtral-style native router: softmax → top-2 → renormalise. */
export const MIXTRAL: NativeRouter = { type: 'softmax_topk', topK: 2, normTopkProb: true };

/** RouteInput for layer 0 from rows of logits (T = rows, E = row length). */
export function input(rows: number[][], extra: Partial<RouteInput> = {}): RouteInput {
  return { layer: 0, T: rows.length, E: rows[0].length, logits: Float32Array.from(rows.flat()), ...extra };
}

/** Per-token selections (best first), gates and dropped flags as plain arrays. */
export function lists(r: Routing): { sel: number[][]; gates: number[][]; dropped: number[] } {
  const sel: number[][] = [];
  const gates: number[][] = [];
  for (let t = 0; t < r.T; t++) {
    sel.push(Array.from(r.experts.subarray(r.offsets[t], r.offsets[t + 1])));
    gates.push(Array.from(r.gates.subarray(r.offsets[t], r.offsets[t + 1])));
  }
  return { sel, gates, dropped: Array.from(r.dropped) };
}

/** Build the policy for `spec` with E = row length and route the rows once. */
export function route(spec: string, rows: number[][], native: NativeRouter = MIXTRAL, extra: Partial<RouteInput> = {}) {
  return lists(createPolicy(spec, { native, numExperts: rows[0].length }).route(input(rows, extra)));
}

/** Element-wise toBeCloseTo with equal lengths. */
export function close(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

/** Number of tokens routed to each expert. */
export function loads(sel: number[][], E: number): number[] {
  const c = new Array<number>(E).fill(0);
  for (const s of sel) for (const e of s) c[e]++;
  return c;
}
