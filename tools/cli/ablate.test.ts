// `moe-lab ablate` on the fixture model: the preferred experts are the corpus report's top shares of
// the source, every loss change equals `moe-lab trace --loss` with the same mask specs, and the
// random control is seeded, reproducible and summarised by mean and sample spread.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ablateCommand } from './ablate';
import { corpusCommand } from './corpus';
import { traceCommand } from './trace';
import { preferredExperts, randomExperts } from '../../src/routing/metrics/ablation';
import { createRng } from '../../src/routing/rng';

const MODEL = 'public/models/tiny-mixtral';
const dir = mkdtempSync(join(tmpdir(), 'ablate-'));
const TEXTS = {
  en: ['Hello world, the router.', 'The world routes again.'],
  de: ['Grüße aus Köln.', 'Köln grüßt die Welt.'],
};
const files = Object.entries(TEXTS).map(([name, lines]) => {
  const f = join(dir, `${name}.txt`);
  writeFileSync(f, lines.join('\n'));
  return f;
});

interface Out {
  source: string;
  n: number;
  layers: number[];
  baseline: { target: number; others: number; perSource: Record<string, number> };
  preferred: {
    experts: Record<string, number[]>;
    interventions: string[];
    deltaLoss: { target: number; others: number; perSource: Record<string, number> };
  };
  random: {
    seeds: { seed: number; experts: Record<string, number[]>; target: number; others: number }[];
    target: { mean: number; std: number; n: number };
    others: { mean: number; std: number };
  };
}

/** mean per-token loss over the lines of a source, from `moe-lab trace --loss` */
async function meanLoss(lines: string[], interventions: string[]): Promise<number> {
  const all: number[] = [];
  for (const text of lines) {
    const t = (await traceCommand([
      '--model',
      MODEL,
      '--text',
      text,
      '--loss',
      ...interventions.flatMap((s) => ['--intervene', s]),
    ])) as { loss: number[] };
    all.push(...t.loss);
  }
  return all.reduce((a, b) => a + b, 0) / all.length;
}

describe('moe-lab ablate', () => {
  it('masks the source’s preferred experts vs n random ones; numbers equal trace --loss', async () => {
    const r = (await ablateCommand([
      ...files,
      '--model',
      MODEL,
      '--source',
      'de',
      '--n',
      '2',
      '--seeds',
      '3',
      '--seed',
      '4',
      '--layers',
      '0-1',
      '--batch',
      '3',
    ])) as Out;
    expect(r.layers).toEqual([0, 1]);
    const corpus = (await corpusCommand([...files, '--model', MODEL])) as {
      layers: { experts: { sources: Record<string, number> }[] }[];
    };
    for (const l of [0, 1])
      expect(r.preferred.experts[String(l)]).toEqual(
        preferredExperts(
          corpus.layers[l].experts.map((e) => e.sources.de),
          2,
        ),
      );
    expect(r.preferred.interventions).toEqual(
      [0, 1].map((l) => `mask:layers=${l},experts=${r.preferred.experts[String(l)].join('+')}`),
    );

    const base = { en: await meanLoss(TEXTS.en, []), de: await meanLoss(TEXTS.de, []) };
    expect(r.baseline.perSource.en).toBeCloseTo(base.en, 4);
    expect(r.baseline.target).toBeCloseTo(base.de, 4);
    expect(r.baseline.others).toBeCloseTo(base.en, 4); // the only other source
    const masked = {
      en: await meanLoss(TEXTS.en, r.preferred.interventions),
      de: await meanLoss(TEXTS.de, r.preferred.interventions),
    };
    expect(r.preferred.deltaLoss.target).toBeCloseTo(masked.de - base.de, 4);
    expect(r.preferred.deltaLoss.others).toBeCloseTo(masked.en - base.en, 4);

    // seeds 4, 5, 6: per layer n random experts from one RNG per seed
    expect(r.random.seeds.map((s) => s.seed)).toEqual([4, 5, 6]);
    for (const s of r.random.seeds) {
      const rng = createRng(s.seed);
      expect([s.experts['0'], s.experts['1']]).toEqual([
        randomExperts(8, 2, rng),
        randomExperts(8, 2, rng),
      ]);
    }
    const first = r.random.seeds[0];
    const specs = [0, 1].map(
      (l) => `mask:layers=${l},experts=${first.experts[String(l)].join('+')}`,
    );
    expect(first.target).toBeCloseTo((await meanLoss(TEXTS.de, specs)) - base.de, 4);
    const xs = r.random.seeds.map((s) => s.target);
    const mean = xs.reduce((a, b) => a + b, 0) / 3;
    expect(r.random.target.mean).toBeCloseTo(mean, 12);
    expect(r.random.target.std).toBeCloseTo(
      Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2),
      12,
    );
    expect(r.random.target.n).toBe(3);
  });

  it('errors name the source, the flag and the layer', async () => {
    await expect(ablateCommand([...files, '--model', MODEL])).rejects.toThrow(
      'ablate: --source NAME is required',
    );
    await expect(ablateCommand([...files, '--model', MODEL, '--source', 'fr'])).rejects.toThrow(
      '--source fr: no such source (have: en, de)',
    );
    await expect(ablateCommand([files[0], '--model', MODEL, '--source', 'en'])).rejects.toThrow(
      'ablate: needs at least two sources',
    );
    await expect(
      ablateCommand([...files, '--model', MODEL, '--source', 'en', '--n', '9']),
    ).rejects.toThrow('--n 9: layer 0 has 8 experts');
    await expect(ablateCommand([...files, '--source', 'en', '--seeds', '0'])).rejects.toThrow(
      '--seeds must be an integer ≥ 1, got "0"',
    );
  });
});
