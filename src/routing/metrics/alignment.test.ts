import { describe, expect, it } from 'vitest';
import {
  promptPairDivergence,
  alignmentByLayer,
  entropyBits,
  jsdBits,
  jsdOverMeanEntropy,
  meanRoutingVector,
} from './alignment';
import { parseTrace, type Trace } from './trace';

describe('alignment maths', () => {
  it('JSD is exactly 0 for identical and 1 for disjoint distributions, symmetric in between', () => {
    expect(jsdBits([0.25, 0.75], [0.25, 0.75])).toBe(0);
    expect(jsdBits([0.1, 0.2, 0.7], [0.1, 0.2, 0.7])).toBe(0);
    expect(jsdBits([1, 0], [0, 1])).toBe(1);
    expect(jsdBits([0.5, 0.5, 0, 0], [0, 0, 0.25, 0.75])).toBe(1);
    // p = [1, 0], q = [½, ½]: m = [¾, ¼], H(m) = 0.811278, H(p) = 0, H(q) = 1 → 0.811278 − 0.5 = 0.311278
    expect(jsdBits([1, 0], [0.5, 0.5])).toBeCloseTo(0.311278, 6);
    expect(jsdBits([0.5, 0.5], [1, 0])).toBeCloseTo(jsdBits([1, 0], [0.5, 0.5]), 12);
    expect(() => jsdBits([1], [0.5, 0.5])).toThrow('jsdBits: distributions of length 1 and 2');
  });

  it('the entropy-normalised variant divides JSD by the mean entropy (bits)', () => {
    // JSD([1,0],[½,½]) = 0.311278; mean entropy (0 + 1)/2 = ½ → 0.622556
    expect(jsdOverMeanEntropy([1, 0], [0.5, 0.5])).toBeCloseTo(0.622556, 6);
    expect(jsdOverMeanEntropy([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // two one-hot vectors: mean entropy 0 → 0 when equal, +∞ when not
    expect(jsdOverMeanEntropy([1, 0], [1, 0])).toBe(0);
    expect(jsdOverMeanEntropy([1, 0], [0, 1])).toBe(Infinity);
  });

  it('mean routing vector averages token distributions; entropy in bits', () => {
    expect(
      meanRoutingVector([
        [1, 0, 0],
        [0, 0.5, 0.5],
      ]),
    ).toEqual([0.5, 0.25, 0.25]);
    expect(entropyBits([0.5, 0.25, 0.25])).toBe(1.5);
  });

  it('alignmentByLayer: per language and layer, mean JSD of each sentence vs its English parallel', () => {
    const L3 = Math.log(3);
    const sentence = (layers: (number | null)[][][]): Trace =>
      parseTrace({
        model: { id: 'm', numExperts: 2 },
        tokens: layers[0].map((_, i) => ({ id: i, text: `t${i}` })),
        layers: layers.map((logits) => ({
          routerLogits: logits,
          selected: logits.map(() => [0]),
          gates: logits.map(() => [1]),
        })),
      });
    // layer 0: en tokens p = [¾,¼] and [¼,¾] → mean [½,½]; de one token [0,0] → [½,½] → JSD 0;
    //          fr one token [0, masked] → [1, 0] → JSD([1,0],[½,½]) = 0.311278, nJSD = 0.622556.
    // layer 1: every sentence has uniform logits → [½,½] everywhere → 0.
    const en = sentence([
      [
        [L3, 0],
        [0, L3],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ]);
    const de = sentence([[[0, 0]], [[0, 0]]]);
    const fr = sentence([[[0, null]], [[1, 1]]]);
    // Two parallel sentences per language: the second pair is (en, en), (de, en-copy), (fr, en-copy)
    // with identical vectors → JSD 0, so the means halve: fr layer 0 = 0.311278 / 2 = 0.155639.
    const a = alignmentByLayer({ en: [en, en], de: [de, en], fr: [fr, en] });
    expect(a.languages).toEqual(['en', 'de', 'fr']);
    expect(a.sentences).toBe(2);
    expect(a.jsd.en).toEqual([0, 0]);
    expect(a.jsd.de[0]).toBeCloseTo(0, 12);
    expect(a.jsd.fr[0]).toBeCloseTo(0.155639, 6);
    expect(a.jsd.fr[1]).toBeCloseTo(0, 12);
    expect(a.jsdOverMeanEntropy.fr[0]).toBeCloseTo(0.311278, 6); // (0.622556 + 0) / 2
  });

  it('alignmentByLayer names what is missing', () => {
    const noLogits = parseTrace({
      model: { id: 'm', numExperts: 2 },
      tokens: [{ id: 0, text: 'a' }],
      layers: [{ selected: [[0]], gates: [[1]] }],
    });
    expect(() => alignmentByLayer({ de: [noLogits] })).toThrow(
      'alignment: no sentences for the reference language "en" (have: de)',
    );
    expect(() => alignmentByLayer({ en: [noLogits], de: [] })).toThrow(
      'alignment: de has 0 sentences, en has 1 (the sets must be parallel)',
    );
    expect(() => alignmentByLayer({ en: [noLogits] })).toThrow(
      'alignment: en sentence 0: layers[0] has no routerLogits',
    );
  });

  it('alignmentByLayer: a dense layer (no router) gets null, not a JSD of 0', () => {
    // layer 0 dense; layer 1: en p = [1, 0] (logits [0, −∞]), de p = [½, ½] → JSD 0.311278 bits
    const sentence = (logits: (number | null)[]) =>
      parseTrace({
        model: { id: 'm', numExperts: 2 },
        tokens: [{ id: 0, text: 'a' }],
        layers: [
          { kind: 'dense', selected: [[]] },
          { kind: 'moe', routerLogits: [logits], selected: [[0]] },
        ],
      });
    const a = alignmentByLayer({ en: [sentence([0, null])], de: [sentence([0, 0])] });
    expect(a.jsd.en).toEqual([null, 0]);
    expect(a.jsd.de[0]).toBeNull();
    expect(a.jsd.de[1]).toBeCloseTo(0.311278, 6);
    expect(a.jsdOverMeanEntropy.de[0]).toBeNull();
    expect(a.jsdOverMeanEntropy.de[1]).toBeCloseTo(0.622556, 6); // 0.311278 / ((0 + 1) / 2)
  });
});


describe('promptPairDivergence', () => {
  it('JSD of two prompts’ mean routing vectors per layer; null for dense or mismatched layers', () => {
    // layer 0: A = [[1,0],[0,1]] → mean [.5,.5]; B = [[1,0]] → [1,0]; m = [.75,.25]
    // KL(A‖m) = .5·log2(.5/.75) + .5·log2(.5/.25) = 0.207519; KL(B‖m) = log2(1/.75) = 0.415037
    // JSD = (0.207519 + 0.415037) / 2 = 0.311278 bits
    const A = [{ probs: [1, 0, 0, 1], T: 2, E: 2 }, { probs: [0.3, 0.7], T: 1, E: 2 }, null, { probs: [1, 0], T: 1, E: 2 }];
    const B = [{ probs: [1, 0], T: 1, E: 2 }, { probs: [0.3, 0.7, 0.3, 0.7], T: 2, E: 2 }, { probs: [1, 0], T: 1, E: 2 }, { probs: [1, 0, 0], T: 1, E: 3 }];
    const d = promptPairDivergence(A, B);
    expect(d[0]).toBeCloseTo(0.311278, 6);
    expect(d[1]).toBeCloseTo(0, 12); // the same mean vector
    expect(d[2]).toBeNull(); // A's layer 2 is dense
    expect(d[3]).toBeNull(); // 2 vs 3 experts
    expect(promptPairDivergence([{ probs: [1, 0], T: 1, E: 2 }], [{ probs: [0, 1], T: 1, E: 2 }])[0]).toBe(1); // disjoint
  });
});
