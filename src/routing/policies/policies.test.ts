// Every router policy on small logit matrices whose answers are worked out by hand in comments.
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { hash32 } from './static';
import type { NativeRouter, RouteInput, Routing } from '../types';

const MIXTRAL: NativeRouter = { type: 'softmax_topk', topK: 2, normTopkProb: true };

function input(rows: number[][], extra: Partial<RouteInput> = {}): RouteInput {
  return { layer: 0, T: rows.length, E: rows[0].length, logits: Float32Array.from(rows.flat()), ...extra };
}

function lists(r: Routing) {
  const sel: number[][] = [];
  const gates: number[][] = [];
  for (let t = 0; t < r.T; t++) {
    sel.push(Array.from(r.experts.subarray(r.offsets[t], r.offsets[t + 1])));
    gates.push(Array.from(r.gates.subarray(r.offsets[t], r.offsets[t + 1])));
  }
  return { sel, gates, dropped: Array.from(r.dropped) };
}

function route(spec: string, rows: number[][], native: NativeRouter = MIXTRAL, extra: Partial<RouteInput> = {}) {
  return lists(createPolicy(spec, { native, numExperts: rows[0].length }).route(input(rows, extra)));
}

const close = (a: number[], b: number[], digits = 5) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], digits));

// Row z = [2, 1, 0, −1]: e^z = [7.389056, 2.718282, 1, 0.367879], Σ = 11.475217
// p = [0.643914, 0.236883, 0.087144, 0.032059]
const Z = [2, 1, 0, -1];

describe('native routers', () => {
  it('Mixtral softmax → top-2 → renormalise; Qwen/OLMoE without renormalisation', () => {
    const m = route('native', [Z]);
    expect(m.sel).toEqual([[0, 1]]);
    close(m.gates[0], [0.731059, 0.268941]); // 0.643914 / 0.880797, 0.236883 / 0.880797
    const q = route('native', [Z], { type: 'softmax_topk', topK: 2, normTopkProb: false });
    close(q.gates[0], [0.643914, 0.236883]);
  });

  it('Granite top-k on logits then softmax over the k equals renormalised softmax top-k', () => {
    const g = route('native', [Z], { type: 'topk_softmax', topK: 2 });
    expect(g.sel).toEqual([[0, 1]]);
    close(g.gates[0], [1 / (1 + Math.exp(-1)), 1 - 1 / (1 + Math.exp(-1))]); // softmax([2, 1])
  });

  it('DeepSeek-V3: sigmoid, bias only for choice, group-limited top-k, unbiased renormalised gates × scale', () => {
    // z = [0, 1, 0, −1]: s = [0.5, 0.731059, 0.5, 0.268941]; bias [0, 0, 0.5, 0] → choice [0.5, 0.731059, 1.0, 0.268941]
    // groups {0,1}: 0.5 + 0.731059 = 1.231059; {2,3}: 1.0 + 0.268941 = 1.268941 → keep group 1
    // top-2 in it: [2, 3]; gates s = [0.5, 0.268941] / 0.768941 = [0.650244, 0.349756], × 2
    const r = route('native', [[0, 1, 0, -1]], { type: 'sigmoid_bias_grouped', topK: 2, nGroup: 2, topkGroup: 1, normTopkProb: true, routedScalingFactor: 2, correctionBias: [0, 0, 0.5, 0] });
    expect(r.sel).toEqual([[2, 3]]);
    close(r.gates[0], [1.300487, 0.699513]);
  });

  it('PhiMoE sparsemixer: each gate is a softmax over the logits within 2ε of the current max', () => {
    // z = [2, 1.99, 0, −1], ε = 0.01. Round 1: max 2; (2 − z)/max(|z|, 2) = [0, 0.005, 1, 1.5] → keep {0, 1}
    // gate = softmax([2, 1.99])[0] = 1/(1 + e^−0.01) = 0.502500. Round 2 without expert 0: max 1.99,
    // (1.99 − z)/max(|z|, 1.99) = [·, 0, 1, 1.5] → only expert 1 → gate 1.
    const r = route('native', [[2, 1.99, 0, -1]], { type: 'sparsemixer', topK: 2, jitterEps: 0.01 });
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.5025, 1], 4);
  });
});

describe('stateless policies', () => {
  it('topk with and without renormalisation', () => {
    close(route('topk:k=2,renorm=0', [Z]).gates[0], [0.643914, 0.236883]);
    close(route('topk:k=3', [Z]).gates[0], [0.665241, 0.244728, 0.090031]); // p / 0.967941
  });

  it('topp keeps the smallest prefix whose mass exceeds p, with raw probabilities', () => {
    const a = route('topp:p=0.5', [Z]); // 0.643914 > 0.5 already
    expect(a.sel).toEqual([[0]]);
    close(a.gates[0], [0.643914]);
    const b = route('topp:p=0.7', [Z]); // 0.643914 ≤ 0.7, + 0.236883 = 0.880797 > 0.7
    expect(b.sel).toEqual([[0, 1]]);
    close(b.gates[0], [0.643914, 0.236883]);
    expect(route('topp:p=0.95', [Z]).sel).toEqual([[0, 1, 2]]); // 0.880797 ≤ 0.95 < 0.967941
    expect(route('topp:p=0.97', [Z]).sel).toEqual([[0, 1, 2, 3]]); // needs the last one too
  });

  it('capacity never gives an expert more than C tokens and drops overflow in token order', () => {
    // T = 4, E = 2, k = 1, cf = 1 → C = ceil(1·4·1/2) = 2; every token prefers expert 0
    const r = route('capacity:k=1,cf=1', [[1, 0], [1, 0], [1, 0], [0, 1]]);
    expect(r.sel).toEqual([[0], [0], [], [1]]);
    expect(r.dropped).toEqual([0, 0, 1, 0]);
  });

  it('expert choice gives each expert exactly its quota round(c·T/E) and is flagged non-causal', () => {
    // p(e0) per token = [0.880797, 0.731059, 0.5, 0.268941]; q = round(1·4/2) = 2
    const rows = [[2, 0], [1, 0], [0, 0], [0, 1]];
    const r = route('expert-choice:c=1', rows);
    expect(r.sel).toEqual([[0], [0], [1], [1]]);
    const counts = [0, 0];
    r.sel.flat().forEach((e) => counts[e]++);
    expect(counts).toEqual([2, 2]);
    expect(createPolicy('expert-choice', { native: MIXTRAL, numExperts: 2 }).causal).toBe(false);
  });

  it('null experts renormalise over true experts and may leave a token with none', () => {
    // [2, −2] with 2 nulls at mean(z) + 0 = 0: softmax over [2, −2, 0, 0] → top-2 = expert 0 and a null
    const a = route('null:m=2,k=2,offset=0', [[2, -2]]);
    expect(a.sel).toEqual([[0]]);
    close(a.gates[0], [1]);
    // [−2, −2] with offset 1 → nulls at −1 beat both experts: no true expert, dropped
    const b = route('null:m=2,k=2,offset=1', [[-2, -2]]);
    expect(b.sel).toEqual([[]]);
    expect(b.dropped).toEqual([1]);
  });

  it('hash is a function of the token id only', () => {
    // murmur3 fmix32 computed independently (Python): 5 → 3423425485, 7 → 415870660, 42 → 142593372
    expect([5, 7, 42].map(hash32)).toEqual([3423425485, 415870660, 142593372]);
    const a = route('hash', [Z, [0, 0, 0, 9], Z], MIXTRAL, { tokenIds: Int32Array.from([5, 5, 7]) });
    expect(a.sel).toEqual([[3423425485 % 4], [3423425485 % 4], [415870660 % 4]]);
  });

  it('random is a reproducible table per seed', () => {
    const ids = Int32Array.from([1, 2, 3, 1, 4, 5, 6, 7]);
    const rows = Array.from({ length: 8 }, () => Z);
    const a = route('random:k=2,seed=3', rows, MIXTRAL, { tokenIds: ids });
    expect(route('random:k=2,seed=3', rows, MIXTRAL, { tokenIds: ids })).toEqual(a);
    expect(a.sel[0]).toEqual(a.sel[3]); // same token id, same experts
    expect(route('random:k=2,seed=4', rows, MIXTRAL, { tokenIds: ids }).sel).not.toEqual(a.sel);
    a.gates.forEach((g) => close(g, [0.5, 0.5]));
  });

  it('sample is reproducible for a seed and differs across seeds', () => {
    const rows = Array.from({ length: 12 }, (_, t) => [0.1 * t, 0, 0.2, -0.1]);
    const a = route('sample:k=2,T=1,seed=1', rows);
    expect(route('sample:k=2,T=1,seed=1', rows)).toEqual(a);
    expect(route('sample:k=2,T=1,seed=2', rows).sel).not.toEqual(a.sel);
    a.gates.forEach((g) => expect(g[0] + g[1]).toBeCloseTo(1, 6));
  });

  it('tsallis goes dense for flat rows and top-k for peaked ones', () => {
    // flat: S₂ = 1 − 4/16 = 0.75 = its maximum > 0.9·0.75 → dense; peaked [5,0,0,0]: S₂ ≈ 0.039 → top-2
    const r = route('tsallis:k=2,q=2,threshold=0.9', [[0, 0, 0, 0], [5, 0, 0, 0]]);
    expect(r.sel[0]).toEqual([0, 1, 2, 3]);
    close(r.gates[0], [0.25, 0.25, 0.25, 0.25]);
    expect(r.sel[1]).toEqual([0, 1]);
  });

  it('dense uses every expert with its probability', () => {
    const r = route('dense', [Z]);
    expect(r.sel).toEqual([[0, 1, 2, 3]]);
    close(r.gates[0], [0.643914, 0.236883, 0.087144, 0.032059]);
  });
});

describe('geometric and stateful policies', () => {
  const W = Float32Array.from([1, 0, 0, 1, -1, 0]); // anchors e0 = (1,0), e1 = (0,1), e2 = (−1,0)

  it('cosine: softmax(τ·cos(h, a_e)) with router rows as anchors', () => {
    // h = (1, 0): cos = [1, 0, −1]; τ = 1 → p ∝ [e, 1, 1/e] → top-2 renormalised = [0.731059, 0.268941]
    const r = route('cosine:k=2,tau=1', [[0, 0, 0]], MIXTRAL, { hidden: Float32Array.from([1, 0]), D: 2, routerWeights: W });
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.731059, 0.268941]);
  });

  it('kmeans moves centroids to the running mean of their tokens; reset forgets', () => {
    const p = createPolicy('kmeans:k=1,tau=10', { native: MIXTRAL, numExperts: 2 });
    // h0 = (1,1): cos ties (0.7071) → expert 0; μ0 = (1,0) + ((1,1) − (1,0))/2 = (1, 0.5)
    // h1 = (0,1): cos(μ0) = 0.5/1.1180 = 0.447 < cos(μ1) = 1 → expert 1; μ1 stays (0,1), n1 = 2
    const r = lists(p.route(input([[0, 0], [0, 0]], { hidden: Float32Array.from([1, 1, 0, 1]), D: 2, routerWeights: Float32Array.from([1, 0, 0, 1]) })));
    expect(r.sel).toEqual([[0], [1]]);
    expect(Array.from(p.state(0)!.centroids!)).toEqual([1, 0.5, 0, 1]);
    expect(Array.from(p.state(0)!.counts!)).toEqual([2, 2]);
    p.reset();
    expect(p.state(0)).toBeUndefined();
  });

  it('balance-bias lowers MaxVio over successive blocks of skewed logits', () => {
    const p = createPolicy('balance-bias:k=1,u=0.05,block=16', { native: MIXTRAL, numExperts: 4 });
    // Seeded pseudo-random logits with expert 0 favoured by +1.
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const maxVio = (sel: number[][]) => {
      const c = [0, 0, 0, 0];
      sel.forEach((x) => x.forEach((e) => c[e]++));
      const ideal = sel.length / 4;
      return (Math.max(...c) - ideal) / ideal;
    };
    const vios: number[] = [];
    for (let b = 0; b < 30; b++) {
      const rows = Array.from({ length: 16 }, () => [1 + rnd(), rnd(), rnd(), rnd()]);
      vios.push(maxVio(lists(p.route(input(rows))).sel));
    }
    const late = vios.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(vios[0]).toBeGreaterThan(1);
    expect(late).toBeLessThan(vios[0] / 2);
    expect(p.state(0)!.bias![0]).toBeLessThan(0); // the favoured expert was pushed down
  });
});
