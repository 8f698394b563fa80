// `moe-lab compare`: hand-worked traces, and two real runs of the fixture model (an intervention
// from layer 1 on) whose flips equal `analyze --stability`.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCommand } from './compare';
import { traceCommand } from './trace';
import { analyzeCommand } from './analyze';
import { corpusCommand } from './corpus';
import { sourceUse } from '../../src/routing/metrics/corpusModels';
import type { CorpusLayer } from '../../src/routing/metrics/corpus';

const dir = mkdtempSync(join(tmpdir(), 'compare-'));
const write = (name: string, content: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(content));
  return f;
};
const trace = (
  ids: number[],
  layers: ({ selected: number[][] } | { kind: 'dense'; selected: number[][] })[],
) => ({
  model: { id: 'm', numLayers: layers.length, numExperts: 3 },
  tokens: ids.map((id) => ({ id, text: `t${id}` })),
  layers,
});

interface Out {
  tokens: number;
  layers: {
    index: number;
    kind: string;
    unchanged: number;
    jaccard: number;
    loadDrift: number;
    loadA: number[];
    loadB: number[];
    flippedCount: number;
    flipped: { position: number; id: number; text: string; a: number[]; b: number[] }[];
  }[];
  model: { unchanged: number; jaccard: number; loadDrift: number };
  notices: string[];
}

describe('moe-lab compare', () => {
  it('unchanged share, Jaccard, load drift and the flipped tokens per layer (worked by hand)', async () => {
    const a = write(
      'a.json',
      trace(
        [5, 6, 7, 8],
        [
          {
            selected: [
              [0, 1],
              [1, 2],
              [0, 2],
              [0, 1],
            ],
          },
          { kind: 'dense', selected: [[], [], [], []] },
        ],
      ),
    );
    const b = write(
      'b.json',
      trace(
        [5, 6, 7, 8],
        [
          {
            selected: [
              [1, 0],
              [1, 0],
              [2, 1],
              [0, 1],
            ],
          },
          { kind: 'dense', selected: [[], [], [], []] },
        ],
      ),
    );
    const r = (await compareCommand([a, b])) as Out;
    const [l0, l1] = r.layers;
    expect(l1).toEqual({ index: 1, kind: 'dense' });
    // t1 {1,2}→{0,1} (J 1/3), t2 {0,2}→{1,2} (J 1/3); t0, t3 the same set
    expect(l0.unchanged).toBe(0.5);
    expect(l0.jaccard).toBeCloseTo((1 + 1 / 3 + 1 / 3 + 1) / 4, 12);
    // loads a: e0 3, e1 3, e2 2 of 8; b: e0 3, e1 4, e2 1 → ½(0 + 1/8 + 1/8) = 1/8
    expect(l0.loadA).toEqual([3 / 8, 3 / 8, 2 / 8]);
    expect(l0.loadB).toEqual([3 / 8, 4 / 8, 1 / 8]);
    expect(l0.loadDrift).toBeCloseTo(1 / 8, 12);
    expect(l0.flippedCount).toBe(2);
    expect(l0.flipped).toEqual([
      { position: 1, id: 6, text: 't6', a: [1, 2], b: [1, 0] },
      { position: 2, id: 7, text: 't7', a: [0, 2], b: [2, 1] },
    ]);
    expect(r.model).toEqual({ unchanged: 0.5, jaccard: l0.jaccard, loadDrift: l0.loadDrift });
    expect(
      ((await compareCommand([a, b, '--top', '1'])) as Out).layers[0].flipped.map(
        (f) => f.position,
      ),
    ).toEqual([1]);
    expect(r.notices).toEqual([]);
  });

  it('two runs of the fixture model: nothing flips before the intervention, flips equal analyze --stability', async () => {
    const text = 'Hello world, the router routes the world again.';
    const a = write(
      'na.json',
      await traceCommand(['--model', 'public/models/tiny-mixtral', '--text', text]),
    );
    const b = write(
      'nb.json',
      await traceCommand([
        '--model',
        'public/models/tiny-mixtral',
        '--text',
        text,
        '--intervene',
        'mask:layers=1,experts=0+1+2',
      ]),
    );
    const r = (await compareCommand([a, b])) as Out;
    const st = (await analyzeCommand(['--stability', a, b])) as {
      stability: { unchanged: number; flipped: number[] }[];
    };
    expect(r.layers[0]).toMatchObject({ unchanged: 1, jaccard: 1, loadDrift: 0, flipped: [] });
    expect(r.layers[1].unchanged).toBeLessThan(1);
    r.layers.forEach((l, i) => {
      expect(l.unchanged).toBeCloseTo(st.stability[i].unchanged, 12);
      expect(l.flipped.map((f) => f.position)).toEqual(st.stability[i].flipped);
    });
    // masked experts 0–2 take nothing in b's layer 1
    expect(r.layers[1].loadB.slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('errors name the files', async () => {
    const a = write('s.json', trace([1, 2], [{ selected: [[0], [1]] }]));
    const b = write('t.json', trace([1], [{ selected: [[0]] }]));
    await expect(compareCommand([a, b])).rejects.toThrow(
      `compare: ${a} has 2 tokens, ${b} 1 (compare two runs over the same text)`,
    );
    await expect(compareCommand([a])).rejects.toThrow(
      'compare: give exactly two trace files (got 1): compare a.json b.json',
    );
    const c = write('u.json', trace([3, 4], [{ selected: [[0], [1]] }]));
    expect(((await compareCommand([a, c])) as Out).notices).toEqual([
      '2 of 2 positions hold different token ids (different tokenizers or texts): positions are compared as they stand',
    ]);
  });

  it('two corpus reports: per source, both runs’ specialisation and experts used, equal to the reports’ own shares', async () => {
    const en = write('en.txt', 'the router sends every token\nto the experts it prefers\n');
    writeFileSync(join(dir, 'de.txt'), 'der Router schickt jedes Token\nzu den Experten\n');
    const de = join(dir, 'de.txt');
    const model = ['--model', 'public/models/tiny-mixtral'];
    const ra = write('ca.json', await corpusCommand([en, de, ...model]));
    const rb = write(
      'cb.json',
      await corpusCommand([en, de, ...model, '--intervene', 'mask:layers=1,experts=0+1+2']),
    );
    const r = (await compareCommand([ra, rb])) as {
      kind: string;
      sources: string[];
      experts: number[][];
      layers: {
        model: string;
        index: number;
        sources: Record<string, { effectiveExperts: number; cover90: number }>;
      }[];
      summary: {
        source: string;
        a: { effectiveExperts: number };
        b: { effectiveExperts: number };
      }[];
      notices: string[];
    };
    expect(r.kind).toBe('corpus-models');
    expect(r.sources).toEqual(['en', 'de']);
    expect(r.experts).toEqual([
      [8, 8, 8],
      [8, 8, 8],
    ]);
    expect(r.notices).toEqual([]);
    // layer 0 routes the same in both runs; in layer 1 the masked run spreads each source over ≤ 5 experts
    const a0 = r.layers.find((l) => l.model === 'a' && l.index === 0)!.sources.en;
    const b0 = r.layers.find((l) => l.model === 'b' && l.index === 0)!.sources.en;
    expect(b0).toEqual(a0);
    const b1 = r.layers.find((l) => l.model === 'b' && l.index === 1)!.sources;
    expect(b1.en.effectiveExperts).toBeLessThanOrEqual(5 + 1e-9);
    // the numbers are the corpus report's own shares run through sourceUse
    const reportB = JSON.parse(readFileSync(rb, 'utf8')) as { layers: CorpusLayer[] };
    const l1 = reportB.layers[1] as Extract<CorpusLayer, { kind: 'moe' }>;
    expect(b1.de).toEqual(sourceUse(l1, 'de'));
    await expect(
      compareCommand([ra, write('tr.json', trace([1], [{ selected: [[0]] }]))]),
    ).rejects.toThrow(
      `compare: ${ra} is a corpus report and ${join(dir, 'tr.json')} is not (give two traces or two corpus reports)`,
    );
  });
});
