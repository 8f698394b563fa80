// `moe-lab analyze` end to end on small trace files written to a temp dir: the CLI prints what
// analyzeTraces computes (and what was worked by hand), and every error names the file.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCommand } from './analyze';
import { UsageError } from './args';
import { analyzeTraces, parseTrace } from '../../src/routing/metrics/index';

const SIX = [[0], [0], [1], [1], [0], [2]];
const traceJson = (selected: number[][], logits = true) => ({
  model: { id: 'hand', numLayers: 1, numExperts: 4 },
  backend: 'node',
  router: 'topk:k=1',
  interventions: [],
  tokens: selected.map((_, i) => ({ id: i, text: `t${i}` })),
  // expert 3 masked on token 0: JSON.stringify writes −Infinity as null
  layers: [
    {
      index: 0,
      kind: 'moe',
      ...(logits
        ? { routerLogits: selected.map((_, t) => [0, 0, 0, t === 0 ? -Infinity : 0]) }
        : {}),
      selected,
      gates: selected.map(() => [1]),
    },
  ],
});

const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
const write = (name: string, content: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const moeLab = (...args: string[]) =>
  spawnSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' });

describe('moe-lab analyze', () => {
  const six = write('six.json', traceJson(SIX));
  const short = write('short.json', traceJson([[3], [3]], false));

  it('prints analyzeTraces of the files, with the hand-worked numbers', () => {
    const r = moeLab('analyze', six, short, '--m', '2', '--C', '1,2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const lib = analyzeTraces(
      [six, short].map((f, i) =>
        parseTrace(
          JSON.parse(JSON.stringify(i ? traceJson([[3], [3]], false) : traceJson(SIX))),
          f,
        ),
      ),
      { m: [2], C: [1, 2] },
    );
    expect(out).toEqual(JSON.parse(JSON.stringify(lib)));
    const l = out.layers[0];
    expect(l.counts).toEqual([3, 2, 1, 2]); // 0,0,1,1,0,2 and 3,3 pooled
    expect(l.maxVio).toBeCloseTo((3 - 2) / 2, 12); // ideal 8/4 = 2
    // SRP(2): six 20/26, short 1 → token-weighted (6·20/26 + 2)/8; SCH(2,1): (6·3/6 + 2·1)/8 = 0.625
    expect(l.srp['2']).toBeCloseTo((6 * (20 / 26) + 2) / 8, 12);
    expect(l.sch['2']['1']).toBeCloseTo(0.625, 12);
    expect(l.hfAux).toBeNull(); // short.json has no router logits
  });

  it('defaults to m = 2,4,8 and C = 1,2,4; hfAux from the logits (masked experts included)', async () => {
    const r = moeLab('analyze', six);
    expect(r.status).toBe(0);
    const l = JSON.parse(r.stdout).layers[0];
    expect(Object.keys(l.srp)).toEqual(['2', '4', '8']);
    expect(Object.keys(l.sch['4'])).toEqual(['1', '2', '4']);
    expect(l.srp['8']).toBeNull(); // 6 tokens: no window of 8
    // token 0 has expert 3 masked: P = [⅓,⅓,⅓,0]; tokens 1–5 uniform ¼. P̄ = [(⅓ + 5/4)/6, …, (5/4)/6]
    // f = [½, ⅓, ⅙, 0] → hfAux = 4 · (19/12)/6 · (½ + ⅓ + ⅙) = 4 · 19/72 = 19/18
    expect(l.hfAux).toBeCloseTo(19 / 18, 12);
    expect(await analyzeCommand([six])).toEqual(JSON.parse(r.stdout));
  });

  it('errors name the file (and the field) and exit 2', async () => {
    const bad = write('bad.json', traceJson([[0], [0], [1], [1], [0], [9]]));
    const r = moeLab('analyze', bad);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `moe-lab analyze: ${bad}: layers[0].selected[5]: expert 9 out of range 0..3\n`,
    );

    const usage = async (argv: string[], msg: string) => {
      const e = await analyzeCommand(argv).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toBe(msg);
    };
    const notJson = write('notjson.json', '{"model": ');
    mkdirSync(join(dir, 'folder.json'));
    const oneLayerless = write('empty.json', { ...traceJson(SIX), layers: [] });
    const twoLayers = write('two.json', {
      ...traceJson(SIX),
      model: { ...traceJson(SIX).model, numLayers: 2 },
      layers: [traceJson(SIX).layers[0], { ...traceJson(SIX).layers[0], index: 1 }],
    });
    await usage(
      [],
      'analyze: give one or more trace JSON files (from `moe-lab trace` or the page’s export)',
    );
    await usage([join(dir, 'missing.json')], `${join(dir, 'missing.json')}: no such file`);
    await usage(
      [join(dir, 'folder.json')],
      `${join(dir, 'folder.json')}: is a directory, not a trace file`,
    );
    expect(((await analyzeCommand([notJson]).catch((x: unknown) => x)) as Error).message).toMatch(
      new RegExp(`^${notJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(`),
    );
    await usage(
      [oneLayerless],
      `${oneLayerless}: layers: must be a non-empty array, got an array of 0`,
    );
    await usage([six, twoLayers], `analyze: ${twoLayers} has 2 layers but ${six} has 1`);
    await usage(
      [six, '--m', '0,2'],
      '--m must be a comma-separated list of positive integers, got "0,2"',
    );
    await usage([six, '--C', 'x'], '--C must be a comma-separated list of numbers, got "x"');
    await usage(
      [six, '--metrics', 'srp,vibes'],
      '--metrics: unknown metric "vibes" (known: load, hfAux, srp, sch, cache, entropy, prefetch)',
    );
    await usage([six, '--top', '3'], 'analyze: unknown option --top (known: --metrics, --m, --C, --stability)');
  });

  it('--metrics picks the metrics', async () => {
    const out = (await analyzeCommand([six, '--metrics', 'load,srp', '--m', '2'])) as {
      layers: object[];
    };
    expect(Object.keys(out.layers[0])).toEqual([
      'index',
      'counts',
      'maxOverMean',
      'cv',
      'maxVio',
      'loadEntropy',
      'meanActive',
      'dropped',
      'srp',
    ]);
  });
});
