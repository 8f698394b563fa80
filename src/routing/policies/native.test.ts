// The routers real models ship with (`native`, per manifest), on logit rows worked out by hand.
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { close, input, route } from '../testing';
import type { NativeRouter } from '../types';

const NI = -Infinity;
const sigma = (x: number) => 1 / (1 + Math.exp(-x));

// Row z = [2, 1, 0, −1]: e^z = [7.389056, 2.718282, 1, 0.367879], Σ = 11.475217
// p = softmax(z) = [0.643914, 0.236883, 0.087144, 0.032059]
const Z = [2, 1, 0, -1];

describe('native softmax_topk (Mixtral, Qwen-MoE, OLMoE)', () => {
  const mixtral: NativeRouter = { type: 'softmax_topk', topK: 2, normTopkProb: true };
  const qwen: NativeRouter = { type: 'softmax_topk', topK: 2, normTopkProb: false };

  it('normTopkProb: top-2 of p renormalised over the two', () => {
    const r = route('native', [Z], mixtral);
    expect(r.sel).toEqual([[0, 1]]);
    // 0.643914 / (0.643914 + 0.236883) = 7.389056 / 10.107338 = 0.731059; 2.718282 / 10.107338 = 0.268941
    close(r.gates[0], [0.731059, 0.268941]);
  });

  it('without normTopkProb the gates are the raw softmax probabilities', () => {
    const r = route('native', [Z], qwen);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.643914, 0.236883]);
  });

  it('exposes p = softmax(z) as probs', () => {
    const r = createPolicy('native', { native: mixtral, numExperts: 4 }).route(input([Z]));
    close(r.probs, [0.643914, 0.236883, 0.087144, 0.032059]);
  });

  it('skips masked experts, breaks ties by lower index, drops an all-masked token', () => {
    // [5, −∞, 1, 1]: best 0, then a tie 2 = 3 → 2. Gates e^5/(e^5 + e^1) = 1/(1 + e^−4) = 0.982014, 0.017986
    const r = route('native', [[5, NI, 1, 1], [NI, NI, NI, NI]], mixtral);
    expect(r.sel).toEqual([[0, 2], []]);
    close(r.gates[0], [sigma(4), 1 - sigma(4)]);
    close(r.gates[0], [0.982014, 0.017986]);
    expect(r.dropped).toEqual([0, 1]);
  });

  it('top-1 with renormalisation gives gate 1 per token', () => {
    const r = route('native', [Z, [0, 0, 3, 0]], { type: 'softmax_topk', topK: 1, normTopkProb: true });
    expect(r.sel).toEqual([[0], [2]]);
    expect(r.gates).toEqual([[1], [1]]);
  });
});

describe('native topk_softmax (Granite-MoE)', () => {
  const granite: NativeRouter = { type: 'topk_softmax', topK: 2 };

  it('top-k of the logits, then a softmax over those k logits only', () => {
    // softmax([2, 1]) = [1/(1 + e^−1), e^−1/(1 + e^−1)] = [0.731059, 0.268941]
    const r = route('native', [Z], granite);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.731059, 0.268941]);
  });

  it('ignores the mass of the unchosen experts (unlike un-normalised softmax top-k)', () => {
    // E = 8, z = [1, 0, 0, 0, 0, 0, 0, 0]: Granite gates softmax([1, 0]) = [0.731059, 0.268941];
    // softmax over all 8 would give p0 = e/(e + 7) = 2.718282/9.718282 = 0.279708
    const row = [1, 0, 0, 0, 0, 0, 0, 0];
    const r = route('native', [row], granite);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.731059, 0.268941]);
    const q = route('native', [row], { type: 'softmax_topk', topK: 2, normTopkProb: false });
    close(q.gates[0], [0.279708, 1 / 9.718282]);
  });

  it('never picks a masked expert', () => {
    // [−∞, 3, −∞, 1], k = 2 → [1, 3], softmax([3, 1]) = [0.880797, 0.119203]
    const r = route('native', [[NI, 3, NI, 1]], granite);
    expect(r.sel).toEqual([[1, 3]]);
    close(r.gates[0], [0.880797, 0.119203]);
  });
});

describe('native sigmoid_bias_grouped (DeepSeek-V3)', () => {
  it('bias is used to choose, the unbiased sigmoid to gate; group limit; renormalise; scale', () => {
    // z = [0, 1, 0, −1]: s = σ(z) = [0.5, 0.731059, 0.5, 0.268941]
    // bias [0, 0, 0.5, 0] → choice = [0.5, 0.731059, 1.0, 0.268941]
    // group {0,1}: 0.5 + 0.731059 = 1.231059; group {2,3}: 1.0 + 0.268941 = 1.268941 → keep group 1 only
    // top-2 inside it: [2, 3] (expert 1, the second best overall, is outside the kept group)
    // gates = s / Σ = [0.5, 0.268941] / 0.768941 = [0.650244, 0.349756]; × routedScalingFactor 2
    const r = route('native', [[0, 1, 0, -1]], { type: 'sigmoid_bias_grouped', topK: 2, nGroup: 2, topkGroup: 1, normTopkProb: true, routedScalingFactor: 2, correctionBias: [0, 0, 0.5, 0] });
    expect(r.sel).toEqual([[2, 3]]);
    close(r.gates[0], [1.300487, 0.699513]);
  });

  it('8 experts in 4 groups, 2 groups kept, top-3, scale 2.5', () => {
    // z = [2, −2, 1, 1, 0, 3, −1, −1]
    // s = [0.880797, 0.119203, 0.731059, 0.731059, 0.5, 0.952574, 0.268941, 0.268941]
    // group scores (sum of the two best): g0 = 1.000000, g1 = 1.462117, g2 = 1.452574, g3 = 0.537883
    // keep g1, g2 → candidates 2, 3, 4, 5 → top-3 = [5, 2, 3] (2 and 3 tie: lower index first)
    // expert 0 (s = 0.880797, second best overall) is excluded by the group limit.
    // Σ = 0.952574 + 2·0.731059 = 2.414691; gates = [0.394491, 0.302754, 0.302754] × 2.5
    const r = route('native', [[2, -2, 1, 1, 0, 3, -1, -1]], { type: 'sigmoid_bias_grouped', topK: 3, nGroup: 4, topkGroup: 2, normTopkProb: true, routedScalingFactor: 2.5 });
    expect(r.sel).toEqual([[5, 2, 3]]);
    close(r.gates[0], [0.986228, 0.756886, 0.756886]);
    expect(r.gates[0].reduce((a, b) => a + b, 0)).toBeCloseTo(2.5, 5); // renormalised, then scaled
  });

  it('the correction bias changes the choice but never the gate value', () => {
    // one group, top-1, no renormalisation: z = [1, 0], s = [0.731059, 0.5]
    const base = { type: 'sigmoid_bias_grouped', topK: 1, nGroup: 1, topkGroup: 1, normTopkProb: false, routedScalingFactor: 1 } as const;
    const plain = route('native', [[1, 0]], base);
    expect(plain.sel).toEqual([[0]]);
    close(plain.gates[0], [sigma(1)]);
    // bias [0, 0.3] → choice [0.731059, 0.8] → expert 1, gated with its unbiased s = σ(0) = 0.5 (not 0.8)
    const biased = route('native', [[1, 0]], { ...base, correctionBias: [0, 0.3] });
    expect(biased.sel).toEqual([[1]]);
    close(biased.gates[0], [0.5]);
  });

  it('a masked expert drops out of its group’s score without sinking its group-mates', () => {
    // z = [5, −∞, −1, −1], 2 groups of 2, keep 1 group, top-1. s = [0.993307, 0 (masked), 0.268941, 0.268941]
    // group {0,1}: its only unmasked expert, 0.993307 (the masked one adds nothing, as σ(−∞) = 0);
    // group {2,3}: 0.268941 + 0.268941 = 0.537883 → keep group 0 → expert 0, gate 1 after renormalisation
    const r = route('native', [[5, NI, -1, -1]], { type: 'sigmoid_bias_grouped', topK: 1, nGroup: 2, topkGroup: 1, normTopkProb: true, routedScalingFactor: 1 });
    expect(r.sel).toEqual([[0]]);
    close(r.gates[0], [1]);
    // a fully masked group is never kept while another group has an expert: [−∞, −∞, −1, −3] → group 1 → [2]
    expect(route('native', [[NI, NI, -1, -3]], { type: 'sigmoid_bias_grouped', topK: 1, nGroup: 2, topkGroup: 1, normTopkProb: true, routedScalingFactor: 1 }).sel).toEqual([[2]]);
  });

  it('rejects an expert count that does not split into the groups', () => {
    const p = createPolicy('native', { native: { type: 'sigmoid_bias_grouped', topK: 1, nGroup: 3, topkGroup: 1, normTopkProb: true, routedScalingFactor: 1 }, numExperts: 4 });
    expect(() => p.route(input([Z]))).toThrow('sigmoid_bias_grouped: 4 experts do not split into 3 groups');
  });
});

describe('native sparsemixer (PhiMoE)', () => {
  const phi = (jitterEps = 0.01, topK = 2): NativeRouter => ({ type: 'sparsemixer', topK, jitterEps });

  it('each gate is a softmax over the logits within 2ε (relative) of the current max', () => {
    // z = [2, 1.99, 0, −1], ε = 0.01. Round 1: max 2; (2 − z)/max(|z|, 2) = [0, 0.005, 1, 1.5] → keep {0, 1}
    // gate = softmax([2, 1.99])[0] = 1/(1 + e^−0.01) = 0.502500. Round 2 without expert 0: max 1.99,
    // (1.99 − z)/max(|z|, 1.99) = [·, 0, 1, 1.5] → only expert 1 → gate 1.
    const r = route('native', [[2, 1.99, 0, -1]], phi());
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.5025, 1], 4);
  });

  it('a clear winner gets gate 1; the runner-up shares with its near tie', () => {
    // z = [3, 1, 0.99, −1]: round 1 (3 − z)/3 = [0, 0.667, 0.67, 1.33] → only expert 0 → gate 1
    // round 2: max 1 (expert 1); (1 − z)/max(|z|, 1) = [·, 0, 0.01, 2] → {1, 2} kept
    // gate = softmax([1, 0.99])[0] = 1/(1 + e^−0.01) = 0.502500
    const r = route('native', [[3, 1, 0.99, -1]], phi());
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [1, 0.5025], 4);
  });

  it('the 2ε window is relative to max(|z|, z_max), not an absolute gap', () => {
    // z = [10, 9.85, 0, 0]: (10 − 9.85)/max(9.85, 10) = 0.015 ≤ 0.02 → kept, although the absolute gap 0.15 > 0.02
    // gate = softmax([10, 9.85])[0] = 1/(1 + e^−0.15) = 0.537430
    const r = route('native', [[10, 9.85, 0, 0]], phi(0.01, 1));
    expect(r.sel).toEqual([[0]]);
    close(r.gates[0], [0.53743], 4);
  });

  it('negative logits: the factor is |z_e|', () => {
    // z = [−1, −1.01, −5, −6]: thr = −1, factor max(|z|, −1) = |z| → (−1 + 1.01)/1.01 = 0.0099 ≤ 0.02 → kept;
    // (−1 + 5)/5 = 0.8 → dropped. gate = softmax([−1, −1.01])[0] = 0.502500
    const r = route('native', [[-1, -1.01, -5, -6]], phi(0.01, 1));
    expect(r.sel).toEqual([[0]]);
    close(r.gates[0], [0.5025], 4);
  });

  it('never picks a masked expert', () => {
    // [−∞, 2, 1.99, −∞]: round 1 → 1 with softmax([2, 1.99])[0]; round 2 → 2 alone, gate 1
    const r = route('native', [[NI, 2, 1.99, NI]], phi());
    expect(r.sel).toEqual([[1, 2]]);
    close(r.gates[0], [0.5025, 1], 4);
  });
});
