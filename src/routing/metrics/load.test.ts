import { describe, expect, it } from 'vitest';
import { hfAux, loadMetrics } from './load';

describe('load metrics', () => {
  it('counts, ideal, CV, MaxVio, entropy, dropped and mean active on a hand-worked case', () => {
    // 4 tokens, E = 4, top-2 except token 3 which is dropped: counts = [3, 2, 1, 0], total 6
    const m = loadMetrics([[0, 1], [0, 2], [0, 1], []], 4);
    expect(m.counts).toEqual([3, 2, 1, 0]);
    expect(m.ideal).toBe(1.5); // 6 / 4
    expect(m.maxVio).toBe(1); // (3 − 1.5) / 1.5
    expect(m.maxOverMean).toBe(2);
    // variance = (1.5² + 0.5² + 0.5² + 1.5²)/4 = 1.25; CV = √1.25 / 1.5 = 0.745356
    expect(m.cv).toBeCloseTo(0.745356, 6);
    // H = −(½ln½ + ⅓ln⅓ + ⅙ln⅙) = 1.011404; / ln 4 = 0.729574
    expect(m.loadEntropy).toBeCloseTo(0.729574, 6);
    expect(m.dropped).toBe(0.25);
    expect(m.meanActive).toBe(1.5);
  });

  it('HF aux loss is k for perfectly uniform routing and E·Σ f·P otherwise', () => {
    // E = 2, k = 1, two tokens each on a different expert, uniform probs: f = [½, ½], P = [½, ½] → 2·(¼+¼) = 1
    expect(hfAux([[0], [1]], [0.5, 0.5, 0.5, 0.5], 2)).toBeCloseTo(1, 12);
    // Both on expert 0 with P = [0.9, 0.1]: f = [1, 0] → 2·0.9 = 1.8
    expect(hfAux([[0], [0]], [0.9, 0.1, 0.9, 0.1], 2)).toBeCloseTo(1.8, 6);
  });
});
