// Property tests (fast-check): invariants every policy must keep on random logits, −∞ masks included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPolicy } from './create';
import { POLICY_NAMES } from './catalogue';
import type { NativeRouter, RouteInput, Routing } from '../types';

const logitArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -6, max: 6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(-Infinity) },
);
const num = (min: number, max: number) => fc.double({ min, max, noNaN: true });
const int = (min: number, max: number) => fc.integer({ min, max });

function nativeArb(E: number): fc.Arbitrary<NativeRouter> {
  const divisors = Array.from({ length: E }, (_, i) => i + 1).filter((g) => E % g === 0);
  return fc.oneof(
    fc.record({ type: fc.constant('softmax_topk' as const), topK: int(1, E), normTopkProb: fc.boolean() }),
    fc.record({ type: fc.constant('topk_softmax' as const), topK: int(1, E) }),
    fc.record({ type: fc.constant('sparsemixer' as const), topK: int(1, 2), jitterEps: num(0, 0.5) }),
    fc.constantFrom(...divisors).chain((nGroup) =>
      fc.record({
        type: fc.constant('sigmoid_bias_grouped' as const),
        topK: int(1, E),
        nGroup: fc.constant(nGroup),
        topkGroup: int(1, nGroup),
        normTopkProb: fc.boolean(),
        routedScalingFactor: num(0.5, 3),
        correctionBias: fc.option(fc.array(num(-0.5, 0.5), { minLength: E, maxLength: E }), { nil: undefined }),
      }),
    ),
  );
}

/** a random valid spec string of the named policy for E experts */
function specArb(name: string, E: number): fc.Arbitrary<string> {
  const k = int(1, E);
  switch (name) {
    case 'topk':
      return fc.tuple(k, int(0, 1)).map(([a, b]) => `topk:k=${a},renorm=${b}`);
    case 'capacity':
      return fc.tuple(k, num(0.1, 3)).map(([a, b]) => `capacity:k=${a},cf=${b}`);
    case 'expert-choice':
      return num(0.1, 4).map((c) => `expert-choice:c=${c}`);
    case 'topp':
      return num(0.01, 1).map((p) => `topp:p=${p}`);
    case 'null':
      return fc.tuple(int(1, 4), int(1, E + 4), num(-3, 3)).map(([m, kk, o]) => `null:m=${m},k=${kk},offset=${o}`);
    case 'kmeans':
    case 'cosine':
      return fc.tuple(k, num(0.1, 50)).map(([a, t]) => `${name}:k=${a},tau=${t}`);
    case 'random':
      return fc.tuple(k, int(0, 1000)).map(([a, s]) => `random:k=${a},seed=${s}`);
    case 'balance-bias':
      return fc.tuple(k, num(0, 1), int(1, 4)).map(([a, u, b]) => `balance-bias:k=${a},u=${u},block=${b}`);
    case 'sample':
      return fc.tuple(k, num(0.05, 10), int(0, 1000)).map(([a, t, s]) => `sample:k=${a},T=${t},seed=${s}`);
    case 'tsallis':
      return fc.tuple(k, num(0.2, 4), num(0, 1)).map(([a, q, th]) => `tsallis:k=${a},q=${q},threshold=${th}`);
    default:
      return fc.constant(name); // native, hash, dense
  }
}

interface Case {
  E: number;
  T: number;
  D: number;
  spec: string;
  native: NativeRouter;
  logits: number[];
  hidden: number[];
  weights: number[];
  ids: number[];
}

function caseArb(name: string): fc.Arbitrary<Case> {
  return fc.record({ E: int(2, 6), T: int(1, 6), D: int(1, 3) }).chain(({ E, T, D }) =>
    fc.record({
      E: fc.constant(E),
      T: fc.constant(T),
      D: fc.constant(D),
      spec: specArb(name, E),
      native: nativeArb(E),
      logits: fc.array(logitArb, { minLength: T * E, maxLength: T * E }),
      hidden: fc.array(fc.oneof(num(-1, 1), fc.constant(0)), { minLength: T * D, maxLength: T * D }),
      weights: fc.array(num(-1, 1), { minLength: E * D, maxLength: E * D }),
      ids: fc.array(int(0, 50), { minLength: T, maxLength: T }),
    }),
  );
}

function toInput(c: Case, T = c.T): RouteInput {
  return {
    layer: 0,
    T,
    E: c.E,
    logits: Float32Array.from(c.logits.slice(0, T * c.E)),
    tokenIds: Int32Array.from(c.ids.slice(0, T)),
    hidden: Float32Array.from(c.hidden.slice(0, T * c.D)),
    D: c.D,
    routerWeights: Float32Array.from(c.weights),
  };
}

const tokenSel = (r: Routing, t: number) => Array.from(r.experts.subarray(r.offsets[t], r.offsets[t + 1]));
const tokenGates = (r: Routing, t: number) => Array.from(r.gates.subarray(r.offsets[t], r.offsets[t + 1]));

/** gate sum of a non-empty token, when the policy renormalises (else undefined) */
function expectedGateSum(name: string, c: Case): number | undefined {
  const spec = c.spec;
  if (name === 'topk') return spec.endsWith('renorm=1') ? 1 : undefined;
  if (['capacity', 'expert-choice', 'topp'].includes(name)) return undefined;
  if (name === 'native') {
    const n = c.native;
    if (n.type === 'softmax_topk') return n.normTopkProb ? 1 : undefined;
    if (n.type === 'topk_softmax') return 1;
    if (n.type === 'sigmoid_bias_grouped') return n.normTopkProb ? n.routedScalingFactor : undefined;
    return undefined; // sparsemixer: two independent softmaxes
  }
  return 1; // null, kmeans, cosine, hash, random, balance-bias, sample, tsallis, dense
}

describe('invariants of every policy (property tests)', () => {
  for (const name of POLICY_NAMES) {
    it(`${name}: finite non-negative gates, unique in-range unmasked ids, monotone CSR, renormalised sums`, () => {
      fc.assert(
        fc.property(caseArb(name), (c) => {
          const { T, E } = c;
          const inp = toInput(c);
          const before = inp.logits.slice();
          const r = createPolicy(c.spec, { native: c.native, numExperts: E }).route(inp);
          expect(inp.logits).toEqual(before); // the policy does not write to its input
          expect(r.T).toBe(T);
          expect(r.E).toBe(E);
          expect(r.offsets.length).toBe(T + 1);
          expect(r.offsets[0]).toBe(0);
          expect(r.offsets[T]).toBe(r.experts.length);
          expect(r.gates.length).toBe(r.experts.length);
          expect(r.probs.length).toBe(T * E);
          for (const x of r.probs) expect(Number.isFinite(x) && x >= 0).toBe(true);
          const sum = expectedGateSum(name, c);
          for (let t = 0; t < T; t++) {
            expect(r.offsets[t + 1]).toBeGreaterThanOrEqual(r.offsets[t]);
            const sel = tokenSel(r, t);
            const g = tokenGates(r, t);
            expect(new Set(sel).size).toBe(sel.length);
            for (const e of sel) {
              expect(Number.isInteger(e) && e >= 0 && e < E).toBe(true);
              expect(inp.logits[t * E + e]).not.toBe(-Infinity);
            }
            for (const x of g) expect(Number.isFinite(x) && x >= 0).toBe(true);
            expect(r.dropped[t]).toBe(sel.length === 0 ? 1 : 0);
            if (sum !== undefined && g.length) expect(Math.abs(g.reduce((a, b) => a + b, 0) - sum)).toBeLessThan(1e-5 * Math.max(1, sum));
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('capacity: no expert gets more than C = ceil(cf·T·k/E) tokens; each token at most k', () => {
    fc.assert(
      fc.property(caseArb('capacity'), (c) => {
        const r = createPolicy(c.spec, { native: c.native, numExperts: c.E }).route(toInput(c)) as Routing & { capacity: number };
        const [, k, cf] = /k=(\d+),cf=(.+)$/.exec(c.spec)!.map(Number);
        // C is the least integer ≥ cf·T·k/E (up to float noise in the product)
        const x = (cf * c.T * k) / c.E;
        expect(r.capacity).toBeGreaterThanOrEqual(x - 1e-9);
        expect(r.capacity - 1).toBeLessThan(x - 1e-9);
        const load = new Array(c.E).fill(0);
        for (const e of r.experts) load[e]++;
        for (const l of load) expect(l).toBeLessThanOrEqual(r.capacity);
        for (let t = 0; t < c.T; t++) expect(r.offsets[t + 1] - r.offsets[t]).toBeLessThanOrEqual(k);
      }),
      { numRuns: 150 },
    );
  });

  it('expert-choice: each expert takes min(quota, its unmasked tokens) tokens, quota = max(1, round(c·T/E))', () => {
    fc.assert(
      fc.property(caseArb('expert-choice'), (c) => {
        const inp = toInput(c);
        const r = createPolicy(c.spec, { native: c.native, numExperts: c.E }).route(inp);
        const cc = Number(c.spec.split('=')[1]);
        const q = Math.min(c.T, Math.max(1, Math.round((cc * c.T) / c.E)));
        for (let e = 0; e < c.E; e++) {
          let open = 0;
          for (let t = 0; t < c.T; t++) if (inp.logits[t * c.E + e] !== -Infinity) open++;
          expect(Array.from(r.experts).filter((x) => x === e).length).toBe(Math.min(q, open));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('topk selects min(k, unmasked) experts per token', () => {
    fc.assert(
      fc.property(caseArb('topk'), (c) => {
        const inp = toInput(c);
        const r = createPolicy(c.spec, { native: c.native, numExperts: c.E }).route(inp);
        const k = Number(/k=(\d+)/.exec(c.spec)![1]);
        for (let t = 0; t < c.T; t++) {
          const open = c.logits.slice(t * c.E, (t + 1) * c.E).filter((z) => z !== -Infinity).length;
          expect(r.offsets[t + 1] - r.offsets[t]).toBe(Math.min(k, open));
        }
      }),
      { numRuns: 100 },
    );
  });

  // Causal policies: a token's routing depends only on itself and earlier tokens, so routing a
  // prefix gives the prefix of the full routing (fresh policies, so stateful ones start equal).
  const CAUSAL = POLICY_NAMES.filter((n) => !['expert-choice', 'capacity'].includes(n));
  it(`causal policies route a prefix exactly as the full block (${CAUSAL.join(', ')})`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...CAUSAL).chain((name) => caseArb(name)), fc.nat(), (c, cut) => {
        const n = 1 + (cut % c.T);
        const full = createPolicy(c.spec, { native: c.native, numExperts: c.E }).route(toInput(c));
        const pre = createPolicy(c.spec, { native: c.native, numExperts: c.E }).route(toInput(c, n));
        expect(createPolicy(c.spec, { native: c.native, numExperts: c.E }).causal).toBe(true);
        for (let t = 0; t < n; t++) {
          expect(tokenSel(pre, t)).toEqual(tokenSel(full, t));
          expect(tokenGates(pre, t)).toEqual(tokenGates(full, t));
        }
      }),
      { numRuns: 300 },
    );
  });
});
