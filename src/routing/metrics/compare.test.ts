import { describe, expect, it } from 'vitest';
import { compareRouting } from './compare';

describe('compareRouting', () => {
  it('unchanged share, Jaccard, load drift and flipped tokens, worked by hand', () => {
    // top-2 over 3 experts, 4 tokens
    const a = [[0, 1], [1, 2], [0, 2], []];
    const b = [[1, 0], [1, 0], [2, 1], []];
    const r = compareRouting(a, b, 3);
    // t0 same set (order ignored); t1 {1,2} vs {0,1}: 1/3; t2 {0,2} vs {1,2}: 1/3; t3 both empty: 1
    expect(r.flipped).toEqual([1, 2]);
    expect(r.unchanged).toBe(0.5);
    expect(r.jaccard).toBeCloseTo((1 + 1 / 3 + 1 / 3 + 1) / 4, 12);
    // loads a: e0 2, e1 2, e2 2 of 6; b: e0 2, e1 3, e2 1 → ½(0 + 1/6 + 1/6) = 1/6
    expect(r.loadA).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(r.loadB).toEqual([2 / 6, 3 / 6, 1 / 6]);
    expect(r.loadDrift).toBeCloseTo(1 / 6, 12);
  });

  it('identical runs: 1, 1, 0; disjoint: 0, 0, 1; errors named', () => {
    const a = [[0], [1]];
    expect(compareRouting(a, a, 2)).toMatchObject({
      unchanged: 1,
      jaccard: 1,
      loadDrift: 0,
      flipped: [],
    });
    expect(compareRouting([[0], [0]], [[1], [1]], 2)).toMatchObject({
      unchanged: 0,
      jaccard: 0,
      loadDrift: 1,
      flipped: [0, 1],
    });
    expect(compareRouting([], [], 2)).toMatchObject({ unchanged: 1, jaccard: 1, loadDrift: 0 });
    expect(() => compareRouting([[0]], [], 2)).toThrow('compare: the runs have 1 and 0 tokens');
    expect(() => compareRouting([[4]], [[0]], 2)).toThrow('compare: expert 4 out of range 0..1');
  });
});
