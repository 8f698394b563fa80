import { describe, expect, it } from 'vitest';
import { coActivation, layerFlows } from './coactivation';

describe('co-activation and layer flows', () => {
  it('counts pairs of experts chosen together, diagonal = load', () => {
    // tokens: {0,1}, {0,2}, {1,0} → pairs (0,1)×2, (0,2)×1; loads 0:3, 1:2, 2:1
    const m = coActivation([[0, 1], [0, 2], [1, 0]], 3);
    expect(m).toEqual([
      [3, 2, 1],
      [2, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('counts expert-to-expert transitions between layers, optionally for chosen tokens', () => {
    const l0 = [[0, 1], [2]];
    const l1 = [[2], [2, 0]];
    // token 0: 0→2, 1→2; token 1: 2→2, 2→0
    expect(layerFlows(l0, l1, 3)).toEqual([
      [0, 0, 1],
      [0, 0, 1],
      [1, 0, 1],
    ]);
    expect(layerFlows(l0, l1, 3, [1])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [1, 0, 1],
    ]);
  });
});
