// The corpus view's worker job (src/gpu/corpusJob.ts) gives `moe-lab corpus`'s report on the same
// files: same sources, windows, batches and accumulator, so the page shows the CLI's numbers.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCommand } from './corpus';
import { openLab } from './nodeBundle';
import type { Lab } from '../../src/gpu/lab';
import { runCorpus } from '../../src/gpu/corpusJob';
import { runAblation } from '../../src/gpu/ablateJob';
import { ablateCommand } from './ablate';
import { corpusTextsOf } from '../../src/routing/metrics/corpusRun';
import { corpusInputsOf } from '../../src/routing/metrics/corpusInputs';
import { traceCommand } from './trace';

const MODEL = 'public/models/tiny-mixtral';
const FILES = {
  'en.txt': 'The cat sat on the mat.\n\nThe dog ran in the park.\n',
  'code.txt': 'for (let i = 0; i < n; i++) x += i;\r\nreturn x;\r\n',
};
let lab: Lab;
let dir: string;

beforeAll(async () => {
  lab = await openLab(MODEL, 'node');
  dir = mkdtempSync(join(tmpdir(), 'corpus-page-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
}, 60_000);

describe('the corpus view’s worker job', () => {
  it('equals `moe-lab corpus` on the same files, and compares a changed router with the baseline', async () => {
    const names = Object.keys(FILES);
    const cli = (await corpusCommand(
      names.map((n) => join(dir, n)).concat(['--model', MODEL, '--min-count', '2']),
    )) as Record<string, unknown>;
    const texts = corpusTextsOf(
      names.map((n) => ({ name: n, text: FILES[n as keyof typeof FILES] })),
    );
    const progress: number[] = [];
    const page = await runCorpus(
      lab,
      { ...texts, router: 'native', interventions: [], minCount: 2 },
      { aborted: false },
      (p) => {
        if (p.status === 'item') progress.push(p.index);
      },
    );
    for (const k of ['model', 'tokens', 'sources', 'layers', 'specialisation', 'notices'])
      expect(page[k as keyof typeof page], k).toEqual(cli[k]);
    expect(page.compare).toBeUndefined();
    expect(progress).toEqual([0, 4]);

    const masked = await runCorpus(
      lab,
      { ...texts, router: 'native', interventions: ['mask:layers=0,experts=0'] },
      { aborted: false },
      () => undefined,
    );
    const c = masked.compare!;
    expect(c.map((r) => r.index)).toEqual(
      page.layers.filter((l) => l.kind === 'moe').map((l) => l.index),
    );
    // masking expert 0 in layer 0 changes exactly the tokens that chose it there
    const l0 = page.layers[0];
    if (l0.kind !== 'moe') throw new Error('layer 0 is MoE');
    const chose0 = Math.round(
      l0.experts[0].sources.en * page.sources[0].tokens +
        l0.experts[0].sources.code * page.sources[1].tokens,
    );
    expect(c[0].flipped).toBe(chose0);
    expect(c[0].tokens).toBe(page.tokens);
  });

  it('ablates as `moe-lab ablate` does: the same experts, loss changes and random-control spread', async () => {
    const names = Object.keys(FILES);
    const cli = (await ablateCommand(
      names
        .map((n) => join(dir, n))
        .concat(['--model', MODEL, '--source', 'code', '--n', '1', '--seeds', '2']),
    )) as {
      layers: number[];
      baseline: { target: number; others: number };
      preferred: {
        experts: Record<string, number[]>;
        deltaLoss: { target: number; others: number };
      };
      random: { target: object; others: object };
    };
    const texts = corpusTextsOf(
      names.map((n) => ({ name: n, text: FILES[n as keyof typeof FILES] })),
    );
    const passes: number[] = [];
    const page = await runAblation(
      lab,
      { ...texts, source: 'code', n: 1, seeds: 2 },
      { aborted: false },
      (p) => {
        if (p.status === 'item') passes.push(p.index);
      },
    );
    expect(passes).toEqual([0, 1, 2, 3, 4]);
    expect(page.layers).toEqual(cli.layers);
    expect(page.preferred.experts).toEqual(cli.layers.map((l) => cli.preferred.experts[String(l)]));
    expect(page.baseline).toEqual({ target: cli.baseline.target, others: cli.baseline.others });
    expect(page.preferred.deltaLoss).toEqual({
      target: cli.preferred.deltaLoss.target,
      others: cli.preferred.deltaLoss.others,
    });
    expect(page.random).toEqual({ target: cli.random.target, others: cli.random.others });
    await expect(
      runAblation(
        lab,
        { ...texts, source: 'fr', n: 1, seeds: 1 },
        { aborted: false },
        () => undefined,
      ),
    ).rejects.toThrow('ablate: no source "fr" (have: en, code)');
  }, 60_000);

  it('reads .jsonl and trace .json as `moe-lab corpus` does (the shared parser), with the same report', async () => {
    const jsonl = [
      { text: 'The cat sat on the mat.', source: 'en' },
      { text: 'Die Katze sass auf der Matte.', source: 'de' },
      { text: 'The dog ran in the park.' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const trace = JSON.stringify(await traceCommand(['--model', MODEL, '--text', 'return x + 1;']));
    const files = [
      { name: 'mix.jsonl', text: jsonl },
      { name: 'cap.json', text: trace },
    ];
    for (const f of files) writeFileSync(join(dir, f.name), f.text);
    const cli = (await corpusCommand(
      files.map((f) => join(dir, f.name)).concat(['--model', MODEL, '--min-count', '2']),
    )) as Record<string, unknown>;
    const { sources, texts, traces } = corpusInputsOf(files);
    const page = await runCorpus(
      lab,
      { sources, texts, traces, router: 'native', interventions: [], minCount: 2 },
      { aborted: false },
      () => undefined,
    );
    expect(page.sources.map((s) => s.name)).toEqual(['en', 'de', 'mix', 'cap']);
    for (const k of ['model', 'tokens', 'sources', 'layers', 'specialisation', 'notices'])
      expect(page[k as keyof typeof page], k).toEqual(cli[k]);
    // a trace that does not fit the model is refused by name; ablation has nothing to run on it
    const t = JSON.parse(trace) as { model: object; layers: unknown[] };
    const one = corpusInputsOf([
      {
        name: 'one.json',
        text: JSON.stringify({
          ...t,
          model: { ...t.model, numLayers: 1 },
          layers: t.layers.slice(0, 1),
        }),
      },
    ]);
    const job = { ...one, router: 'native', interventions: [] };
    await expect(runCorpus(lab, job, { aborted: false }, () => undefined)).rejects.toThrow(
      `one.json: the trace has 1 layers, the model ${t.layers.length}`,
    );
    await expect(
      runAblation(
        lab,
        { sources, texts, traces, source: 'en', n: 1, seeds: 1 },
        { aborted: false },
        () => undefined,
      ),
    ).rejects.toThrow('cap.json: ablate runs the model on texts; a captured trace has no loss');
  });

  it('stops between batches when cancelled', async () => {
    const texts = corpusTextsOf([{ name: 'a.txt', text: 'one\ntwo' }]);
    await expect(
      runCorpus(
        lab,
        { ...texts, router: 'native', interventions: [] },
        { aborted: true },
        () => undefined,
      ),
    ).rejects.toThrow('cancelled');
  });
});
