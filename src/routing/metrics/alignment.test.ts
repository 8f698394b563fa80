import { describe, expect, it } from 'vitest';
import { entropyBits, jsdBits, meanRoutingVector } from './alignment';

describe('alignment maths', () => {
  it('JSD is 0 for identical and 1 for disjoint distributions, symmetric in between', () => {
    expect(jsdBits([0.25, 0.75], [0.25, 0.75])).toBe(0);
    expect(jsdBits([1, 0], [0, 1])).toBe(1);
    // p = [1, 0], q = [½, ½]: m = [¾, ¼], H(m) = 0.811278, H(p) = 0, H(q) = 1 → 0.811278 − 0.5 = 0.311278
    expect(jsdBits([1, 0], [0.5, 0.5])).toBeCloseTo(0.311278, 6);
    expect(jsdBits([0.5, 0.5], [1, 0])).toBeCloseTo(jsdBits([1, 0], [0.5, 0.5]), 12);
  });

  it('mean routing vector averages token distributions; entropy in bits', () => {
    expect(meanRoutingVector([[1, 0, 0], [0, 0.5, 0.5]])).toEqual([0.5, 0.25, 0.25]);
    expect(entropyBits([0.5, 0.25, 0.25])).toBe(1.5);
  });
});
