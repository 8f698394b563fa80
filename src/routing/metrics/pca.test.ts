import { describe, expect, it } from 'vitest';
import { pca2 } from './pca';

describe('pca2', () => {
  it('finds the axes of a cloud stretched along the diagonal (hand-worked)', () => {
    // Centred already. Covariance (n − 1 = 3): [[10/3, 2], [2, 10/3]]; eigenvalues 16/3 along
    // (1, 1)/√2 and 4/3 along (1, −1)/√2; projections (±2√2, 0) and (0, ±√2).
    const r = pca2([
      [2, 2],
      [-2, -2],
      [1, -1],
      [-1, 1],
    ]);
    const s = Math.SQRT1_2;
    r.axes[0].forEach((x) => expect(x).toBeCloseTo(s, 12));
    expect(r.axes[1][0]).toBeCloseTo(s, 12);
    expect(r.axes[1][1]).toBeCloseTo(-s, 12);
    const want = [
      [2 * Math.SQRT2, 0],
      [-2 * Math.SQRT2, 0],
      [0, Math.SQRT2],
      [0, -Math.SQRT2],
    ];
    r.points.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(want[i][0], 12);
      expect(p[1]).toBeCloseTo(want[i][1], 12);
    });
    expect(r.explained[0]).toBeCloseTo(0.8, 12);
    expect(r.explained[1]).toBeCloseTo(0.2, 12);
  });

  it('centres the columns and orders the axes by variance', () => {
    // x varies by ±1 around 5, y by ±0.5 around 3: the first axis is x, the second y.
    const r = pca2([
      [6, 3],
      [4, 3],
      [5, 3.5],
      [5, 2.5],
    ]);
    expect(r.axes[0][0]).toBeCloseTo(1, 12);
    expect(r.axes[0][1]).toBeCloseTo(0, 12);
    expect(r.axes[1][1]).toBeCloseTo(1, 12);
    expect(r.points.map((p) => p[0])).toEqual([1, -1, 0, 0].map((x) => expect.closeTo(x, 12)));
    expect(r.points.map((p) => p[1])).toEqual([0, 0, 0.5, -0.5].map((x) => expect.closeTo(x, 12)));
    // variances 2/3 and 1/6 of a total of 5/6
    expect(r.explained[0]).toBeCloseTo(0.8, 12);
  });

  it('gives zeros without variance, and a zero second axis for one-dimensional data', () => {
    expect(pca2([[1, 2, 3]]).points).toEqual([[0, 0]]);
    const one = pca2([[0], [2]]);
    expect(one.points.map((p) => p[0])).toEqual([-1, 1]);
    expect(one.points.map((p) => p[1])).toEqual([0, 0]);
    expect(one.explained).toEqual([1, 0]);
  });

  it('names the row whose length differs', () => {
    expect(() => pca2([[1, 2], [3]])).toThrow('pca: row 1 has 1 values, row 0 has 2');
  });
});
