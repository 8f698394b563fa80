// Hostile input at the CLI (issue 18): our message on stderr, the exit code, and nothing from
// onnxruntime's logger unless --verbose.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (...args: string[]) =>
  spawnSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' });

describe('moe-lab on hostile input', () => {
  it('an intervention on a layer the model lacks names the layer range', () => {
    const r = run(
      'trace',
      '--model',
      'public/models/tiny-mixtral',
      '--text',
      'Hallo',
      '--intervene',
      'mask:layers=99,experts=0',
    );
    expect(r.stderr).toBe(
      'moe-lab trace: bad intervention "mask:layers=99,experts=0": layer 99 is outside the model\'s layers 0..2\n',
    );
    expect(r.status).toBe(1);
  });

  it('a 2.4 M character --text-file: the context’s 64 tokens, with the two notices', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    writeFileSync(join(dir, 'big.txt'), 'Hallo Welt. '.repeat(200_000));
    const r = run(
      'trace',
      '--model',
      'public/models/tiny-mixtral',
      '--text-file',
      join(dir, 'big.txt'),
    );
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.tokens).toHaveLength(64);
    expect(t.notices).toEqual([
      "prompt has 2400000 characters; only the first 65536 were tokenized (more than the model's context of 64 tokens holds)",
      "prompt has 49153 tokens; truncated to the model's context of 64",
    ]);
  });

  it('a deeply nested trace is refused naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    writeFileSync(
      join(dir, 'deep.json'),
      `{"model":{"id":"x"},"tokens":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
    );
    const r = run('analyze', join(dir, 'deep.json'));
    expect(r.stderr).toBe(
      `moe-lab analyze: ${join(dir, 'deep.json')}: tokens[0][0][0][0][0][0][0]…[0]: nested deeper than 64 levels of arrays/objects (the JSON depth limit)\n`,
    );
    expect(r.status).toBe(2);
  });

  it("a manifest that disagrees with a graph: our message only; onnxruntime's words with --verbose", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    cpSync('public/models/tiny-mixtral', dir, { recursive: true });
    writeFileSync(join(dir, 'layer1.moe.onnx'), 'not a graph');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.files = m.files.map((f: { path: string }) =>
      f.path === 'layer1.moe.onnx'
        ? {
            ...f,
            bytes: 11,
            sha256: '895e68762bdb5ab0ea5d47bb1e70087dc75c721be8bf957051796f004e80ba23',
          }
        : f,
    );
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const quiet = run('trace', '--model', dir, '--text', 'Hallo');
    expect(quiet.stderr).toBe(
      'moe-lab trace: layer1.moe.onnx: the node backend cannot load this graph (not a valid ONNX model)\n',
    );
    const loud = run('trace', '--model', dir, '--text', 'Hallo', '--verbose');
    expect(loud.stderr).toMatch(
      /^moe-lab trace: layer1\.moe\.onnx: the node backend cannot load this graph \(not a valid ONNX model; onnxruntime said: Failed to load model because protobuf parsing failed\.\)\n$/,
    );
    expect(quiet.status).toBe(1);
  });
});
