// `moe-lab corpus` on the fixture model: batched routing equals one forward per sequence; the report
// equals the contract's definitions applied to `moe-lab trace` output of each line; trace inputs
// are aggregated without running anything; windows, progress, Ctrl-C and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchesOf, corpusCommand } from './corpus';
import { traceCommand } from './trace';
import { openLab } from './nodeBundle';
import { forwardBatch } from '../../src/gpu/batch';
import { parseIntervention } from '../../src/routing/index';
import { tokenLossesFromLogProbs } from '../../src/routing/logits';
import type { Lab } from '../../src/gpu/lab';

const MODEL = 'public/models/tiny-mixtral';
const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
const write = (name: string, content: string) => {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
};

interface Expert {
  id: number;
  load: number;
  sources: Record<string, number>;
  topTokens: { id: number; text: string; count: number; share: number }[];
  contexts: { gate: number; source: string; sequence: number; position: number; token: string }[];
}
interface Report {
  model: string;
  router: string;
  tokens: number;
  sources: { name: string; sequences: number; tokens: number }[];
  layers: {
    index: number;
    kind: string;
    numExperts: number;
    topK: number;
    experts: Expert[];
    specialisation: Record<string, number>;
  }[];
  specialisation: Record<string, number>;
  notices: string[];
}

let lab: Lab;
beforeAll(async () => {
  lab = await openLab(MODEL, 'node');
});

describe('batched forward', () => {
  it('B sequences of different lengths route and score exactly as one forward each', async () => {
    const seqs = [
      [1, 40, 41, 42, 43, 44],
      [1, 200, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25],
      [1, 5, 6],
    ];
    for (const spec of [[], ['mask:layers=1,experts=3+5'], ['skip:layers=2']]) {
      const ivs = spec.map(parseIntervention);
      const r = await forwardBatch(lab.engine, {
        seqs,
        router: lab.policy('native'),
        interventions: ivs,
        loss: true,
      });
      expect(r.batched).toBe(true);
      for (const [b, ids] of seqs.entries()) {
        const one = await lab.engine.forward({
          ids,
          router: lab.policy('native'),
          interventions: ivs,
          slot: 'test',
        });
        expect(r.events[b].map((e) => e.selected)).toEqual(one.events.map((e) => e.selected));
        r.events[b].forEach((e, l) => {
          expect(e.T).toBe(ids.length);
          e.gates.forEach((g, t) =>
            g.forEach((x, j) => expect(x).toBeCloseTo(one.events[l].gates[t][j], 5)),
          );
          expect(e.skipped).toBe(one.events[l].skipped);
        });
        const loss = tokenLossesFromLogProbs(one.logProbs!, lab.engine.V, ids);
        r.loss![b].forEach((x, t) => expect(x).toBeCloseTo(loss[t], 4));
      }
    }
  });
});

describe('batches', () => {
  it('sorted by length, at most max sequences and budget padded tokens each', () => {
    expect(batchesOf([5, 1, 3, 3], 2, 100)).toEqual([
      [1, 2],
      [3, 0],
    ]);
    // budget 6: [1 (len 1), 2 (len 3)] pads to 2 × 3 = 6; 3 and 0 would pad past it
    expect(batchesOf([5, 1, 3, 3], 2, 6)).toEqual([[1, 2], [3], [0]]);
    expect(batchesOf([9], 4, 6)).toEqual([[0]]); // longer than the budget: alone
  });
});

describe('moe-lab corpus', () => {
  const A = ['Hello world, the router.', 'Hello again, world.'];
  const B = ['Grüße aus Köln.', 'Hello Köln.'];
  const C = ['The router routes the world.'];

  it('reports the contract over .txt, a directory and .jsonl, equal to the definitions on trace output', async () => {
    const a = write('a.txt', `${A[0]}\n\n${A[1]}\n`);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'b.txt'), `${B[0]}\r\n${B[1]}`);
    writeFileSync(join(dir, 'd', 'notes.md'), 'not a source');
    const j = write(
      'c.jsonl',
      `${JSON.stringify({ text: C[0] })}\n\n${JSON.stringify({ text: B[1], source: 'b' })}\n`,
    );
    const r = (await corpusCommand([
      a,
      join(dir, 'd'),
      j,
      '--model',
      MODEL,
      '--min-count',
      '2',
      '--top',
      '4',
      '--contexts',
      '2',
      '--batch',
      '2',
    ])) as Report;
    expect(Object.keys(r)).toEqual([
      'model',
      'router',
      'tokens',
      'sources',
      'layers',
      'specialisation',
      'run',
      'notices',
    ]);
    const texts: Record<string, string[]> = { a: A, b: [...B, B[1]], c: C };
    // the definitions, straight from `moe-lab trace` of every line
    const traced: Record<string, { ids: number[]; sel: number[][][]; gates: number[][][] }[]> = {};
    for (const [s, ts] of Object.entries(texts)) {
      traced[s] = [];
      for (const t of ts) {
        const tr = (await traceCommand(['--model', MODEL, '--text', t])) as {
          tokens: { id: number }[];
          layers: { selected: number[][]; gates: number[][] }[];
        };
        traced[s].push({
          ids: tr.tokens.map((x) => x.id),
          sel: tr.layers.map((l) => l.selected),
          gates: tr.layers.map((l) => l.gates),
        });
      }
    }
    expect(r.model).toBe('tiny-mixtral');
    expect(r.router).toBe('native');
    expect(r.sources).toEqual(
      ['a', 'b', 'c'].map((name) => ({
        name,
        sequences: texts[name].length,
        tokens: traced[name].reduce((n, x) => n + x.ids.length, 0),
      })),
    );
    expect(r.tokens).toBe(r.sources.reduce((n, s) => n + s.tokens, 0));
    const all = Object.entries(traced).flatMap(([s, xs]) => xs.map((x) => ({ s, ...x })));
    const count = new Map<number, number>();
    for (const x of all) for (const id of x.ids) count.set(id, (count.get(id) ?? 0) + 1);
    for (const layer of r.layers) {
      const l = layer.index;
      expect(Object.keys(layer)).toEqual([
        'index',
        'kind',
        'numExperts',
        'topK',
        'experts',
        'specialisation',
      ]);
      expect([layer.kind, layer.numExperts, layer.topK]).toEqual(['moe', 8, 2]);
      const selections = all.reduce((n, x) => n + x.sel[l].flat().length, 0);
      for (const e of layer.experts) {
        expect(Object.keys(e)).toEqual(['id', 'load', 'sources', 'topTokens', 'contexts']);
        expect(e.load).toBeCloseTo(
          all.reduce((n, x) => n + x.sel[l].flat().filter((v) => v === e.id).length, 0) /
            selections,
          12,
        );
        for (const s of ['a', 'b', 'c']) {
          const xs = traced[s];
          const hits = xs.reduce((n, x) => n + x.sel[l].filter((k) => k.includes(e.id)).length, 0);
          expect(e.sources[s]).toBeCloseTo(hits / xs.reduce((n, x) => n + x.ids.length, 0), 12);
        }
        // topTokens: ids seen ≥ 2 times, share = routed to e / count, share ↓ count ↓ id ↑, first 4
        const want = [...count]
          .filter(([, c]) => c >= 2)
          .map(([id, c]) => {
            let routed = 0;
            for (const x of all)
              x.ids.forEach((v, t) => (routed += v === id && x.sel[l][t].includes(e.id) ? 1 : 0));
            return { id, count: c, share: routed / c };
          })
          .sort((p, q) => q.share - p.share || q.count - p.count || p.id - q.id)
          .slice(0, 4);
        expect(e.topTokens.map(({ id, count: c }) => ({ id, count: c }))).toEqual(
          want.map(({ id, count: c }) => ({ id, count: c })),
        );
        e.topTokens.forEach((t, i) => {
          expect(t.share).toBeCloseTo(want[i].share, 12);
          expect(t.text).toBe(lab.tokenizer.tokenText(t.id));
        });
        // contexts: the two highest gates of e over the corpus
        const gates = all.flatMap((x) =>
          x.sel[l].flatMap((k, t) => (k.includes(e.id) ? [x.gates[l][t][k.indexOf(e.id)]] : [])),
        );
        gates.sort((p, q) => q - p);
        expect(e.contexts.map((c) => c.gate)).toHaveLength(Math.min(2, gates.length));
        e.contexts.forEach((c, i) => expect(c.gate).toBeCloseTo(gates[i], 5));
      }
      // Σ_e share = k for every source (top-2, nothing dropped); specialisation = max share ÷ (2/8)
      for (const s of ['a', 'b', 'c']) {
        expect(layer.experts.reduce((n, e) => n + e.sources[s], 0)).toBeCloseTo(2, 12);
        expect(layer.specialisation[s]).toBeCloseTo(
          Math.max(...layer.experts.map((e) => e.sources[s])) / (2 / 8),
          12,
        );
      }
    }
    expect(r.specialisation.a).toBeCloseTo(
      r.layers.reduce((n, l) => n + l.specialisation.a, 0) / 3,
      12,
    );
    expect(r.notices).toEqual([]);
  });

  it('splits a sequence longer than the context into windows without overlap, with a notice', async () => {
    const long = 'Hello world, the router routes. '.repeat(12);
    const n = lab.tokenizer.encode(long).length;
    expect(n).toBeGreaterThan(64);
    const f = write('long.txt', long + '\n');
    const r = (await corpusCommand([f, '--model', MODEL])) as Report;
    expect(r.sources).toEqual([{ name: 'long', sequences: 1, tokens: n }]);
    expect(r.notices).toEqual([
      "1 sequence longer than the model's context of 64 tokens was split into windows of 64 without overlap",
    ]);
    // positions of contexts count from the start of the sequence, across windows
    const positions = r.layers.flatMap((l) =>
      l.experts.flatMap((e) => e.contexts.map((c) => c.position)),
    );
    expect(Math.max(...positions)).toBeLessThan(n);
  });

  it('aggregates trace JSON inputs without running a model (worked by hand)', async () => {
    const trace = (tokens: [number, string][], sel: number[][], gates: number[][]) =>
      JSON.stringify({
        model: { id: 'captured', numLayers: 1, numExperts: 4 },
        tokens: tokens.map(([id, text]) => ({ id, text })),
        layers: [{ index: 0, kind: 'moe', selected: sel, gates }],
      });
    // x: tokens 7 8 7 → experts {0,1} {2,3} {0,2}; y: tokens 7 9 → {0,1} {0,1}
    const x = write(
      'x.json',
      trace(
        [
          [7, 'a'],
          [8, 'b'],
          [7, 'a'],
        ],
        [
          [0, 1],
          [2, 3],
          [0, 2],
        ],
        [
          [0.6, 0.4],
          [0.9, 0.1],
          [0.7, 0.3],
        ],
      ),
    );
    const y = write(
      'y.json',
      trace(
        [
          [7, 'a'],
          [9, 'c'],
        ],
        [
          [0, 1],
          [0, 1],
        ],
        [
          [0.5, 0.5],
          [0.8, 0.2],
        ],
      ),
    );
    const r = (await corpusCommand([x, y, '--min-count', '2', '--contexts', '1'])) as Report;
    expect(r.model).toBe('captured');
    expect(r.sources).toEqual([
      { name: 'x', sequences: 1, tokens: 3 },
      { name: 'y', sequences: 1, tokens: 2 },
    ]);
    const [l] = r.layers;
    expect([l.numExperts, l.topK]).toEqual([4, 2]);
    // selections of 10: e0 4, e1 3, e2 2, e3 1
    expect(l.experts.map((e) => e.load)).toEqual([0.4, 0.3, 0.2, 0.1]);
    // x: e0 2/3, e1 1/3, e2 2/3, e3 1/3; y: e0 1, e1 1
    expect(l.experts.map((e) => [e.sources.x, e.sources.y])).toEqual([
      [2 / 3, 1],
      [1 / 3, 1],
      [2 / 3, 0],
      [1 / 3, 0],
    ]);
    // token 7 occurs 3 times (the only one ≥ 2): e0 takes all 3, e1 2, e2 1, e3 none
    expect(l.experts.map((e) => e.topTokens)).toEqual([
      [{ id: 7, text: 'a', count: 3, share: 1 }],
      [{ id: 7, text: 'a', count: 3, share: 2 / 3 }],
      [{ id: 7, text: 'a', count: 3, share: 1 / 3 }],
      [{ id: 7, text: 'a', count: 3, share: 0 }],
    ]);
    // contexts: e0's gates .6 .7 (x), .5 .8 (y) → .8 at y pos 1; e1's .4 (x), .5 .2 (y) → .5
    expect(l.experts[0].contexts[0]).toMatchObject({
      gate: 0.8,
      source: 'y',
      sequence: 0,
      position: 1,
      token: 'c',
    });
    expect(l.experts[1].contexts[0]).toMatchObject({ gate: 0.5, source: 'y', position: 0 });
    // specialisation: k/E = 1/2 → x: (2/3)/(1/2) = 4/3, y: 1/(1/2) = 2
    expect(l.specialisation.x).toBeCloseTo(4 / 3, 12);
    expect(l.specialisation.y).toBe(2);
    // a trace of another shape is named
    const z = write(
      'z.json',
      JSON.stringify({
        model: { id: 'captured', numLayers: 2, numExperts: 4 },
        tokens: [{ id: 1, text: 'q' }],
        layers: [{ selected: [[0]] }, { selected: [[0]] }],
      }),
    );
    await expect(corpusCommand([x, z])).rejects.toThrow(`${z}: the trace has 2 layers, ${x} 1`);
  });

  it('a captured trace of a text gives the report that routing the text gives', async () => {
    const text = 'Hello world, the router routes the world again and again.';
    const t = write(
      'captured.json',
      JSON.stringify(await traceCommand(['--model', MODEL, '--text', text])),
    );
    const f = write('captured.txt', text);
    const opts = ['--min-count', '2', '--contexts', '2'];
    const fromTrace = (await corpusCommand([t, '--model', MODEL, ...opts])) as Report;
    const routed = (await corpusCommand([f, '--model', MODEL, ...opts])) as Report;
    expect(fromTrace.sources).toEqual(routed.sources);
    fromTrace.layers.forEach((l, i) =>
      l.experts.forEach((e, j) => {
        const r = routed.layers[i].experts[j];
        expect([e.load, e.sources, e.topTokens]).toEqual([r.load, r.sources, r.topTokens]);
        expect(e.contexts.map((c) => [c.position, c.token])).toEqual(
          r.contexts.map((c) => [c.position, c.token]),
        );
        e.contexts.forEach((c, k) => expect(c.gate).toBeCloseTo(r.contexts[k].gate, 5)); // trace gates: 6 decimals
      }),
    );
  });

  it('errors name the file, the line and the field', async () => {
    const bad = write(
      'bad.jsonl',
      `${JSON.stringify({ text: 'ok' })}\n${JSON.stringify({ text: 5 })}\n`,
    );
    await expect(corpusCommand([bad, '--model', MODEL])).rejects.toThrow(
      `${bad}:2: "text" must be a string, got 5`,
    );
    const src = write('src.jsonl', `${JSON.stringify({ text: 'ok', source: 3 })}\n`);
    await expect(corpusCommand([src])).rejects.toThrow(
      `${src}:1: "source" must be a non-empty string, got 3`,
    );
    const broken = write('broken.jsonl', `{"text": "ok"\n`);
    await expect(corpusCommand([broken])).rejects.toThrow(`${broken}:1: not valid JSON`);
    await expect(corpusCommand([join(dir, 'nope.txt')])).rejects.toThrow(
      `${join(dir, 'nope.txt')}: no such file or directory`,
    );
    const csv = write('x.csv', 'a,b');
    await expect(corpusCommand([csv])).rejects.toThrow(
      `${csv}: not a .txt, .jsonl or trace .json file, nor a directory`,
    );
    await expect(corpusCommand([csv, '--min-count', '0'])).rejects.toThrow(
      '--min-count must be an integer ≥ 1, got "0"',
    );
    await expect(corpusCommand([csv, '--router', 'nonsense'])).rejects.toThrow(/nonsense/);
  });
});

describe('moe-lab corpus as a process', () => {
  it('writes -o, shows progress on stderr; Ctrl-C stops and writes no report', async () => {
    const f = write(
      'many.txt',
      Array.from({ length: 400 }, (_, i) => `Hello world number ${i}, the router routes.`).join(
        '\n',
      ),
    );
    const out = join(dir, 'r.json');
    const ok = spawnSync(
      'node',
      [
        'tools/moe-lab.mjs',
        'corpus',
        write('small.txt', 'Hello world.\nHello again.\n'),
        '--model',
        MODEL,
        '-o',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/corpus \[#+\] 2\/2 sequences, \d+ tokens, \d+ tokens\/s/);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      report: out,
      model: 'tiny-mixtral',
      tokens: JSON.parse(readFileSync(out, 'utf8')).tokens,
    });

    const stopped = join(dir, 'stopped.json');
    const p = spawn('node', [
      'tools/moe-lab.mjs',
      'corpus',
      f,
      '--model',
      MODEL,
      '--batch',
      '1',
      '-o',
      stopped,
    ]);
    let stderr = '';
    let sent = false;
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && stderr.includes('sequences')) {
        sent = true;
        p.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((ok) => p.on('close', ok));
    expect(sent).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toContain('moe-lab corpus: interrupted (Ctrl-C): no report written');
    expect(existsSync(stopped)).toBe(false);
    expect(existsSync(`${stopped}.partial`)).toBe(false);
  });
});
