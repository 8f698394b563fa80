import { describe, expect, it } from 'vitest';
import {
  columnDominance,
  meanOffDiagonalCosine,
  pearson,
  perturbationRadii,
  rowDominance,
} from './coupling';

describe('ERC maths', () => {
  it('row and column dominance of an n×n matrix', () => {
    const M = [
      [3, 1],
      [2, 1],
    ];
    expect(rowDominance(M)).toBe(0.5); // row 0's max is M[0][0]; row 1's max is in column 0
    expect(columnDominance(M)).toBe(0.5); // column 0's max is M[0][0]; column 1 ties (1, 1): the first row wins, not its own
    expect(
      rowDominance([
        [-5, -7],
        [-9, -1],
      ]),
    ).toBe(1); // all-negative entries still find their max (extrema start at −∞)
    expect(() => rowDominance([[1, 2]])).toThrow(
      'rowDominance: M must be n×n, row 0 has 2 entries for n = 1',
    );
  });

  it('perturbation radii ε_i = min_j ‖R_i − R_j‖ / (2‖R_i‖)', () => {
    // R0 = (1,0), R1 = (0,2): ‖R0 − R1‖ = √5; ε0 = √5 / 2, ε1 = √5 / 4
    const eps = perturbationRadii([
      [1, 0],
      [0, 2],
    ]);
    expect(eps[0]).toBeCloseTo(Math.sqrt(5) / 2, 12);
    expect(eps[1]).toBeCloseTo(Math.sqrt(5) / 4, 12);
    expect(perturbationRadii([[1, 1]])).toEqual([0]); // no other row: no perturbation
  });

  it('Pearson correlation and mean off-diagonal cosine of router rows', () => {
    // x̄ = 2, ȳ = 13/3: Σdxdy = (−1)(−7/3) + 0 + (1)(8/3) = 5; Σdx² = 2; Σdy² = 49/9 + 1/9 + 64/9 = 38/3
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(2 * (38 / 3)), 12);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBe(0);
    // cos((1,0), (1,1)) = 1/√2 for both ordered pairs
    expect(
      meanOffDiagonalCosine([
        [1, 0],
        [1, 1],
      ]),
    ).toBeCloseTo(Math.SQRT1_2, 12);
    // (1,0), (0,1), (1,0): cosines 0, 1, 0 per unordered pair → mean 1/3
    expect(
      meanOffDiagonalCosine([
        [1, 0],
        [0, 1],
        [1, 0],
      ]),
    ).toBeCloseTo(1 / 3, 12);
  });
});
