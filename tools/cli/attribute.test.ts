// `moe-lab attribute` on the fixture model: its ranking and intervention specs equal the metric
// functions applied to `moe-lab trace` output for the same texts; every error names the problem.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributeCommand } from './attribute';
import { traceCommand } from './trace';
import {
  contrastiveRanking,
  routingFrequency,
  steeringSpecs,
} from '../../src/routing/metrics/index';

const MODEL = 'public/models/tiny-mixtral';
const A = ['Hello world, the router.', 'Hello again.'];
const B = ['Grüße aus Köln.'];

interface Row {
  expert: number;
  freqA: number;
  freqB: number;
  delta: number;
}
interface Out {
  a: { texts: number; tokens: number };
  b: { texts: number; tokens: number };
  layers: { index: number; towardsA: Row[]; towardsB: Row[] }[];
  interventions: { steerTowardsA: string[]; suppressB: string[]; maskB: string[] };
}

/** The CLI prints RankedExpert rows without the (implied) layer field. */
const rows = (r: Row[]) =>
  r.map(({ expert, freqA, freqB, delta }) => ({ expert, freqA, freqB, delta }));

const selections = async (text: string) =>
  (
    (await traceCommand(['--model', MODEL, '--text', text])) as {
      layers: { selected: number[][] }[];
    }
  ).layers.map((l) => l.selected);

describe('moe-lab attribute', () => {
  it('ranks experts per layer by freq(A) − freq(B) of the traced texts and gives the view’s specs', async () => {
    // A as two --a values in one (one text per line, like the view's text box), B from a file.
    const dir = mkdtempSync(join(tmpdir(), 'attr-'));
    writeFileSync(join(dir, 'b.txt'), `\n${B[0]}\n\n`);
    const out = (await attributeCommand([
      '--model',
      MODEL,
      '--a',
      A.join('\n'),
      '--b-file',
      join(dir, 'b.txt'),
      '--tau',
      '0.1',
    ])) as Out;
    const runsA = await Promise.all(A.map(selections));
    const runsB = await Promise.all(B.map(selections));
    const fa = routingFrequency(runsA, 8);
    const fb = routingFrequency(runsB, 8);
    const ranking = contrastiveRanking(fa, fb);
    expect(out.a).toEqual({ texts: 2, tokens: runsA[0][0].length + runsA[1][0].length });
    expect(out.b).toEqual({ texts: 1, tokens: runsB[0][0].length });
    expect(out.layers).toHaveLength(3);
    out.layers.forEach((l, i) => {
      expect(l.index).toBe(i);
      // Top-2 routing on every token: each set's frequencies sum to 2 per layer.
      expect(l.towardsA.reduce((s, r) => s + r.freqA, 0)).toBeCloseTo(2, 12);
      expect(l.towardsA.reduce((s, r) => s + r.freqB, 0)).toBeCloseTo(2, 12);
      expect(l.towardsA).toEqual(rows(ranking[i]));
      expect(l.towardsB).toEqual(rows([...ranking[i]].reverse()));
    });
    // Hand count for layer 0, expert of A's top pick: tokens of A whose selection holds it / A's tokens.
    const top = out.layers[0].towardsA[0];
    const uses = runsA.flatMap((r) => r[0]).filter((s) => s.includes(top.expert)).length;
    expect(top.freqA).toBe(uses / out.a.tokens);
    expect(out.interventions).toEqual({
      steerTowardsA: steeringSpecs(ranking, { tau: 0.1, lambda: 0.5, direction: 'towardsA' }),
      suppressB: steeringSpecs(ranking, { tau: 0.1, lambda: 0.5, direction: 'suppressB' }),
      maskB: steeringSpecs(ranking, { tau: 0.1, kind: 'mask' }),
    });
    // steer-towards-A of layer 0 lists exactly the experts with Δ > τ, ids ascending.
    const ids0 = ranking[0]
      .filter((r) => r.delta > 0.1)
      .map((r) => r.expert)
      .sort((x, y) => x - y);
    expect(ids0.length).toBeGreaterThan(0);
    expect(out.interventions.steerTowardsA[0]).toMatch(
      new RegExp(`^steer:layers=0(-\\d)?,experts=${ids0.join('\\+')},lambda=0\\.5$`),
    );
    expect(out.interventions.suppressB.every((s) => s.endsWith(',lambda=-0.5'))).toBe(true);
  });

  it('--top N keeps the N most A-leaning and the N most B-leaning experts; --tau/--lambda reach the specs', async () => {
    const out = (await attributeCommand([
      '--model',
      MODEL,
      '--a',
      A[0],
      '--b',
      B[0],
      '--top',
      '2',
      '--tau',
      '0',
      '--lambda',
      '1.5',
    ])) as Out;
    const ranking = contrastiveRanking(
      routingFrequency([await selections(A[0])], 8),
      routingFrequency([await selections(B[0])], 8),
    );
    out.layers.forEach((l, i) => {
      expect(l.towardsA).toEqual(rows(ranking[i].slice(0, 2)));
      expect(l.towardsB).toEqual(rows([ranking[i][7], ranking[i][6]]));
    });
    expect(out.interventions.steerTowardsA).toEqual(
      steeringSpecs(ranking, { tau: 0, lambda: 1.5 }),
    );
    expect(out.interventions.steerTowardsA[0]).toContain(',lambda=1.5');
  });

  it('--a-probe/--b-probe take the bundle’s probe articles, one text each (babel-moe, first article)', async () => {
    const shipped = 'public/models/babel-moe';
    const out = (await attributeCommand([
      '--model',
      shipped,
      '--a-probe',
      'en',
      '--b-probe',
      'de',
      '--articles',
      '1',
      '--top',
      '1',
    ])) as Out;
    const article = (lang: string) =>
      (
        JSON.parse(readFileSync(`${shipped}/probes/${lang}.json`, 'utf8')) as {
          articles: { text: string }[];
        }
      ).articles[0].text;
    const sel = async (lang: string) =>
      (
        (await traceCommand(['--model', shipped, '--text', article(lang)])) as {
          layers: { selected: number[][] }[];
        }
      ).layers.map((l) => l.selected);
    const ranking = contrastiveRanking(
      routingFrequency([await sel('en')], 8),
      routingFrequency([await sel('de')], 8),
    );
    expect(out.a.texts).toBe(1);
    expect(out.b.texts).toBe(1);
    expect(out.layers.map((l) => l.towardsA)).toEqual(ranking.map((r) => rows(r.slice(0, 1))));
  });

  it('the printed JSON through `npx moe-lab` is the command’s object', async () => {
    const printed = JSON.parse(
      execFileSync(
        'node',
        [
          'tools/moe-lab.mjs',
          'attribute',
          '--model',
          MODEL,
          '--a',
          A[0],
          '--b',
          B[0],
          '--top',
          '1',
        ],
        { encoding: 'utf8' },
      ),
    );
    expect(printed).toEqual(
      JSON.parse(
        JSON.stringify(
          await attributeCommand(['--model', MODEL, '--a', A[0], '--b', B[0], '--top', '1']),
        ),
      ),
    );
  });

  it('errors name the problem', () => {
    const fail = (...args: string[]) =>
      spawnSync('node', ['tools/moe-lab.mjs', 'attribute', ...args], { encoding: 'utf8' });
    const err = (...args: string[]) => {
      const r = fail(...args);
      expect(r.status).toBe(2);
      return r.stderr;
    };
    expect(err('--a', 'x')).toBe(
      'moe-lab attribute: set B is empty: give --b "<text>", --b-file <path> or --b-probe <lang>\n',
    );
    expect(err('--a', ' \n ', '--b', 'y', '--model', MODEL)).toBe(
      'moe-lab attribute: set A has no text (only blank lines): give --a "<text>", --a-file <path> or --a-probe <lang>\n',
    );
    expect(err('--a', 'x', '--b-file', 'nope.txt')).toBe(
      'moe-lab attribute: --b-file nope.txt: no such file\n',
    );
    expect(err('--a', 'x', '--b-probe', 'de', '--model', MODEL)).toBe(
      'moe-lab attribute: --b-probe de: no probe text for that language (have: none: the bundle ships no probes/)\n',
    );
    expect(err('--a', 'x', '--b', 'y', '--top', '0')).toBe(
      'moe-lab attribute: --top must be a positive integer, got "0"\n',
    );
    expect(err('--a', 'x', '--b', 'y', '--tau', 'high')).toBe(
      'moe-lab attribute: --tau must be a number, got "high"\n',
    );
    expect(err('--a', 'x', '--b', 'y', '--c', 'z')).toContain('attribute: unknown option --c');
  });
});
