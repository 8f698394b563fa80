// The prompt-vs-generated summary of `corpus --generate`, on hand-worked loads.
import { describe, expect, it } from 'vitest';
import { generatedLayers, loadTvd, maxVioOfLoad } from './corpusGeneration';
import type { CorpusLayer } from './corpus';

const moe = (loads: number[]): CorpusLayer => ({
  index: 0,
  kind: 'moe',
  numExperts: loads.length,
  topK: 1,
  experts: loads.map((load, id) => ({
    id,
    load,
    sources: { a: load },
    topTokens: [],
    contexts: [],
  })),
  specialisation: { a: 1 },
});

describe('corpus --generate summary', () => {
  it('TVD and MaxVio of load vectors', () => {
    // prompt 2,1,1,0 of 4 selections; generated uniform
    expect(loadTvd([0.5, 0.25, 0.25, 0], [0.25, 0.25, 0.25, 0.25])).toBe(0.25);
    expect(maxVioOfLoad([0.5, 0.25, 0.25, 0])).toBe(1); // (2 − 1) / 1
    expect(maxVioOfLoad([0.25, 0.25, 0.25, 0.25])).toBe(0);
    expect(maxVioOfLoad([0, 0, 0])).toBe(0); // nothing selected
    expect(() => loadTvd([1], [0.5, 0.5])).toThrow('loadTvd: 1 experts against 2');
  });

  it('generated layers keep load and shares, dense stays dense', () => {
    const out = generatedLayers(
      [moe([0.5, 0.25, 0.25, 0]), { index: 1, kind: 'dense' }],
      [moe([0, 0, 0.5, 0.5]), { index: 1, kind: 'dense' }],
    );
    expect(out).toEqual([
      {
        index: 0,
        kind: 'moe',
        experts: [0, 0, 0.5, 0.5].map((load, id) => ({ id, load, sources: { a: load } })),
        // ½(0.5 + 0.25 + 0.25 + 0.5) = 0.75; generated MaxVio 4·0.5 − 1 = 1
        vsPrompt: { tvd: 0.75, promptMaxVio: 1, generatedMaxVio: 1 },
      },
      { index: 1, kind: 'dense' },
    ]);
  });
});
