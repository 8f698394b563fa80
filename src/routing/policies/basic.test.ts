// Stateless policies over the router's own probabilities: topk, topp, dense, tsallis, sample, null.
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { tsallisEntropy } from './basic';
import { close, input, lists, MIXTRAL, route } from '../testing';

const NI = -Infinity;

// Row z = [2, 1, 0, −1]: e^z = [7.389056, 2.718282, 1, 0.367879], Σ = 11.475217
// p = [0.643914, 0.236883, 0.087144, 0.032059]; cumulative: 0.643914, 0.880797, 0.967941, 1
const Z = [2, 1, 0, -1];

describe('topk', () => {
  it('renorm=1 (default): gates are p of the k best over their sum', () => {
    const r = route('topk:k=2', [Z]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.731059, 0.268941]); // 0.643914/0.880797, 0.236883/0.880797
    // k = 3: p / 0.967941 = [0.665241, 0.244728, 0.090031]
    close(route('topk:k=3', [Z]).gates[0], [0.665241, 0.244728, 0.090031]);
  });

  it('renorm=0: gates are the raw probabilities', () => {
    const r = route('topk:k=2,renorm=0', [Z]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.643914, 0.236883]);
  });

  it('per token, best first, masked experts skipped', () => {
    // token 1 = [−∞, 0, 2, 1]: best 2, then 3; softmax over {0, 2, 1} → p = [0.090031, 0.665241, 0.244728]
    // renormalised over {2, 3}: 0.665241/0.909969 = 0.731059, 0.268941
    const r = route('topk:k=2', [Z, [NI, 0, 2, 1]]);
    expect(r.sel).toEqual([[0, 1], [2, 3]]);
    close(r.gates[1], [0.731059, 0.268941]);
  });

  it('an unmasked expert whose float32 probability underflows to 0 is still chosen, a masked one never', () => {
    // z = [0, −200, −∞, −300]: p = [1, e^−200 → 0 in float32, 0, 0]. k = 2 must still give two
    // experts: 0 and the next best logit (1), never the masked 2; gates [1, 0] after renorm.
    const r = route('topk:k=2', [[0, -200, NI, -300]]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [1, 0]);
    expect(route('native', [[0, -200, NI, -300]]).sel).toEqual([[0, 1]]);
  });
});

describe('topp', () => {
  it('keeps the smallest prefix whose mass exceeds p, with raw probabilities as gates', () => {
    const a = route('topp:p=0.5', [Z]); // 0.643914 > 0.5 already
    expect(a.sel).toEqual([[0]]);
    close(a.gates[0], [0.643914]);
    const b = route('topp:p=0.7', [Z]); // 0.643914 ≤ 0.7; + 0.236883 = 0.880797 > 0.7
    expect(b.sel).toEqual([[0, 1]]);
    close(b.gates[0], [0.643914, 0.236883]);
    expect(route('topp:p=0.95', [Z]).sel).toEqual([[0, 1, 2]]); // 0.880797 ≤ 0.95 < 0.967941
    expect(route('topp:p=0.97', [Z]).sel).toEqual([[0, 1, 2, 3]]); // 0.967941 ≤ 0.97: needs the last one
  });

  it('adapts the count per token: a flat row needs more experts than a peaked one', () => {
    // flat [0, 0, 0, 0]: 0.25 per expert, > 0.4 needs 2 (0.5); peaked [4, 0, 0, 0]: p0 = e^4/(e^4 + 3) = 0.947915
    const r = route('topp:p=0.4', [[0, 0, 0, 0], [4, 0, 0, 0]]);
    expect(r.sel).toEqual([[0, 1], [0]]);
    close(r.gates[0], [0.25, 0.25]);
    close(r.gates[1], [Math.exp(4) / (Math.exp(4) + 3)]);
  });

  it('skips masked experts', () => {
    // [−∞, 1, 1, −∞]: p = [0, ½, ½, 0]; p = 0.9 needs both unmasked ones, never the masked
    const r = route('topp:p=0.9', [[NI, 1, 1, NI]]);
    expect(r.sel).toEqual([[1, 2]]);
    close(r.gates[0], [0.5, 0.5]);
  });
});

describe('dense', () => {
  it('uses every expert, best first, with gates = p', () => {
    const r = route('dense', [Z]);
    expect(r.sel).toEqual([[0, 1, 2, 3]]);
    close(r.gates[0], [0.643914, 0.236883, 0.087144, 0.032059]);
  });

  it('leaves masked experts out', () => {
    // [0, −∞, ln 3, −∞]: p = [¼, 0, ¾, 0]
    const r = route('dense', [[0, NI, Math.log(3), NI]]);
    expect(r.sel).toEqual([[2, 0]]);
    close(r.gates[0], [0.75, 0.25]);
  });
});

describe('tsallis', () => {
  it('tsallisEntropy: S_q(p) = (1 − Σ p^q)/(q − 1), Shannon at q = 1', () => {
    expect(tsallisEntropy([0.5, 0.5], 2)).toBeCloseTo(0.5, 12); // 1 − 2·¼
    expect(tsallisEntropy([0.5, 0.5], 3)).toBeCloseTo(0.375, 12); // (1 − 2·⅛)/2
    expect(tsallisEntropy([0.5, 0.5], 1)).toBeCloseTo(Math.LN2, 12); // −2·½·ln ½
    expect(tsallisEntropy([1, 0, 0], 2)).toBe(0);
  });

  it('switches to dense routing above threshold × max entropy, top-k (renormalised) below', () => {
    // z = [ln 2, 0, 0, 0] → p = [0.4, 0.2, 0.2, 0.2]; S₂ = 1 − (0.16 + 3·0.04) = 0.72
    // max S₂ over 4 experts = 1 − 4·(1/16) = 0.75 → ratio 0.72/0.75 = 0.96
    const row = [Math.log(2), 0, 0, 0];
    const dense = route('tsallis:k=2,q=2,threshold=0.95', [row]); // 0.96 > 0.95 → dense
    expect(dense.sel).toEqual([[0, 1, 2, 3]]);
    close(dense.gates[0], [0.4, 0.2, 0.2, 0.2]);
    const sparse = route('tsallis:k=2,q=2,threshold=0.97', [row]); // 0.96 ≤ 0.97 → top-2
    expect(sparse.sel).toEqual([[0, 1]]);
    close(sparse.gates[0], [2 / 3, 1 / 3]); // 0.4/0.6, 0.2/0.6
  });

  it('decides per token: flat row dense, peaked row top-k', () => {
    // flat: S₂ = 0.75 = max > 0.9·0.75; peaked [5, 0, 0, 0]: p0 = e^5/(e^5 + 3) = 0.980187, S₂ = 0.039103 → top-2
    // top-2 renormalised: e^5/(e^5 + 1) = 0.993307, 0.006693
    const r = route('tsallis:k=2,q=2,threshold=0.9', [[0, 0, 0, 0], [5, 0, 0, 0]]);
    expect(r.sel).toEqual([[0, 1, 2, 3], [0, 1]]);
    close(r.gates[0], [0.25, 0.25, 0.25, 0.25]);
    close(r.gates[1], [0.993307, 0.006693]);
  });

  it('measures the maximum over the unmasked experts only', () => {
    // [0, 0, −∞, −∞]: p = [½, ½, 0, 0], S₂ = ½ = the max for 2 experts → dense over {0, 1} only
    const r = route('tsallis:k=1,q=2,threshold=0.9', [[0, 0, NI, NI]]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.5, 0.5]);
  });
});

describe('sample (Gumbel top-k)', () => {
  const rows = Array.from({ length: 12 }, (_, t) => [0.1 * t, 0, 0.2, -0.1]);

  it('is reproducible for a seed and differs across seeds', () => {
    const a = route('sample:k=2,T=1,seed=1', rows);
    expect(route('sample:k=2,T=1,seed=1', rows)).toEqual(a);
    expect(route('sample:k=2,T=1,seed=2', rows).sel).not.toEqual(a.sel);
  });

  it('gates are the unbiased softmax of the chosen, renormalised', () => {
    const r = route('sample:k=2,T=1,seed=5', rows);
    r.sel.forEach((s, t) => {
      const z = rows[t];
      // p_a/(p_a + p_b) = e^{z_a}/(e^{z_a} + e^{z_b}) whichever pair was drawn
      const w = s.map((e) => Math.exp(z[e]));
      close(r.gates[t], w.map((x) => x / (w[0] + w[1])));
    });
  });

  it('at a tiny temperature it is plain top-k (z/T gaps of 100 dwarf the Gumbel noise)', () => {
    // T = 0.01 turns unit logit gaps into gaps of 100; Gumbel noise of the rng stays within [−3.4, 27.7]
    const r = route('sample:k=2,T=0.01,seed=9', [[3, 0, 2, 1], [0, 1, 2, 3]]);
    expect(r.sel).toEqual([[0, 2], [3, 2]]);
  });

  it('with T = 1 and k = 1 the top-1 frequency follows p (Gumbel-max trick)', () => {
    // z = [1, 0, 0, −1]: p = e^z/Σ, Σ = e + 2 + e^−1 = 5.086161 → p0 = 0.534447, p3 = 0.072329
    // 4000 draws: σ(p0) = √(0.534·0.466/4000) = 0.0079; allow 0.03 (≈ 4σ)
    const N = 4000;
    const r = createPolicy('sample:k=1,T=1,seed=3', { native: MIXTRAL, numExperts: 4 }).route(input(Array.from({ length: N }, () => [1, 0, 0, -1])));
    const c = [0, 0, 0, 0];
    for (const e of r.experts) c[e]++;
    expect(c[0] / N).toBeCloseTo(0.534447, 1);
    expect(Math.abs(c[0] / N - 0.534447)).toBeLessThan(0.03);
    expect(Math.abs(c[3] / N - 0.072329)).toBeLessThan(0.02);
    expect(Array.from(r.gates).every((g) => g === 1)).toBe(true);
  });

  it('never samples a masked expert', () => {
    const r = route('sample:k=2,T=100,seed=1', Array.from({ length: 50 }, () => [NI, 0, 0, NI]));
    for (const s of r.sel) expect(s.slice().sort()).toEqual([1, 2]);
  });
});

describe('null (AdaMoE)', () => {
  it('renormalises over the true experts among the top-k of E + m', () => {
    // z = [2, 1, −3], m = 2 nulls at mean(z) + 0 = 0: scores over [2, 1, −3, 0, 0]
    // top-3 = e0 (2), e1 (1), a null (0) → true experts [0, 1]; gates e²/(e² + e) = 0.731059, 0.268941
    const r = route('null:m=2,k=3,offset=0', [[2, 1, -3]]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.731059, 0.268941]);
    expect(r.dropped).toEqual([0]);
  });

  it('a higher null offset leaves fewer true experts, down to none (dropped)', () => {
    // offset 1.5 → nulls at 1.5: top-3 = e0 (2), null, null → [0] with gate 1
    const a = route('null:m=2,k=3,offset=1.5', [[2, 1, -3]]);
    expect(a.sel).toEqual([[0]]);
    close(a.gates[0], [1]);
    // offset 2.5 → nulls at 2.5 beat everything; k = 2 → both nulls → no true expert, dropped
    const b = route('null:m=2,k=2,offset=2.5', [[2, 1, -3]]);
    expect(b.sel).toEqual([[]]);
    expect(b.dropped).toEqual([1]);
  });

  it('adaptive count per token in one block', () => {
    // token 0 = [2, −2]: nulls at 0 → top-2 = e0, null → [0]
    // token 1 = [−2, −2] with the same offset 0: nulls at −2 tie the experts; ties go to the true experts → [0, 1]
    const r = route('null:m=2,k=2,offset=0', [[2, -2], [-2, -2]]);
    expect(r.sel).toEqual([[0], [0, 1]]);
    close(r.gates[1], [0.5, 0.5]);
  });

  it('the null logit is the mean of the unmasked logits only', () => {
    // z = [2, −∞, 0]: mean over {2, 0} = 1 → null at 1; k = 3 over [2, −∞, 0, 1] → e0, null, e2
    // true experts [0, 2]: e²/(e² + 1) = 0.880797, 0.119203
    const r = route('null:m=1,k=3,offset=0', [[2, NI, 0]]);
    expect(r.sel).toEqual([[0, 2]]);
    close(r.gates[0], [0.880797, 0.119203]);
    // z = [2, −∞, 1], k = 2: null at mean(2, 1) = 1.5 beats expert 2 → [0] alone
    // (a mean over all three columns, 3/3 = 1, would tie expert 2 and lose the tie to it)
    expect(route('null:m=1,k=2,offset=0', [[2, NI, 1]]).sel).toEqual([[0]]);
  });

  it('k may exceed the number of true experts (it counts null slots too)', () => {
    const p = createPolicy('null:m=8,k=4', { native: MIXTRAL, numExperts: 2 });
    const r = lists(p.route(input([[3, -3]])));
    // nulls at 0: top-4 of [3, −3, 0×8] = e0 and three nulls → [0]
    expect(r.sel).toEqual([[0]]);
  });
});
