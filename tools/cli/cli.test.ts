// The CLI end to end on the fixture bundle: trace → analyze equals the library; errors name the problem.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeTraces, parseTrace, loadMetrics } from '../../src/routing/metrics/index';

const cli = (...args: string[]) =>
  JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' }));
const fail = (...args: string[]) =>
  spawnSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' });

describe('moe-lab CLI', () => {
  it('trace records router and interventions; analyze of that trace equals the library (and the load view)', () => {
    const t = cli(
      'trace',
      '--model',
      'public/models/tiny-mixtral',
      '--text',
      'Hello world, the router. Hello again.',
      '--router',
      'topp:p=0.5',
      '--intervene',
      'mask:layers=1,experts=3',
      '--loss',
    );
    expect(t.router).toBe('topp:p=0.5');
    expect(t.interventions).toEqual(['mask:layers=1,experts=3']);
    expect(t.layers[1].selected.flat()).not.toContain(3);
    expect(t.loss).toHaveLength(t.tokens.length - 1);
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const f = join(dir, 't.json');
    writeFileSync(f, JSON.stringify(t));
    const a = cli('analyze', f, '--m', '2,4', '--C', '1,2');
    expect(a).toEqual(
      JSON.parse(
        JSON.stringify(
          analyzeTraces([parseTrace(JSON.parse(readFileSync(f, 'utf8')), f)], {
            m: [2, 4],
            C: [1, 2],
          }),
        ),
      ),
    );
    expect(a.layers[0].counts).toEqual(loadMetrics(t.layers[0].selected, 8).counts);
  });

  it('errors go to stderr with a non-zero exit and name the problem', () => {
    const r1 = fail('trace', '--text', 'x', '--router', 'topq');
    expect(r1.status).not.toBe(0);
    expect(r1.stderr).toContain('unknown router "topq"');
    const r2 = fail('analyze', 'nope.json');
    expect(r2.status).toBe(2);
    expect(r2.stderr).toBe('moe-lab analyze: nope.json: no such file\n');
    const r3 = fail('bench', '--frobnicate', '1');
    expect(r3.stderr).toContain('bench: unknown option --frobnicate');
    const r4 = fail('dance');
    expect(r4.stderr).toContain('unknown command "dance"');
  });
});

describe('moe-lab analyze --stability', () => {
  it('reports per layer the unchanged share of top-k sets between two runs and the flipped tokens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stab-'));
    const text = 'Hello world, the router.';
    const a = cli('trace', '--model', 'public/models/tiny-mixtral', '--text', text);
    const b = cli(
      'trace',
      '--model',
      'public/models/tiny-mixtral',
      '--text',
      text,
      '--intervene',
      'mask:layers=1,experts=3',
    );
    writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
    const s = cli('analyze', '--stability', join(dir, 'a.json'), join(dir, 'b.json')).stability;
    // Layer 0 is before the mask: nothing flips. Layer 1: exactly the tokens that had expert 3.
    expect(s[0]).toEqual({ layer: 0, unchanged: 1, flipped: [] });
    const had3 = a.layers[1].selected.flatMap((sel: number[], t: number) =>
      sel.includes(3) ? [t] : [],
    );
    expect(s[1].flipped).toEqual(had3);
    expect(s[1].unchanged).toBeCloseTo(1 - had3.length / a.tokens.length, 12);
  });
});

describe('moe-lab convert --dtype', () => {
  it('re-converts a bundle to q4 (manifest says so, trace runs) and names a bad dtype', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'conv-')), 'tiny-q4');
    const r = cli('convert', 'public/models/tiny-mixtral', dir, '--dtype', 'q4', '--no-fused');
    expect(r.files).toBe(11); // 8 graphs (no fused), routers.bin, tokenizer.json, tokenizer_config.json
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect([m.dtype, m.name]).toEqual(['q4', 'tiny-mixtral (test fixture, random weights)']);
    const t = cli('trace', '--model', dir, '--text', 'Hello world');
    expect(t.layers[0].selected[0]).toHaveLength(2);
    const bad = fail('convert', 'public/models/tiny-mixtral', dir, '--dtype', 'q3');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('convert: --dtype must be one of fp32, fp16, q8, q4, got "q3"');
  });
});

describe('moe-lab with a long command line', () => {
  it('a 30 KB --text is truncated to the context with a notice, not a segfault of onnxruntime-node', () => {
    // (30 000 bytes of argv crashed onnxruntime-node's session creation with SIGSEGV, exit 139)
    const text = 'hello world '.repeat(2500);
    const r = spawnSync(
      'node',
      ['tools/moe-lab.mjs', 'trace', '--model', 'public/models/tiny-mixtral', '--text', text],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout) as { tokens: unknown[]; notices: string[] };
    expect(t.tokens).toHaveLength(64);
    expect(t.notices).toEqual(["prompt has 15002 tokens; truncated to the model's context of 64"]);
    // errors of the re-run CLI still reach stderr with the exit code
    const bad = spawnSync(
      'node',
      ['tools/moe-lab.mjs', 'trace', '--model', '/nonexistent', '--text', text],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'moe-lab trace: --model /nonexistent: not a bundle folder (no such directory)\n',
    );
  });
});
