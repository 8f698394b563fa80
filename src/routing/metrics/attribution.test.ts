import { describe, expect, it } from 'vitest';
import {
  contrastiveRanking,
  frequencyDelta,
  routingFrequency,
  steeringSpecs,
  traceFrequency,
} from './attribution';
import { parseIntervention } from '../spec';
import { parseTrace } from './trace';

describe('contrastive expert attribution', () => {
  it('frequencies, Δ ranking and steering specs on a hand-worked case', () => {
    // set A: one run, 1 layer, 2 tokens choosing {0,1} and {0,2}; set B: 2 tokens {2,3}, {1,3}
    const fA = routingFrequency(
      [
        [
          [
            [0, 1],
            [0, 2],
          ],
        ],
      ],
      4,
    );
    const fB = routingFrequency([[[[2, 3]]], [[[1, 3]]]], 4);
    expect(fA).toEqual([[1, 0.5, 0.5, 0]]);
    expect(fB).toEqual([[0, 0.5, 0.5, 1]]);
    expect(frequencyDelta(fA, fB)).toEqual([[1, 0, 0, -1]]);
    const r = contrastiveRanking(fA, fB);
    expect(r[0].map((x) => [x.expert, x.delta])).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
      [3, -1],
    ]);
    const towards = steeringSpecs(r, { tau: 0.25, lambda: 0.5, direction: 'towardsA' });
    expect(towards).toEqual(['steer:layers=0,experts=0,lambda=0.5']);
    expect(steeringSpecs(r, { tau: 0.25, lambda: 0.5, direction: 'suppressB' })).toEqual([
      'steer:layers=0,experts=3,lambda=-0.5',
    ]);
    // The specs are valid interventions.
    expect(parseIntervention(towards[0]).params.lambda).toBe(0.5);
  });

  it('traceFrequency pools the tokens of a set of traces ([L][E])', () => {
    const tr = (sel: number[][][]) =>
      parseTrace({
        model: { id: 'm', numExperts: 3 },
        tokens: sel[0].map((_, i) => ({ id: i, text: 'x' })),
        layers: sel.map((s) => ({ selected: s, gates: s.map((x) => x.map(() => 1)) })),
      });
    // 3 tokens in all; layer 0 picks 0, 0, 2 → [2/3, 0, 1/3]; layer 1 picks 1, 1, 1 → [0, 1, 0]
    const f = traceFrequency([
      tr([
        [[0], [0]],
        [[1], [1]],
      ]),
      tr([[[2]], [[1]]]),
    ]);
    expect(f[0]).toEqual([2 / 3, 0, 1 / 3]);
    expect(f[1]).toEqual([0, 1, 0]);
  });

  it('steeringSpecs from a Δ matrix: layer ranges, layer choice, suppress and mask variants', () => {
    // τ = 0.25. Layer 0: nothing passes. Layers 2 and 3 both pick experts {1, 4} → one spec 2-3.
    // Layer 4 picks {1} (a different set → its own spec). Δ < −0.25: layer 1 expert 2, layer 4 expert 0.
    const delta = [
      [0.1, 0, 0, 0, -0.2],
      [0, 0.3, -0.3, 0, 0],
      [0, 0.3, 0, 0, 0.4],
      [0, 0.5, 0, 0, 0.35],
      [-0.4, 0.26, 0, 0, 0],
    ];
    expect(steeringSpecs(delta, { tau: 0.25, lambda: 0.5 })).toEqual([
      'steer:layers=1,experts=1,lambda=0.5',
      'steer:layers=2-3,experts=1+4,lambda=0.5',
      'steer:layers=4,experts=1,lambda=0.5',
    ]);
    expect(steeringSpecs(delta, { tau: 0.25, lambda: 0.5, layers: [2, 3] })).toEqual([
      'steer:layers=2-3,experts=1+4,lambda=0.5',
    ]);
    expect(steeringSpecs(delta, { tau: 0.25, lambda: 2, kind: 'suppress' })).toEqual([
      'steer:layers=1,experts=2,lambda=-2',
      'steer:layers=4,experts=0,lambda=-2',
    ]);
    const masks = steeringSpecs(delta, { tau: 0.25, kind: 'mask' });
    expect(masks).toEqual(['mask:layers=1,experts=2', 'mask:layers=4,experts=0']);
    expect(steeringSpecs(delta, { tau: 0.6 })).toEqual([]);
    for (const s of [...steeringSpecs(delta, { tau: 0.25 }), ...masks])
      expect(() => parseIntervention(s)).not.toThrow();
    expect(parseIntervention('steer:layers=2-3,experts=1+4,lambda=0.5').layers).toEqual({
      from: 2,
      to: 3,
    });
  });
});
