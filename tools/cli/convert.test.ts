// `moe-lab convert` streaming into the bundle folder: graphs appear one by one, manifest.json last;
// Ctrl-C (SIGINT) stops it, removes the partial folder and exits non-zero with a message.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigGraniteCheckpoint } from '../captures/bigCheckpoint';

/** Run the CLI; `onErr` sees stderr as it comes and may signal the child. */
function run(
  args: string[],
  onErr: (text: string, kill: () => void) => void = () => {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn('node', ['tools/moe-lab.mjs', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onErr(stderr, () => {
        if (!signalled) child.kill('SIGINT');
        signalled = true;
      });
    });
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

describe('moe-lab convert (streaming)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convert-cli-'));
  const ck = join(dir, 'ck');
  // 24 layers × 32 experts, vocabulary 49 155: enough graphs that the conversion is still running
  // when the signal lands after the first one
  mkdirSync(ck);
  for (const [n, b] of bigGraniteCheckpoint()) writeFileSync(join(ck, n), b);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each graph as it comes, reports reads and writes, and the manifest last', async () => {
    const out = join(dir, 'bundle');
    const r = await run(['convert', ck, out, '--dtype', 'q8']);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(readdirSync(out).sort()).toEqual(
      [...m.files.map((f: { path: string }) => f.path), 'manifest.json'].sort(),
    );
    expect(r.stderr).toContain(
      '[1/51] embed.onnx\n  read model.embed_tokens.weight (12.0 MB; 12.0 MB of',
    );
    expect(r.stderr).toMatch(
      /\n {2}wrote layer23\.moe\.onnx \(\d+\.\d MB\)\n\[50\/51\] head\.onnx\n(.*\n)* {2}wrote head\.onnx \(\d+\.\d MB\)\n\[51\/51\] routers\.bin\n/,
    );
  });

  it('Ctrl-C stops between tensors, removes the partial bundle folder and exits 1', async () => {
    const out = join(dir, 'cancelled');
    const r = await run(['convert', ck, out, '--dtype', 'q8'], (text, kill) => {
      if (text.includes('wrote embed.onnx')) kill();
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `moe-lab convert: cancelled (Ctrl-C): removed the partial bundle folder ${out}\n`,
    );
    expect(r.stderr).not.toContain('wrote layer23.moe.onnx');
    expect(existsSync(out)).toBe(false);
    expect(r.stdout).toBe('');
  });
});
