import { describe, expect, it } from 'vitest';
import { entropyNats, routingProbs, softmax, tokenRouting } from './routing';

describe('per-token routing entropy and confidence', () => {
  it('softmax in float64, masked experts at 0, an all-masked row all 0', () => {
    // [ln 3, 0] → e^{ln3} = 3, e^0 = 1 → [3/4, 1/4]
    const p = softmax([Math.log(3), 0]);
    expect(p[0]).toBeCloseTo(0.75, 15);
    expect(p[1]).toBeCloseTo(0.25, 15);
    expect(softmax([0, -Infinity])).toEqual([1, 0]);
    expect(softmax([-Infinity, -Infinity])).toEqual([0, 0]);
    expect(routingProbs([[0, 0]])).toEqual([[0.5, 0.5]]);
    expect(entropyNats([0.5, 0.5, 0])).toBeCloseTo(Math.LN2, 15);
  });

  it('entropy in nats, normalised by log E, and confidence = max p, token by token ([T] each)', () => {
    const r = tokenRouting([
      [0, 0, 0, 0], // uniform over 4: H = ln 4, H/ln 4 = 1, max p = 1/4
      [Math.log(3), 0, -Infinity, -Infinity], // p = [3/4, 1/4, 0, 0]
      [5, -Infinity, -Infinity, -Infinity], // one-hot: H = 0, max p = 1
    ]);
    // token 1: H = −(¾ ln ¾ + ¼ ln ¼) = 0.215762 + 0.346574 = 0.562335 nats; / ln 4 = 0.405639
    expect(r.entropy[0]).toBeCloseTo(Math.log(4), 12);
    expect(r.entropy[1]).toBeCloseTo(0.562335, 6);
    expect(r.entropy[2]).toBe(0);
    expect(r.normalisedEntropy[0]).toBeCloseTo(1, 12);
    expect(r.normalisedEntropy[1]).toBeCloseTo(0.405639, 6);
    expect(r.confidence).toEqual([0.25, expect.closeTo(0.75, 12), 1]);
    // margin = top-1 − top-2 probability: 1/4 − 1/4, 3/4 − 1/4, 1 − 0
    expect(r.margin).toEqual([0, expect.closeTo(0.5, 12), 1]);
  });

  it('top-1 margin: a tie at the top gives 0, a single expert gives its probability 1, all masked 0', () => {
    // [1, 1, 0] → p = [e, e, 1]/(2e + 1): the two best tie
    expect(tokenRouting([[1, 1, 0]]).margin).toEqual([0]);
    expect(tokenRouting([[2]]).margin).toEqual([1]);
    expect(tokenRouting([[-Infinity, -Infinity]])).toEqual({
      entropy: [0],
      normalisedEntropy: [0],
      confidence: [0],
      margin: [0],
    });
  });
});
