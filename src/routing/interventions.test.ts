// Logit interventions (DESIGN.md §5) on hand-sized logit rows: bias, steer, force, mask, temp,
// upcycle (+ foldSlots), denseGates, and the engine-level kinds that leave the logits alone.
import { describe, expect, it } from 'vitest';
import { applyLogitInterventions, denseGates, foldSlots } from './interventions';
import { parseIntervention } from './spec';
import { createPolicy } from './policies/create';
import { POLICY_NAMES } from './policies/catalogue';
import { softmaxRows } from './softmax';
import { close, lists, MIXTRAL } from './testing';
import type { Routing } from './types';

const NI = -Infinity;
// Row z = [2, 1, 0, −1]: p = softmax(z) = [0.643914, 0.236883, 0.087144, 0.032059]
// mean 0.5, population std √((2.25 + 0.25 + 0.25 + 2.25)/4) = √1.25 = 1.118034
const Z = [2, 1, 0, -1];

const apply = (specs: string[], rows: number[][], layer = 0) => applyLogitInterventions(Float32Array.from(rows.flat()), rows.length, rows[0].length, layer, specs.map(parseIntervention));
const row = (x: Float32Array, E: number, t: number) => Array.from(x.subarray(t * E, (t + 1) * E));
const probs = (x: Float32Array, T: number, E: number) => softmaxRows(x, T, E);
const topkSets = (logits: Float32Array, T: number, E: number, spec = 'topk:k=2') => lists(createPolicy(spec, { native: MIXTRAL, numExperts: E }).route({ layer: 0, T, E, logits })).sel;

describe('bias', () => {
  it('adds its value to the expert’s logit: p1 rises from 0.236883 to 0.457640', () => {
    // z = [2, 2, 0, −1]: Σ e^z = 2·7.389056 + 1 + 0.367879 = 16.145991; p1 = 7.389056/16.145991 = 0.457640
    const r = apply(['bias:layers=0,experts=1,value=1'], [Z]);
    expect(Array.from(r.logits)).toEqual([2, 2, 0, -1]);
    close(probs(r.logits, 1, 4), [0.45764, 0.45764, 0.061935, 0.022785]);
  });

  it('a negative value lowers it: p0 falls from 0.643914 to 0.399486', () => {
    // z = [1, 1, 0, −1]: Σ = 2e + 1 + e^−1 = 6.804443; p0 = e/6.804443 = 0.399486
    const r = apply(['bias:layers=0,experts=0,value=-1'], [Z]);
    close(probs(r.logits, 1, 4), [0.399486, 0.399486, 0.146963, 0.054065]);
  });

  it('acts on every token and every listed expert, only in its layers', () => {
    const rows = [Z, [0, 0, 0, 0]];
    const r = apply(['bias:layers=1-2,experts=2+3,value=0.5'], rows, 2);
    expect(Array.from(r.logits)).toEqual([2, 1, 0.5, -0.5, 0, 0, 0.5, 0.5]);
    expect(apply(['bias:layers=1-2,experts=2+3,value=0.5'], rows, 3).logits).toEqual(Float32Array.from(rows.flat()));
    expect(apply(['bias:layers=1-2,experts=2+3,value=0.5'], rows, 0).logits).toEqual(Float32Array.from(rows.flat()));
  });
});

describe('steer', () => {
  it('z_e += λ·std(z): λ = 2 on expert 3 lifts p3 from 0.032059 to 0.236577', () => {
    // z3 = −1 + 2·1.118034 = 1.236068; e^z = [7.389056, 2.718282, 1, 3.442052], Σ = 14.549390
    // p = [0.507860, 0.186831, 0.068731, 0.236577]
    const r = apply(['steer:layers=0,experts=3,lambda=2'], [Z]);
    expect(r.logits[3]).toBeCloseTo(-1 + 2 * Math.sqrt(1.25), 6);
    close(probs(r.logits, 1, 4), [0.50786, 0.186831, 0.068731, 0.236577]);
  });

  it('uses the std measured before the steer, the same for every listed expert; λ < 0 lowers', () => {
    // λ = 0.5 on experts 0 and 3: both += 0.559017 → z = [2.559017, 1, 0, −0.440983]
    // p = [0.747658, 0.157264, 0.057854, 0.037224]
    const r = apply(['steer:layers=0,experts=0+3,lambda=0.5'], [Z]);
    close(row(r.logits, 4, 0), [2 + 0.5 * Math.sqrt(1.25), 1, 0, -1 + 0.5 * Math.sqrt(1.25)]);
    close(probs(r.logits, 1, 4), [0.747658, 0.157264, 0.057854, 0.037224]);
    const down = apply(['steer:layers=0,experts=0,lambda=-0.5'], [Z]);
    expect(down.logits[0]).toBeCloseTo(2 - 0.5 * Math.sqrt(1.25), 6);
    expect(probs(down.logits, 1, 4)[0]).toBeLessThan(0.643914);
  });

  it('std is per token and over the unmasked logits only', () => {
    // token 0: [2, −∞, 0, −2] → mean 0, std √(8/3) = 1.632993; token 1: [1, 1, 1, 1] → std 0
    const r = apply(['steer:layers=0,experts=1+2,lambda=1'], [[2, NI, 0, -2], [1, 1, 1, 1]]);
    expect(r.logits[1]).toBe(NI); // a masked expert stays masked
    expect(r.logits[2]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(row(r.logits, 4, 1)).toEqual([1, 1, 1, 1]);
  });
});

describe('force', () => {
  const rows = [Z, [0, 3, 1, -2], [-1, -1, 5, -3]];

  it('sets z_e = max(z) + ε, per token', () => {
    const r = apply(['force:layers=0,experts=3'], rows);
    // row maxima: 2, 3, 5 → 2.001, 3.001, 5.001
    close([r.logits[3], r.logits[7], r.logits[11]], [2.001, 3.001, 5.001], 6);
    // token 0 = [2, 1, 0, 2.001]: e^z = [7.389056, 2.718282, 1, 7.396449], Σ = 18.503787
    // p = [0.399327, 0.146904, 0.054043, 0.399726]: expert 3 goes from 0.032059 to the top
    close(probs(r.logits, 3, 4).subarray(0, 4), [0.399327, 0.146904, 0.054043, 0.399726]);
  });

  it('puts the expert in every token’s set (top-1 of top-k and native), only in its layers', () => {
    const forced = apply(['force:layers=0-1,experts=3'], rows, 1);
    for (const spec of ['topk:k=1', 'topk:k=2', 'native', 'topp:p=0.3']) {
      const sel = topkSets(forced.logits, 3, 4, spec);
      for (let t = 0; t < 3; t++) expect(sel[t][0], spec).toBe(3);
    }
    const outside = apply(['force:layers=0-1,experts=3'], rows, 2);
    expect(topkSets(outside.logits, 3, 4).flat()).not.toContain(3);
  });

  it('forcing two experts puts both in every top-2', () => {
    const r = apply(['force:layers=0,experts=2+3'], rows);
    for (const s of topkSets(r.logits, 3, 4)) expect(s.slice().sort()).toEqual([2, 3]);
  });

  it('z_e = max(z) + ε over the whole row: an expert that already leads is raised by ε, never lowered', () => {
    // z = [0, 5, 1, 0], force expert 1: max(z) = 5 → 5.001 (the runner-up's 1 + ε would cut p1 from 0.970 to 0.40)
    // p1 = e^5.001/(e^5.001 + e + 2) = 148.5616/153.2799 = 0.969218
    const r = apply(['force:layers=0,experts=1'], [[0, 5, 1, 0]]);
    close(r.logits, [0, 5.001, 1, 0], 6);
    expect(probs(r.logits, 1, 4)[1]).toBeCloseTo(0.969218, 5);
  });

  it('overrides an earlier mask of the same expert', () => {
    const r = apply(['mask:layers=0,experts=1', 'force:layers=0,experts=1'], [Z]);
    expect(r.logits[1]).toBeCloseTo(2.001, 6);
  });
});

describe('mask', () => {
  const rows = [Z, [0, 3, 1, -2], [-1, -1, 5, -3]];

  it('sets the expert’s logit to −∞ in its layers only', () => {
    const masked = apply(['mask:layers=1-2,experts=2'], rows, 1);
    expect(Array.from(masked.logits).filter((_, i) => i % 4 === 2)).toEqual([NI, NI, NI]);
    expect(Array.from(masked.logits).filter((_, i) => i % 4 !== 2)).toEqual(rows.flat().filter((_, i) => i % 4 !== 2));
    expect(apply(['mask:layers=1-2,experts=2'], rows, 0).logits).toEqual(Float32Array.from(rows.flat()));
    expect(apply(['mask:layers=1-2,experts=2'], rows, 3).logits).toEqual(Float32Array.from(rows.flat()));
  });

  it('removes the expert from every token’s set under every policy, and p renormalises over the rest', () => {
    const masked = apply(['mask:layers=*,experts=2+0'], rows, 5);
    // token 2: [−∞, −1, −∞, −3] → p = [0, 1/(1 + e^−2), 0, e^−2/(1 + e^−2)] = [0, 0.880797, 0, 0.119203]
    close(probs(masked.logits, 3, 4).subarray(8, 12), [0, 0.880797, 0, 0.119203]);
    for (const name of POLICY_NAMES) {
      const p = createPolicy(name, { native: MIXTRAL, numExperts: 4 });
      const r = p.route({ layer: 5, T: 3, E: 4, logits: masked.logits, tokenIds: Int32Array.from([1, 2, 3]), hidden: Float32Array.from([1, 0, 0, 1, 1, 1]), D: 2, routerWeights: Float32Array.from([1, 0, 0, 1, -1, 0, 0, -1]) });
      expect(Array.from(r.experts), name).not.toContain(2);
      expect(Array.from(r.experts), name).not.toContain(0);
    }
  });
});

describe('temp', () => {
  it('divides the logits: t = 2 flattens, t = 0.5 sharpens, the order is kept', () => {
    const hot = apply(['temp:layers=*,t=2'], [Z]);
    expect(Array.from(hot.logits)).toEqual([1, 0.5, 0, -0.5]);
    // softmax([1, 0.5, 0, −0.5]): e^z = [2.718282, 1.648721, 1, 0.606531], Σ = 5.973534
    close(probs(hot.logits, 1, 4), [0.455054, 0.276004, 0.167405, 0.101536]);
    const cold = apply(['temp:layers=*,t=0.5'], [Z]);
    // softmax([4, 2, 0, −2]) = [0.864955, 0.117059, 0.015842, 0.002144]
    close(probs(cold.logits, 1, 4), [0.864955, 0.117059, 0.015842, 0.002144]);
    expect(topkSets(hot.logits, 1, 4)).toEqual(topkSets(Float32Array.from(Z), 1, 4));
  });

  it('composes in list order: bias then temp ≠ temp then bias', () => {
    // (z + [1, 0, 0, 0])/2 = [1.5, 0.5, 0, −0.5]; z/2 + [1, 0, 0, 0] = [2, 0.5, 0, −0.5]
    expect(Array.from(apply(['bias:layers=0,experts=0,value=1', 'temp:layers=0,t=2'], [Z]).logits)).toEqual([1.5, 0.5, 0, -0.5]);
    expect(Array.from(apply(['temp:layers=0,t=2', 'bias:layers=0,experts=0,value=1'], [Z]).logits)).toEqual([2, 0.5, 0, -0.5]);
  });
});

describe('upcycle', () => {
  it('adds a slot holding a copy of the expert’s logit, served by the same expert', () => {
    const r = apply(['upcycle:layers=0,experts=1,noise=0'], [[0, 2, -5, -5], [1, -1, 0, 0]]);
    expect(r.E).toBe(5);
    expect(Array.from(r.slotToExpert)).toEqual([0, 1, 2, 3, 1]);
    expect(Array.from(r.logits)).toEqual([0, 2, -5, -5, 2, 1, -1, 0, 0, -1]);
  });

  it('noise is seeded: reproducible, differs by seed and layer, and small for a small noise', () => {
    const a = apply(['upcycle:layers=*,experts=1,noise=0.1,seed=1'], [Z, Z]);
    expect(apply(['upcycle:layers=*,experts=1,noise=0.1,seed=1'], [Z, Z]).logits).toEqual(a.logits);
    expect(apply(['upcycle:layers=*,experts=1,noise=0.1,seed=2'], [Z, Z]).logits).not.toEqual(a.logits);
    expect(apply(['upcycle:layers=*,experts=1,noise=0.1,seed=1'], [Z, Z], 3).logits).not.toEqual(a.logits);
    for (const t of [0, 1]) {
      expect(row(a.logits, 5, t).slice(0, 4)).toEqual(Z);
      expect(a.logits[t * 5 + 4]).not.toBe(1);
      expect(Math.abs(a.logits[t * 5 + 4] - 1)).toBeLessThan(0.6); // 6σ of N(0, 0.1²)
    }
  });

  it('the noise is N(0, noise²) per token: mean ≈ 0, std ≈ noise over many tokens', () => {
    // 4000 tokens, noise 0.5: σ of the mean = 0.5/√4000 = 0.0079; the std within ±0.05 of 0.5
    const T = 4000;
    const r = apply(['upcycle:layers=0,experts=2,noise=0.5,seed=11'], Array.from({ length: T }, () => Z));
    const d = Array.from({ length: T }, (_, t) => r.logits[t * 5 + 4] - Z[2]);
    const mean = d.reduce((a, b) => a + b, 0) / T;
    const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / T);
    expect(Math.abs(mean)).toBeLessThan(0.04);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.05);
  });

  it('foldSlots maps slots back to their expert, summing gates and probabilities', () => {
    const r = apply(['upcycle:layers=0,experts=1,noise=0'], [[0, 2, -5, -5]]);
    // softmax over [0, 2, −5, −5, 2]: e^z = [1, 7.389056, 0.006738, 0.006738, 7.389056], Σ = 15.791588
    // p = [0.063325, 0.467911, 0.000427, 0.000427, 0.467911]
    const two = createPolicy('topk:k=2', { native: MIXTRAL, numExperts: 5 }).route({ layer: 0, T: 1, E: 5, logits: r.logits });
    expect(Array.from(two.experts)).toEqual([1, 4]); // both slots of expert 1 win, ½ each
    const f2 = foldSlots(two, r.slotToExpert, 4);
    expect(Array.from(f2.experts)).toEqual([1]);
    close(f2.gates, [1]);
    close(f2.probs, [0.063325, 2 * 0.467911, 0.000427, 0.000427]);
    // k = 3 → slots [1, 4, 0], gates over e² + e² + 1 = 15.778112: [0.468311, 0.468311, 0.063379]
    const three = createPolicy('topk:k=3', { native: MIXTRAL, numExperts: 5 }).route({ layer: 0, T: 1, E: 5, logits: r.logits });
    const f3 = foldSlots(three, r.slotToExpert, 4);
    expect(Array.from(f3.experts)).toEqual([1, 0]);
    close(f3.gates, [0.936621, 0.063379]);
    expect(Array.from(denseGates(f3, 4))).toEqual([f3.gates[1], f3.gates[0], 0, 0]);
  });

  it('after folding, experts stay best first by their summed gate', () => {
    // z = [1, 0.8, −5, −5] + a noiseless copy of expert 1 → slots [1, 0.8, −5, −5, 0.8]; top-3 = slots [0, 1, 4]
    // gates over e^1 + 2e^0.8 = 2.718282 + 4.451082 = 7.169364: [0.379152, 0.310424, 0.310424]
    // folded: expert 1 = 0.620848 > expert 0 = 0.379152 → expert 1 first
    const r = apply(['upcycle:layers=0,experts=1,noise=0'], [[1, 0.8, -5, -5]]);
    const routed = createPolicy('topk:k=3', { native: MIXTRAL, numExperts: 5 }).route({ layer: 0, T: 1, E: 5, logits: r.logits });
    expect(Array.from(routed.experts)).toEqual([0, 1, 4]);
    const f = foldSlots(routed, r.slotToExpert, 4);
    expect(Array.from(f.experts)).toEqual([1, 0]);
    close(f.gates, [0.620848, 0.379152]);
  });

  it('two upcycled experts get one slot each; a later mask masks every slot of an expert', () => {
    const r = apply(['upcycle:layers=0,experts=3+0,noise=0', 'mask:layers=0,experts=3'], [Z]);
    expect(Array.from(r.slotToExpert)).toEqual([0, 1, 2, 3, 3, 0]);
    expect(Array.from(r.logits)).toEqual([2, 1, 0, NI, NI, 2]);
  });
});

describe('denseGates and engine-level kinds', () => {
  it('denseGates writes each selected gate at [t, e], 0 elsewhere', () => {
    const r: Routing = {
      T: 2,
      E: 3,
      probs: new Float32Array(6),
      offsets: Int32Array.from([0, 2, 3]),
      experts: Int32Array.from([2, 0, 1]),
      gates: Float32Array.from([0.75, 0.25, 1]),
      dropped: new Uint8Array(2),
    };
    expect(Array.from(denseGates(r, 3))).toEqual([0.25, 0, 0.75, 0, 1, 0]);
  });

  it('skip, repeat and rewire leave the router logits alone (the engine applies them)', () => {
    const r = apply(['skip:layers=0', 'repeat:layers=0,n=3', 'rewire:layers=0'], [Z]);
    expect(r.E).toBe(4);
    expect(Array.from(r.logits)).toEqual(Z);
    expect(Array.from(r.slotToExpert)).toEqual([0, 1, 2, 3]);
  });

  it('does not write to its input and rejects experts out of range', () => {
    const x = Float32Array.from(Z);
    applyLogitInterventions(x, 1, 4, 0, ['bias:layers=0,experts=0,value=5', 'mask:layers=0,experts=1'].map(parseIntervention));
    expect(Array.from(x)).toEqual(Z);
    expect(() => apply(['mask:layers=0,experts=9'], [Z])).toThrow('mask: expert 9 out of range 0..3');
    expect(() => apply(['mask:layers=1,experts=9'], [Z])).not.toThrow(); // not in this layer
  });
});
