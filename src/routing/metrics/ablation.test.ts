import { describe, expect, it } from 'vitest';
import { meanOverTokens, preferredExperts, randomExperts, spread } from './ablation';
import { createRng } from '../rng';

describe('ablation with a random control', () => {
  it('preferredExperts: the n largest shares, ties to the lower id, returned ascending', () => {
    expect(preferredExperts([0.1, 0.5, 0.2, 0.5], 2)).toEqual([1, 3]);
    expect(preferredExperts([0.3, 0.1, 0.3, 0.2], 1)).toEqual([0]);
    expect(preferredExperts([0.3, 0.1, 0.3, 0.2], 3)).toEqual([0, 2, 3]);
  });

  it('randomExperts: n distinct ids, reproducible per seed, all of E when n = E', () => {
    const a = randomExperts(8, 3, createRng(1));
    expect(new Set(a).size).toBe(3);
    expect(a.every((e) => e >= 0 && e < 8)).toBe(true);
    expect(randomExperts(8, 3, createRng(1))).toEqual(a);
    expect(randomExperts(4, 4, createRng(7))).toEqual([0, 1, 2, 3]);
    // every expert is drawn about equally often over many seeds (n/E = 1/4 each)
    const hits = new Array(8).fill(0);
    for (let s = 0; s < 4000; s++) for (const e of randomExperts(8, 2, createRng(s))) hits[e]++;
    for (const h of hits) expect(Math.abs(h / 4000 - 0.25)).toBeLessThan(0.03);
    expect(() => randomExperts(4, 5, createRng(0))).toThrow(
      'ablate: n must be an integer in 0..4, got 5',
    );
  });

  it('meanOverTokens pools tokens; spread is mean, sample std, min, max', () => {
    expect(meanOverTokens([[1, 2], [3]])).toBe(2);
    expect(meanOverTokens([[], []])).toBeNull();
    // 1, 2, 4: mean 7/3, deviations −4/3, −1/3, 5/3 → Σ² = 42/9, /(n−1) = 7/3 → std √(7/3)
    const s = spread([1, 2, 4]);
    expect(s.mean).toBeCloseTo(7 / 3, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(7 / 3), 12);
    expect([s.min, s.max, s.n]).toEqual([1, 4, 3]);
    expect(spread([5]).std).toBe(0);
  });
});
