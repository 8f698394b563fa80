#!/usr/bin/env node
// Conversion benchmark (not a test; writes GBs under /tmp, so `npm run bench` runs it only with
// BENCH_CONVERT=1): a random-weight checkpoint with granite-3.0-1b-a400m's exact config and
// tensor layout (one 2.67 GB bf16 model.safetensors) is written, then converted by the CLI per
// dtype under /usr/bin/time -v: wall time, CPU time, peak RSS and bundle size. Then `moe-lab
// trace` (Node CPU backend) on 128- and 512-token prompts of the bundle. Everything it wrote is
// deleted at the end. BENCH_CONVERT_DTYPES=q4,fp16 picks dtypes (default q4); BENCH_CONVERT_DIR
// the scratch folder (default a fresh one under /tmp). Prints one JSON object.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

if (process.env.BENCH_CONVERT !== '1' && !process.argv.includes('--force')) {
  console.log(
    JSON.stringify({
      skipped: 'conversion benchmark: set BENCH_CONVERT=1 (writes ~4 GB under /tmp)',
    }),
  );
  process.exit(0);
}
register();
const { LabTokenizer } = await import('../src/models/tokenizer.ts');
const DTYPES = (process.env.BENCH_CONVERT_DTYPES ?? 'q4').split(',');
const root = process.env.BENCH_CONVERT_DIR ?? mkdtempSync(join(tmpdir(), 'moe-bench-convert-'));
const ck = join(root, 'granite-1b-a400m');
const cli = 'tools/moe-lab.mjs';

/** Run a command under GNU time -v: wall, user+sys seconds and peak RSS. */
function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const field = (name) => r.stderr.match(new RegExp(`${name}: (.*)`))?.[1] ?? '';
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')
    .split(':')
    .reduce((a, x) => a * 60 + Number(x), 0);
  return {
    wallS: Math.round(wall * 10) / 10,
    cpuS:
      Math.round(
        (Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'))) *
          10,
      ) / 10,
    peakRssMiB: Math.round(Number(field('Maximum resident set size \\(kbytes\\)')) / 1024),
    stdout: r.stdout,
  };
}

const dirBytes = (d) => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);
const out = {
  machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
  loadAverageAtStart: loadavg()[0],
};
try {
  const gen = timed('node', ['tools/make-checkpoint.mjs', '--shape', 'granite-1b-a400m', ck]);
  out.checkpoint = { bytes: dirBytes(ck), writeS: gen.wallS };
  out.convert = [];
  for (const dtype of DTYPES) {
    const bundle = join(root, `bundle-${dtype}`);
    const r = timed('node', [cli, 'convert', ck, bundle, '--dtype', dtype, '--no-fused']);
    out.convert.push({
      dtype,
      wallS: r.wallS,
      cpuS: r.cpuS,
      peakRssMiB: r.peakRssMiB,
      bundleBytes: dirBytes(bundle),
    });
    if (dtype === DTYPES[0]) {
      // prompts of exactly 128 and 512 tokens (the checkpoint's tokenizer)
      const tok = LabTokenizer.fromBytes(readFileSync(join(bundle, 'tokenizer.json')));
      const base =
        'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood. '.repeat(
          8,
        );
      out.trace = [];
      for (const want of [128, 512]) {
        let lo = 1;
        let hi = base.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (tok.encode(base.slice(0, mid)).length >= want) hi = mid;
          else lo = mid + 1;
        }
        const file = join(root, `prompt-${want}.txt`);
        writeFileSync(file, base.slice(0, lo));
        const t = timed('node', [
          cli,
          'trace',
          '--model',
          bundle,
          '--text-file',
          file,
          '--backend',
          'node',
        ]);
        out.trace.push({
          dtype,
          tokens: JSON.parse(t.stdout).tokens.length,
          wallS: t.wallS,
          cpuS: t.cpuS,
          peakRssMiB: t.peakRssMiB,
        });
      }
    }
    rmSync(bundle, { recursive: true, force: true });
  }
} finally {
  if (!process.env.BENCH_CONVERT_DIR) rmSync(root, { recursive: true, force: true });
  else rmSync(ck, { recursive: true, force: true });
}
out.loadAverageAtEnd = loadavg()[0];
console.log(JSON.stringify(out, null, 2));
