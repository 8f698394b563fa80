import { describe, expect, it } from 'vitest';
import { contrastiveRanking, routingFrequency, steeringSpecs } from './attribution';
import { parseIntervention } from '../spec';

describe('contrastive expert attribution', () => {
  it('frequencies, Δ ranking and steering specs on a hand-worked case', () => {
    // set A: one run, 1 layer, 2 tokens choosing {0,1} and {0,2}; set B: 2 tokens {2,3}, {1,3}
    const fA = routingFrequency([[[[0, 1], [0, 2]]]], 4);
    const fB = routingFrequency([[[[2, 3]]], [[[1, 3]]]], 4);
    expect(fA).toEqual([[1, 0.5, 0.5, 0]]);
    expect(fB).toEqual([[0, 0.5, 0.5, 1]]);
    const r = contrastiveRanking(fA, fB);
    expect(r[0].map((x) => [x.expert, x.delta])).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
      [3, -1],
    ]);
    const towards = steeringSpecs(r, { tau: 0.25, lambda: 0.5, direction: 'towardsA' });
    expect(towards).toEqual(['steer:layers=0,experts=0,lambda=0.5']);
    expect(steeringSpecs(r, { tau: 0.25, lambda: 0.5, direction: 'suppressB' })).toEqual(['steer:layers=0,experts=3,lambda=-0.5']);
    // The specs are valid interventions.
    expect(parseIntervention(towards[0]).params.lambda).toBe(0.5);
  });
});
