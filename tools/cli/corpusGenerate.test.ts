// `moe-lab corpus --generate N` (issue 19 §5) on the fixture model: the prompt part of the report
// is unchanged by --generate, and the `generated` block equals the contract's definitions applied
// to `moe-lab trace --generate N` of each line (two commands cross-checked).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusCommand } from './corpus';
import { traceCommand } from './trace';
import { loadMetrics } from '../../src/routing/metrics/load';

const MODEL = 'public/models/tiny-mixtral';
const dir = mkdtempSync(join(tmpdir(), 'corpus-gen-'));
const write = (name: string, content: string) => {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
};

interface GenLayer {
  index: number;
  kind: string;
  experts: { id: number; load: number; sources: Record<string, number> }[];
  vsPrompt: { tvd: number; promptMaxVio: number; generatedMaxVio: number };
}
interface Report {
  layers: { index: number; kind: string; experts: { load: number }[] }[];
  run?: unknown;
  notices: string[];
  generated?: {
    tokens: number;
    perSequence: number;
    sampling: { temperature: number; topP: number; seed: number };
    sources: { name: string; tokens: number }[];
    layers: GenLayer[];
  };
}
interface Trace {
  layers: { selected: number[][] }[];
  prompt: { tokens: number };
  generation: { tokens: number };
}

const LINES = {
  alpha: ['Hello world, the', 'the quick brown fox'],
  beta: ['Alle Menschen sind frei'],
};

describe('moe-lab corpus --generate', () => {
  it('reports the continuations apart; counts equal trace --generate of each line', async () => {
    const a = write('alpha.txt', LINES.alpha.join('\n') + '\n');
    const b = write('beta.txt', LINES.beta.join('\n'));
    const N = 5;
    const sampling = ['--temperature', '0.9', '--top-p', '0.8', '--seed', '7'];
    const plain = (await corpusCommand(['--model', MODEL, a, b])) as Report;
    const gen = (await corpusCommand([
      '--model',
      MODEL,
      a,
      b,
      '--generate',
      String(N),
      ...sampling,
    ])) as Report;
    expect(plain.generated).toBeUndefined();
    // every prompt field is exactly as without --generate (only the timing differs)
    const strip = ({ run: _run, generated: _g, ...rest }: Report) => rest;
    expect(strip(gen)).toEqual(strip(plain));

    // trace --generate of each line, with the same sampling flags
    const E = 8;
    const L = gen.layers.length;
    const sel: Record<string, number[][][]> = { alpha: [], beta: [] }; // [source][L][tokens][k]
    let total = 0;
    for (const [source, lines] of Object.entries(LINES)) {
      sel[source] = Array.from({ length: L }, () => []);
      for (const text of lines) {
        const t = (await traceCommand([
          '--model',
          MODEL,
          '--text',
          text,
          '--generate',
          String(N),
          ...sampling,
        ])) as Trace;
        total += t.generation.tokens;
        t.layers.forEach((l, i) => sel[source][i].push(...l.selected.slice(t.prompt.tokens)));
      }
    }
    const g = gen.generated!;
    expect(total).toBeGreaterThan(0);
    expect(g.tokens).toBe(total);
    expect(g.perSequence).toBe(N);
    expect(g.sampling).toEqual({ temperature: 0.9, topP: 0.8, seed: 7 });
    expect(g.sources).toEqual([
      { name: 'alpha', tokens: sel.alpha[0].length },
      { name: 'beta', tokens: sel.beta[0].length },
    ]);
    expect(g.layers).toHaveLength(L);
    for (let l = 0; l < L; l++) {
      const gl = g.layers[l];
      expect(gl.index).toBe(l);
      expect(gl.kind).toBe('moe');
      const all = [...sel.alpha[l], ...sel.beta[l]];
      const counts = loadMetrics(all, E).counts;
      const n = counts.reduce((x, y) => x + y, 0);
      gl.experts.forEach((e, j) => {
        expect(e.id).toBe(j);
        expect(e.load).toBeCloseTo(counts[j] / n, 12);
        for (const s of ['alpha', 'beta'])
          expect(e.sources[s]).toBeCloseTo(
            sel[s][l].filter((x) => x.includes(j)).length / sel[s][l].length,
            12,
          );
      });
      // against the prompt: TVD of the two load vectors and MaxVio of each, from counts
      const pl = gen.layers[l].experts.map((e) => e.load);
      const tvd = pl.reduce((x, p, j) => x + Math.abs(p - counts[j] / n), 0) / 2;
      expect(gl.vsPrompt.tvd).toBeCloseTo(tvd, 12);
      expect(gl.vsPrompt.generatedMaxVio).toBeCloseTo(loadMetrics(all, E).maxVio, 12);
      expect(gl.vsPrompt.promptMaxVio).toBeCloseTo(E * Math.max(...pl) - 1, 12);
    }
  }, 120_000);

  it('a window that fills the context gets no continuation, with a notice', async () => {
    const long = write('long.txt', Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '));
    const r = (await corpusCommand(['--model', MODEL, long, '--generate', '3'])) as Report & {
      sources: { tokens: number }[];
    };
    const T = r.sources[0].tokens;
    // windows of 64 and a shorter last one: only the last is continued
    expect(T).toBeGreaterThan(64);
    expect(T % 64).not.toBe(0);
    const full = Math.floor(T / 64);
    expect(r.notices).toContain(
      `${full} window${full > 1 ? 's' : ''} filled the model's context of 64 tokens: nothing was generated after ${full > 1 ? 'them' : 'it'}`,
    );
    expect(r.generated!.tokens).toBeLessThanOrEqual(3);
    expect(r.generated!.tokens).toBeGreaterThan(0);
  }, 60_000);

  it('rejects --generate on traces only and bad sampling flags, naming the flag', async () => {
    const t = await traceCommand(['--model', MODEL, '--text', 'Hello world']);
    const f = write('cap.json', JSON.stringify(t));
    await expect(corpusCommand([f, '--generate', '3'])).rejects.toThrow(
      '--generate continues texts through the model',
    );
    const a = write('one.txt', 'Hello\n');
    await expect(
      corpusCommand(['--model', MODEL, a, '--generate', '2', '--top-p', '0']),
    ).rejects.toThrow('--top-p must be in (0, 1], got "0"');
    await expect(corpusCommand(['--model', MODEL, a, '--generate', 'x'])).rejects.toThrow(
      '--generate',
    );
  }, 60_000);
});
