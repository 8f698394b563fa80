import { describe, expect, it } from 'vitest';
import {
  batchesOf,
  compareCorpus,
  compareReports,
  corpusTextsOf,
  corpusWindows,
  expertAtlas,
  sourceName,
} from './corpusRun';
import type { CorpusLayer } from './corpus';

describe('corpus inputs of the page', () => {
  it('names a source by its file name without the extension, as the CLI', () => {
    expect(['de.txt', 'a.b.txt', 'README', '.hidden', 'dir/x.txt'].map(sourceName)).toEqual([
      'de',
      'a.b',
      'README',
      '.hidden',
      'x',
    ]);
  });

  it('makes each file a source and each non-empty line a sequence (files of one name share a source)', () => {
    expect(
      corpusTextsOf([
        { name: 'en.txt', text: 'one\r\n\r\n   \ntwo  \n' },
        { name: 'de.txt', text: 'eins' },
        { name: 'en.txt', text: 'three' },
      ]),
    ).toEqual({
      sources: ['en', 'de'],
      texts: [
        { source: 0, text: 'one' },
        { source: 0, text: 'two  ' },
        { source: 1, text: 'eins' },
        { source: 0, text: 'three' },
      ],
    });
  });

  it('splits long sequences into context windows and says how many', () => {
    const { windows, notices } = corpusWindows(
      [
        { source: 0, ids: [1, 2, 3, 4, 5] },
        { source: 1, ids: [] },
        { source: 0, ids: [6] },
      ],
      2,
      2,
    );
    expect(windows).toEqual([
      { source: 0, sequence: 0, offset: 0, ids: [1, 2] },
      { source: 0, sequence: 0, offset: 2, ids: [3, 4] },
      { source: 0, sequence: 0, offset: 4, ids: [5] },
      { source: 0, sequence: 1, offset: 0, ids: [6] },
    ]);
    expect(notices).toEqual([
      "1 sequence longer than the model's context of 2 tokens was split into windows of 2 without overlap",
      '1 line gave no token and was skipped',
    ]);
  });

  it('batches by length within the sequence and padded-token budgets', () => {
    // lengths 5, 1, 3, 3: sorted 1 (i1), 3 (i2), 3 (i3), 5 (i0); at most 2 per batch
    expect(batchesOf([5, 1, 3, 3], 2)).toEqual([
      [1, 2],
      [3, 0],
    ]);
    // a budget of 8 padded tokens: 1 + 3 → 2 × 3 = 6 fits, a third of 3 (9) does not; 5 alone
    expect(batchesOf([5, 1, 3, 3], 32, 8)).toEqual([[1, 2], [3], [0]]);
  });
});

describe('compareCorpus', () => {
  it('compares each MoE layer over every token of the corpus', () => {
    // layer 1, E = 4: tokens {0,1}→{0,1} same, {0,2}→{0,3} (J 1/3), {1,2}→{2,1} same (order ignored)
    const r = compareCorpus(
      [
        [],
        [
          [0, 1],
          [0, 2],
          [1, 2],
        ],
      ],
      [
        [],
        [
          [0, 1],
          [0, 3],
          [2, 1],
        ],
      ],
      [
        { kind: 'dense', numExperts: 0 },
        { kind: 'moe', numExperts: 4 },
      ],
    );
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ index: 1, flipped: 1, tokens: 3 });
    expect(r[0].unchanged).toBeCloseTo(2 / 3, 12);
    expect(r[0].jaccard).toBeCloseTo((1 + 1 / 3 + 1) / 3, 12);
    // loads a (2,2,2,0)/6, b (2,2,1,1)/6: TV = ½ (1/6 + 1/6) = 1/6
    expect(r[0].loadDrift).toBeCloseTo(1 / 6, 12);
  });
});

describe('expertAtlas', () => {
  it('places experts by their normalised source profile and names the preferred source', () => {
    const layer = (index: number, shares: [number, number][]): CorpusLayer => ({
      index,
      kind: 'moe',
      numExperts: shares.length,
      topK: 1,
      experts: shares.map(([a, b], id) => ({
        id,
        load: 0,
        sources: { a, b },
        topTokens: [],
        contexts: [],
      })),
      specialisation: {},
    });
    // profiles: (1, 0), (0, 1), (0.5, 0.5) (also the never-chosen expert: uniform), (0.5, 0.5)
    const { points, explained } = expertAtlas({
      sources: [
        { name: 'a', sequences: 1, tokens: 1 },
        { name: 'b', sequences: 1, tokens: 1 },
      ],
      layers: [
        { index: 0, kind: 'dense' },
        layer(1, [
          [0.8, 0],
          [0, 0.4],
        ]),
        layer(2, [
          [0, 0],
          [0.2, 0.2],
        ]),
      ],
    });
    expect(points.map((p) => [p.layer, p.expert, p.dominant])).toEqual([
      [1, 0, 0],
      [1, 1, 1],
      [2, 0, 0],
      [2, 1, 0],
    ]);
    // ratio: share ÷ (k/E) = 0.8 ÷ 0.5, 0.4 ÷ 0.5, 0, 0.2 ÷ 0.5
    expect(points.map((p) => p.ratio)).toEqual([1.6, 0.8, 0, expect.closeTo(0.4, 12)]);
    // centred profiles (0.5, −0.5), (−0.5, 0.5), 0, 0 lie on one axis (1, −1)/√2: x = ±1/√2, y = 0
    expect(points.map((p) => p.x)).toEqual(
      [Math.SQRT1_2, -Math.SQRT1_2, 0, 0].map((x) => expect.closeTo(x, 12)),
    );
    points.forEach((p) => expect(p.y).toBeCloseTo(0, 12));
    expect(explained[0]).toBeCloseTo(1, 12);
    expect(explained[1]).toBeCloseTo(0, 12);
  });
});

describe('compareReports', () => {
  it('gives per layer the load drift and the largest share change between two runs', () => {
    const layer = (index: number, experts: [number, number, number][]): CorpusLayer => ({
      index,
      kind: 'moe',
      numExperts: experts.length,
      topK: 1,
      experts: experts.map(([load, a, b], id) => ({
        id,
        load,
        sources: { a, b },
        topTokens: [],
        contexts: [],
      })),
      specialisation: {},
    });
    const before = {
      layers: [
        { index: 0, kind: 'dense' as const },
        layer(1, [
          [0.5, 0.6, 0.4],
          [0.5, 0.4, 0.6],
        ]),
      ],
    };
    // loads 0.5/0.5 → 0.8/0.2: TV = ½ (0.3 + 0.3) = 0.3; shares: e0 a +0.2, b +0.4; e1 a −0.2, b −0.4 → e0 b +0.4 (first of the ties)
    const now = {
      layers: [
        { index: 0, kind: 'dense' as const },
        layer(1, [
          [0.8, 0.8, 0.8],
          [0.2, 0.2, 0.2],
        ]),
      ],
    };
    const r = compareReports(before, now);
    expect(r).toHaveLength(1);
    expect(r[0].index).toBe(1);
    expect(r[0].loadDrift).toBeCloseTo(0.3, 12);
    expect(r[0].maxShareChange).toEqual({ expert: 0, source: 'b', delta: expect.closeTo(0.4, 12) });
    // a layer whose expert count differs is left out
    expect(compareReports({ layers: [layer(1, [[1, 1, 1]])] }, now)).toEqual([]);
  });
});
