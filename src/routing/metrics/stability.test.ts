import { describe, expect, it } from 'vitest';
import { routingStability, traceStability } from './stability';
import { parseTrace } from './trace';

describe('routing stability', () => {
  it('compares top-k SETS per layer (order ignored) and lists the flipped tokens', () => {
    expect(
      routingStability(
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
        [
          [
            [1, 0],
            [2, 4],
          ],
        ],
      ),
    ).toEqual([{ layer: 0, unchanged: 0.5, flipped: [1] }]);
  });

  it('between two traces of the same tokens (hand case)', () => {
    const tr = (l0: number[][], l1: number[][]) =>
      parseTrace({
        model: { id: 'm', numExperts: 5 },
        tokens: l0.map((_, i) => ({ id: i, text: 'x' })),
        layers: [l0, l1].map((s, i) => ({
          index: i + 3,
          selected: s,
          gates: s.map((x) => x.map(() => 1 / x.length)),
        })),
      });
    // layer 3: {0,1}={1,0}, {2,3}≠{2,4}, {1}={1} → 2/3 unchanged, token 1 flipped
    // layer 4: 0 vs 1 flips, 0 = 0, 0 vs 2 flips → 1/3, tokens 0 and 2
    const a = tr([[0, 1], [2, 3], [1]], [[0], [0], [0]]);
    const b = tr([[1, 0], [2, 4], [1]], [[1], [0], [2]]);
    const s = traceStability(a, b);
    expect(s.map((x) => x.layer)).toEqual([3, 4]);
    expect(s[0].unchanged).toBeCloseTo(2 / 3, 12);
    expect(s[0].flipped).toEqual([1]);
    expect(s[1].unchanged).toBeCloseTo(1 / 3, 12);
    expect(s[1].flipped).toEqual([0, 2]);
    expect(traceStability(a, a).every((x) => x.unchanged === 1 && x.flipped.length === 0)).toBe(
      true,
    );
    expect(() => traceStability(a, tr([[0]], [[0]]))).toThrow(
      'stability: the traces have 3 and 1 tokens',
    );
  });

  it('marks dense layers instead of scoring their empty selections as unchanged', () => {
    const tr = (moe: number[][]) =>
      parseTrace({
        model: { id: 'm', numExperts: 4 },
        tokens: moe.map((_, i) => ({ id: i, text: 'x' })),
        layers: [
          { kind: 'dense', selected: moe.map(() => []) },
          { kind: 'moe', selected: moe },
        ],
      });
    expect(traceStability(tr([[0], [1]]), tr([[0], [2]]))).toEqual([
      { layer: 0, kind: 'dense', unchanged: null, flipped: [] },
      { layer: 1, unchanged: 0.5, flipped: [1] },
    ]);
  });
});

