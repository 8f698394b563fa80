import { describe, expect, it } from 'vitest';
import { coActivation, layerFlows, topOneFlows, traceFlows } from './coactivation';
import { parseTrace } from './trace';

describe('co-activation and layer flows', () => {
  it('counts pairs of experts chosen together, diagonal = load', () => {
    // tokens: {0,1}, {0,2}, {1,0} → pairs (0,1)×2, (0,2)×1; loads 0:3, 1:2, 2:1
    const m = coActivation(
      [
        [0, 1],
        [0, 2],
        [1, 0],
      ],
      3,
    );
    expect(m).toEqual([
      [3, 2, 1],
      [2, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('counts expert-to-expert transitions between layers (all pairs, some tokens, top-1)', () => {
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
    // top-1 only: token 0: 0→2; token 1: 2→2
    expect(topOneFlows(l0, l1, 3)).toEqual([
      [0, 0, 1],
      [0, 0, 0],
      [0, 0, 1],
    ]);
  });

  it('traceFlows gives [L−1][E][E], entry l = layers[l] → layers[l+1]', () => {
    const tr = parseTrace({
      model: { id: 'm', numExperts: 2 },
      tokens: [{ id: 0, text: 'a' }],
      layers: [
        { selected: [[0, 1]], gates: [[0.5, 0.5]] },
        { selected: [[1]], gates: [[1]] },
        { selected: [[0]], gates: [[1]] },
      ],
    });
    expect(traceFlows(tr)).toEqual([
      [
        [0, 1],
        [0, 1],
      ],
      [
        [0, 0],
        [1, 0],
      ],
    ]);
    expect(traceFlows(tr, { top1: true })[0]).toEqual([
      [0, 1],
      [0, 0],
    ]);
  });
});
