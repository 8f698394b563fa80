import { describe, expect, it } from 'vitest';
import { compareCorpusModels, isCorpusReport, sourceUse } from './corpusModels';
import type { CorpusLayer } from './corpus';

const expert = (id: number, sources: Record<string, number>) => ({
  id,
  load: 0,
  sources,
  topTokens: [],
  contexts: [],
});
// 4 experts, top-2. "en": every token picks {0,1} → shares 1,1,0,0. "ja": half the tokens {0,2}, half {1,3}
// → shares 0.5 each.
const layerA: CorpusLayer = {
  index: 1,
  kind: 'moe',
  numExperts: 4,
  topK: 2,
  experts: [
    expert(0, { en: 1, ja: 0.5 }),
    expert(1, { en: 1, ja: 0.5 }),
    expert(2, { en: 0, ja: 0.5 }),
    expert(3, { en: 0, ja: 0.5 }),
  ],
  specialisation: { en: 2, ja: 1 },
};

describe('sourceUse', () => {
  it('counts the experts a source uses: two of four, evenly → 2 effective, 2 cover 90 %, specialisation 2', () => {
    const l = layerA as Extract<CorpusLayer, { kind: 'moe' }>;
    expect(sourceUse(l, 'en')).toEqual({
      specialisation: 2,
      effectiveExperts: 2,
      effectiveShare: 0.5,
      cover90: 2,
    });
    const ja = sourceUse(l, 'ja')!;
    expect(ja.effectiveExperts).toBeCloseTo(4, 12);
    expect(ja.cover90).toBe(4); // 3 experts carry 75 %
    expect(ja.specialisation).toBe(1);
  });

  it('an uneven source: shares 0.9, 0.6, 0.3, 0.2 (sum 2) → p = .45 .3 .15 .1; exp(H) by hand; 3 experts reach 90 %', () => {
    const l = {
      ...layerA,
      experts: [0.9, 0.6, 0.3, 0.2].map((s, i) => expert(i, { x: s })),
    } as Extract<CorpusLayer, { kind: 'moe' }>;
    const u = sourceUse(l, 'x')!;
    const p = [0.45, 0.3, 0.15, 0.1];
    expect(u.effectiveExperts).toBeCloseTo(
      Math.exp(-p.reduce((a, x) => a + x * Math.log(x), 0)),
      12,
    );
    // H = .45·0.7985 + .3·1.2040 + .15·1.8971 + .1·2.3026 = 1.23535 nats
    expect(u.effectiveExperts).toBeCloseTo(3.43957, 4);
    expect(u.cover90).toBe(3);
    expect(u.specialisation).toBeCloseTo(1.8, 12);
    expect(sourceUse(l, 'missing')).toBeNull();
  });
});

describe('compareCorpusModels', () => {
  const a = {
    model: 'small',
    sources: [
      { name: 'en', tokens: 10 },
      { name: 'ja', tokens: 8 },
    ],
    layers: [{ index: 0, kind: 'dense' as const }, layerA],
  };
  const b = {
    model: 'wide',
    sources: [
      { name: 'en', tokens: 10 },
      { name: 'ja', tokens: 9 },
      { name: 'fr', tokens: 3 },
    ],
    layers: [
      {
        index: 0,
        kind: 'moe' as const,
        numExperts: 8,
        topK: 1,
        experts: Array.from({ length: 8 }, (_, i) =>
          expert(i, { en: i === 0 ? 1 : 0, ja: i < 4 ? 0.25 : 0, fr: 0.125 }),
        ),
        specialisation: {},
      },
    ],
  };

  it('puts both models per source: means over MoE layers, and names what does not match', () => {
    const c = compareCorpusModels(a, b);
    expect(c.models).toEqual(['small', 'wide']);
    expect(c.experts).toEqual([[4], [8]]);
    expect(c.sources).toEqual(['en', 'ja']);
    const en = c.summary.find((s) => s.source === 'en')!;
    expect(en.a).toEqual({
      specialisation: 2,
      effectiveExperts: 2,
      effectiveShare: 0.5,
      cover90: 2,
    });
    expect(en.b).toEqual({
      specialisation: 8,
      effectiveExperts: 1,
      effectiveShare: 0.125,
      cover90: 1,
    });
    expect(c.summary.find((s) => s.source === 'ja')!.b!.effectiveExperts).toBeCloseTo(4, 12);
    expect(c.notices).toEqual([
      'sources left out: fr (only in wide)',
      'ja: 8 tokens in small, 9 in wide (different tokenizers or texts)',
    ]);
  });

  it('tells a corpus report from a trace', () => {
    expect(isCorpusReport(a)).toBe(true);
    expect(isCorpusReport({ tokens: [], layers: [{ index: 0, selected: [] }] })).toBe(false);
    expect(isCorpusReport(null)).toBe(false);
  });
});
