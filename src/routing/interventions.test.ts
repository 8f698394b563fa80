import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyLogitInterventions, denseGates, foldSlots } from './interventions';
import { formatIntervention, parseIntervention } from './spec';
import { createPolicy, parsePolicySpec } from './policies/create';
import { POLICY_NAMES } from './policies/catalogue';
import { softmaxRows } from './softmax';
import { klLogits, sampleNext, tokenLosses, topNext } from './logits';
import { createRng } from './rng';
import type { NativeRouter } from './types';

const MIXTRAL: NativeRouter = { type: 'softmax_topk', topK: 2, normTopkProb: true };
const Z = [2, 1, 0, -1];
const apply = (specs: string[], rows: number[][], layer = 0) => applyLogitInterventions(Float32Array.from(rows.flat()), rows.length, rows[0].length, layer, specs.map(parseIntervention));

describe('logit interventions', () => {
  it('bias adds its value: p(e1) rises from 0.236883 to 0.457644', () => {
    // z = [2, 2, 0, −1]: Σ e^z = 2·7.389056 + 1 + 0.367879 = 16.145991; p1 = 7.389056 / 16.145991
    const r = apply(['bias:layers=0,experts=1,value=1'], [Z]);
    expect(Array.from(r.logits)).toEqual([2, 2, 0, -1]);
    expect(softmaxRows(r.logits, 1, 4)[1]).toBeCloseTo(0.457644, 5);
  });

  it('steer adds λ·std(z) measured before the steer', () => {
    // mean 0.5, population std √((2.25+0.25+0.25+2.25)/4) = √1.25 = 1.118034; λ = 1 → z3 = 0.118034
    const r = apply(['steer:layers=0,experts=3,lambda=1'], [Z]);
    expect(r.logits[3]).toBeCloseTo(-1 + Math.sqrt(1.25), 6);
    const down = apply(['steer:layers=0,experts=0,lambda=-0.5'], [Z]);
    expect(down.logits[0]).toBeCloseTo(2 - 0.5 * Math.sqrt(1.25), 6);
  });

  it('force puts the expert into every token’s top-k; mask removes it, only in its layers', () => {
    const rows = [Z, [0, 3, 1, -2], [-1, -1, 5, -3]];
    const topk = createPolicy('topk:k=2', { native: MIXTRAL, numExperts: 4 });
    const forced = apply(['force:layers=0,experts=3'], rows);
    const fr = topk.route({ layer: 0, T: 3, E: 4, logits: forced.logits });
    for (let t = 0; t < 3; t++) expect(Array.from(fr.experts.subarray(fr.offsets[t], fr.offsets[t + 1]))[0]).toBe(3);
    expect(forced.logits[3]).toBeCloseTo(2.001, 6); // max(others) + ε
    const masked1 = apply(['mask:layers=1-2,experts=2'], rows, 1);
    expect(Array.from(masked1.logits).filter((_, i) => i % 4 === 2)).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(apply(['mask:layers=1-2,experts=2'], rows, 0).logits).toEqual(Float32Array.from(rows.flat()));
    for (const name of POLICY_NAMES) {
      const p = createPolicy(name, { native: MIXTRAL, numExperts: 4 });
      const r = p.route({ layer: 1, T: 3, E: 4, logits: masked1.logits, tokenIds: Int32Array.from([1, 2, 3]), hidden: Float32Array.from([1, 0, 0, 1, 1, 1]), D: 2, routerWeights: Float32Array.from([1, 0, 0, 1, -1, 0, 0, -1]) });
      expect(Array.from(r.experts), name).not.toContain(2);
    }
  });

  it('temperature divides the logits', () => {
    expect(Array.from(apply(['temp:layers=*,t=2'], [Z]).logits)).toEqual([1, 0.5, 0, -0.5]);
  });

  it('upcycle adds a slot served by the same expert; folding sums the gates', () => {
    const r = apply(['upcycle:layers=0,experts=1,noise=0'], [[0, 2, -5, -5]]);
    expect(r.E).toBe(5);
    expect(Array.from(r.slotToExpert)).toEqual([0, 1, 2, 3, 1]);
    expect(r.logits[4]).toBe(2);
    const routed = createPolicy('topk:k=2', { native: MIXTRAL, numExperts: 5 }).route({ layer: 0, T: 1, E: 5, logits: r.logits });
    expect(Array.from(routed.experts)).toEqual([1, 4]); // both slots of expert 1 win
    const folded = foldSlots(routed, r.slotToExpert, 4);
    expect(Array.from(folded.experts)).toEqual([1]);
    expect(folded.gates[0]).toBeCloseTo(1, 6);
    expect(Array.from(denseGates(folded, 4))).toEqual([0, 1, 0, 0]);
  });
});

describe('spec parsing', () => {
  it('round-trips interventions and canonicalises policy specs', () => {
    for (const s of ['mask:layers=2,experts=3', 'steer:layers=1-3,experts=1+4,lambda=0.5', 'temp:layers=*,t=2', 'repeat:layers=0,n=3']) expect(formatIntervention(parseIntervention(s))).toBe(s);
    expect(parsePolicySpec('topp').spec).toBe('topp:p=0.4');
    expect(parsePolicySpec('capacity:cf=1.5').spec).toBe('capacity:k=1,cf=1.5');
  });

  it('names the problem in every bad spec', () => {
    const bad: [() => unknown, string][] = [
      [() => parsePolicySpec('topq'), 'unknown router "topq" (known: native, topk, capacity, expert-choice, topp, null, kmeans, cosine, hash, random, balance-bias, sample, tsallis, dense)'],
      [() => parsePolicySpec('topp:p=1.5'), 'topp: p must be in (0, 1], got 1.5'],
      [() => parsePolicySpec('topp:p=0'), 'topp: p must be in (0, 1], got 0'],
      [() => parsePolicySpec('topk:k=1.5'), 'topk: k must be an integer, got 1.5'],
      [() => parsePolicySpec('topk:q=1'), 'topk: unknown parameter "q" (known: k, renorm)'],
      [() => parsePolicySpec('hash:k=1'), 'hash: unknown parameter "k" (it takes none)'],
      [() => parsePolicySpec('topk:k'), 'bad parameter "k" in "topk:k": write key=value'],
      [() => createPolicy('topk:k=9', { native: MIXTRAL, numExperts: 8 }), "topk: k = 9 exceeds the model's 8 experts"],
      [() => parseIntervention('nuke:layers=1'), 'unknown intervention "nuke"'],
      [() => parseIntervention('mask:layers=x,experts=1'), 'bad intervention "mask:layers=x,experts=1": layers must be an index, a range i-j or *'],
      [() => parseIntervention('mask:layers=3-1,experts=1'), 'layer range 3-1 is empty'],
      [() => parseIntervention('mask:layers=1'), 'mask needs experts=<a+b+…>'],
      [() => parseIntervention('mask:layers=1,experts=2+2'), 'an expert is listed twice'],
      [() => parseIntervention('steer:layers=1,experts=2,lambda=x'), 'lambda must be a number, got "x"'],
      [() => parseIntervention('steer:layers=1,experts=2,lamda=1'), 'steer has no parameter "lamda" (known: layers, experts, lambda)'],
      [() => parseIntervention('temp:layers=1,t=0'), 't must be > 0'],
      [() => apply(['mask:layers=0,experts=9'], [Z]), 'mask: expert 9 out of range 0..3'],
    ];
    for (const [f, msg] of bad) expect(f).toThrow(msg);
  });
});

describe('next-token maths', () => {
  it('per-token loss, top-N, KL and sampling', () => {
    // two positions, V = 2: row 0 logits [0, 0] → p = ½ each; token 1 follows → loss ln 2
    const logits = Float32Array.from([0, 0, 2, 0]);
    expect(tokenLosses(logits, 2, [0, 1, 0])).toEqual([Math.LN2, expect.closeTo(Math.log(1 + Math.exp(-2)), 12)]);
    expect(topNext(logits, 2, 1, 1)[0].id).toBe(0);
    expect(klLogits(logits, logits, 2, 1, 1)).toBe(0);
    // KL([½,½] ‖ [0.880797, 0.119203]) = ½ln(½/0.880797) + ½ln(½/0.119203) = 0.433781
    expect(klLogits(logits, logits, 2, 0, 1)).toBeCloseTo(0.433781, 5);
    expect(sampleNext(logits, 2, 1, 0, 1, createRng(0))).toBe(0); // greedy
    // top-p 0.5 keeps only the most likely token (0.880797 ≥ 0.5)
    for (let i = 0; i < 20; i++) expect(sampleNext(logits, 2, 1, 1, 0.5, createRng(i))).toBe(0);
  });
});

describe('invariants of every policy (property tests)', () => {
  const logitArb = fc.oneof({ weight: 6, arbitrary: fc.double({ min: -6, max: 6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(-Infinity) });
  const RENORMALISED = ['native', 'topk', 'cosine', 'kmeans', 'balance-bias', 'sample', 'null'];
  for (const name of POLICY_NAMES) {
    it(name, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.array(logitArb, { minLength: 24, maxLength: 24 }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }), (T, raw, hid) => {
          const E = 4;
          const logits = Float32Array.from(raw.slice(0, T * E));
          const p = createPolicy(name, { native: MIXTRAL, numExperts: E });
          const r = p.route({ layer: 0, T, E, logits, tokenIds: Int32Array.from({ length: T }, (_, t) => t * 7), hidden: Float32Array.from(hid.slice(0, T * 2)), D: 2, routerWeights: Float32Array.from([1, 0, 0, 1, -1, 0, 0.5, 0.5]) });
          for (let t = 0; t < T; t++) {
            expect(r.offsets[t + 1]).toBeGreaterThanOrEqual(r.offsets[t]);
            const sel = Array.from(r.experts.subarray(r.offsets[t], r.offsets[t + 1]));
            const g = Array.from(r.gates.subarray(r.offsets[t], r.offsets[t + 1]));
            expect(new Set(sel).size).toBe(sel.length);
            for (const e of sel) {
              expect(e).toBeGreaterThanOrEqual(0);
              expect(e).toBeLessThan(E);
              expect(logits[t * E + e]).not.toBe(-Infinity);
            }
            for (const x of g) expect(Number.isFinite(x) && x >= 0).toBe(true);
            if (RENORMALISED.includes(name) && g.length) expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
