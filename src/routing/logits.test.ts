// Pure maths over next-token logits: log-softmax, per-token loss, top-N, KL, sampling.
import { describe, expect, it } from 'vitest';
import { klLogits, logSoftmaxRow, sampleNext, tokenLosses, tokenLossesFromLogProbs, topNext } from './logits';
import { createRng } from './rng';

describe('logSoftmaxRow and tokenLosses', () => {
  it('log-softmax of a row', () => {
    // row 1 of [[0, 0], [2, 0]]: lse = ln(e² + 1) = 2.126928 → [2 − 2.126928, −2.126928]
    const ls = logSoftmaxRow(Float32Array.from([0, 0, 2, 0]), 2, 1);
    expect(ls[0]).toBeCloseTo(2 - Math.log(Math.exp(2) + 1), 10);
    expect(ls[1]).toBeCloseTo(-2.126928, 6);
  });

  it('NLL of token t+1 from row t, in nats', () => {
    // V = 2. row 0 = [0, 0] → p = ½, ½; token 1 follows → ln 2 = 0.693147
    // row 1 = [2, 0]; token 0 follows → −ln(e²/(e² + 1)) = ln(1 + e^−2) = 0.126928
    const logits = Float32Array.from([0, 0, 2, 0, 5, 5]);
    const l = tokenLosses(logits, 2, [0, 1, 0]);
    expect(l).toHaveLength(2);
    expect(l[0]).toBeCloseTo(Math.LN2, 10);
    expect(l[1]).toBeCloseTo(0.126928, 6);
    // the unlikely continuation: −ln(1/(e² + 1)) = ln(e² + 1) = 2.126928
    expect(tokenLosses(logits, 2, [0, 1, 1])[1]).toBeCloseTo(2.126928, 6);
    expect(tokenLosses(logits, 2, [7])).toEqual([]); // one token: nothing to predict
  });

  it('from log-probabilities the NLL is a gather, equal to tokenLosses on the logits', () => {
    // the rows above as log-probs: row 0 = [−ln 2, −ln 2], row 1 = [2 − 2.126928, −2.126928]
    const logits = Float32Array.from([0, 0, 2, 0, 5, 5]);
    const lp = Float32Array.from([0, 1, 2].flatMap((r) => Array.from(logSoftmaxRow(logits, 2, r))));
    const l = tokenLossesFromLogProbs(lp, 2, [0, 1, 1]);
    expect(l[0]).toBeCloseTo(Math.LN2, 6);
    expect(l[1]).toBeCloseTo(2.126928, 6);
    tokenLosses(logits, 2, [0, 1, 0]).forEach((x, i) => expect(tokenLossesFromLogProbs(lp, 2, [0, 1, 0])[i]).toBeCloseTo(x, 6));
    expect(tokenLossesFromLogProbs(lp, 2, [7])).toEqual([]);
  });

  it('is stable for large logits', () => {
    // [1000, 0]: −ln softmax = ln(1 + e^−1000) ≈ 0 for token 0, 1000 for token 1
    const logits = Float32Array.from([1000, 0]);
    expect(tokenLosses(logits, 2, [0, 0])[0]).toBeCloseTo(0, 10);
    expect(tokenLosses(logits, 2, [0, 1])[0]).toBeCloseTo(1000, 6);
  });
});

describe('topNext', () => {
  it('the N most likely tokens with probabilities, best first, ties to the lower id', () => {
    // row = [1, 3, 3, 0, 2]: e^z = [2.718282, 20.085537, 20.085537, 1, 7.389056], Σ = 51.278412
    // p = [0.053010, 0.391696, 0.391696, 0.019501, 0.144097]
    const logits = Float32Array.from([9, 9, 9, 9, 9, 1, 3, 3, 0, 2]);
    const top = topNext(logits, 5, 1, 3);
    expect(top.map((x) => x.id)).toEqual([1, 2, 4]);
    top.forEach((x, i) => expect(x.p).toBeCloseTo([0.391696, 0.391696, 0.144097][i], 6));
    expect(topNext(logits, 5, 1, 10).map((x) => x.id)).toEqual([1, 2, 4, 0, 3]); // N > V: all, sorted
    expect(topNext(logits, 5, 0, 2).map((x) => x.id)).toEqual([0, 1]); // all equal: lowest ids
    expect(topNext(logits, 5, 0, 1)[0].p).toBeCloseTo(0.2, 6);
  });
});

describe('klLogits', () => {
  it('is 0 for identical distributions (also under a shift of the logits)', () => {
    const a = Float32Array.from([0.3, -1, 2]);
    expect(klLogits(a, a, 3)).toBe(0);
    expect(klLogits(a, Float32Array.from([5.3, 4, 7]), 3)).toBeCloseTo(0, 6);
  });

  it('matches a hand value for two tokens, and is asymmetric', () => {
    // p = softmax([0, 0]) = [½, ½], q = softmax([2, 0]) = [0.880797, 0.119203]
    // KL(p‖q) = ½ ln(½/0.880797) + ½ ln(½/0.119203) = ½(−0.566219) + ½(1.433781) = 0.433781
    // KL(q‖p) = 0.880797 ln(1.761594) + 0.119203 ln(0.238406) = 0.498724 − 0.170911 = 0.327813
    const logits = Float32Array.from([0, 0, 2, 0]);
    expect(klLogits(logits, logits, 2, 0, 1)).toBeCloseTo(0.433781, 6);
    expect(klLogits(logits, logits, 2, 1, 0)).toBeCloseTo(0.327813, 6);
    expect(klLogits(logits, logits, 2, 1, 1)).toBe(0);
  });
});

describe('sampleNext', () => {
  // p = [0.5, 0.3, 0.2] as logits ln p
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
  const draw = (T: number, topP: number, n = 2000) => {
    const c = [0, 0, 0];
    for (let i = 0; i < n; i++) c[sampleNext(logits, 3, 0, T, topP, createRng(i))]++;
    return c.map((x) => x / n);
  };

  it('temperature 0 is greedy (ties to the lower id)', () => {
    expect(sampleNext(logits, 3, 0, 0, 1, createRng(1))).toBe(0);
    expect(sampleNext(Float32Array.from([1, 4, 4]), 3, 0, 0, 1, createRng(1))).toBe(1);
  });

  it('nucleus: keeps the smallest set whose mass reaches topP, renormalised', () => {
    // topP = 0.45: 0.5 ≥ 0.45 → only token 0
    expect(draw(1, 0.45, 200)).toEqual([1, 0, 0]);
    // topP = 0.75: 0.5 < 0.75, 0.8 ≥ 0.75 → {0, 1} with 0.5/0.8 = 0.625, 0.3/0.8 = 0.375; token 2 never
    const f = draw(1, 0.75);
    expect(f[2]).toBe(0);
    expect(Math.abs(f[0] - 0.625)).toBeLessThan(0.04); // σ = √(0.625·0.375/2000) = 0.011
  });

  it('topP = 1 samples the full distribution; temperature reshapes it', () => {
    const f = draw(1, 1);
    [0.5, 0.3, 0.2].forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.04));
    // T = 0.5: p^2 normalised = [0.25, 0.09, 0.04]/0.38 = [0.657895, 0.236842, 0.105263]
    const g = draw(0.5, 1);
    [0.657895, 0.236842, 0.105263].forEach((p, i) => expect(Math.abs(g[i] - p)).toBeLessThan(0.04));
  });

  it('is reproducible for a seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => sampleNext(logits, 3, 0, 1, 1, createRng(100 + i)));
    const b = Array.from({ length: 20 }, (_, i) => sampleNext(logits, 3, 0, 1, 1, createRng(100 + i)));
    expect(a).toEqual(b);
  });
});

describe('nucleus at a 49k vocabulary', () => {
  it('gives the same ids and mass as sorting the whole row, and samples fast', async () => {
    const { nucleus } = await import('./logits');
    const V = 49152;
    const rng = createRng(3);
    const logits = new Float32Array(V).map(() => rng.normal() * 3);
    const lp = logSoftmaxRow(logits, V, 0);
    const full = (topP: number) => {
      const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => lp[b] - lp[a] || a - b);
      const kept: number[] = [];
      let mass = 0;
      for (const id of order) {
        kept.push(id);
        mass += Math.exp(lp[id]);
        if (mass >= topP) break;
      }
      return { kept, mass };
    };
    for (const topP of [0.05, 0.5, 0.9, 0.99, 1]) {
      const got = nucleus(lp, topP);
      const want = full(topP);
      expect(got.kept).toEqual(want.kept);
      expect(got.mass).toBe(want.mass);
    }
    // ties are broken by id as in the full sort
    expect(nucleus(Float64Array.from([Math.log(0.25), Math.log(0.25), Math.log(0.25), Math.log(0.25)]), 0.5).kept).toEqual([0, 1]);
  });
});
