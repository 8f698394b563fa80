// `moe-lab convert <hf checkpoint dir> <bundle dir>`: HF safetensors checkpoint → bundle.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkFlags, has, one, parseArgs, UsageError } from './args';
import { Checkpoint } from '../../src/models/convert/checkpoint';
import { convertBundle } from '../../src/models/convert';

export async function convertCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, ['no-fused']);
  checkFlags(args, ['id', 'name', 'no-fused', 'license', 'source', 'languages', 'dtype', 'probes'], 'convert');
  const [src, dst] = args.positional;
  if (!src || !dst) throw new UsageError('convert: usage: moe-lab convert <hf checkpoint dir> <bundle dir> [--id ID] [--name NAME] [--no-fused]');
  if (!existsSync(src)) throw new UsageError(`convert: checkpoint folder "${src}" does not exist`);
  const dtype = one(args, 'dtype') ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16') throw new UsageError(`convert: --dtype ${dtype} is not supported yet (fp32 and fp16 are; q8/q4 are planned)`);
  const names = await readdir(src);
  const cache = new Map<string, Uint8Array>();
  for (const n of names) if (/\.(json|safetensors)$/.test(n)) cache.set(n, new Uint8Array(await readFile(join(src, n))));
  const ck = Checkpoint.fromFiles({ get: (n) => cache.get(n), names: () => [...cache.keys()] });
  const id = one(args, 'id') ?? basename(resolve(dst));
  // Probe texts (parallel UDHR articles per language) travel inside the bundle, checksummed.
  const probesDir = one(args, 'probes');
  const probes = new Map<string, Uint8Array>();
  if (probesDir) {
    if (!existsSync(probesDir)) throw new UsageError(`convert: --probes folder "${probesDir}" does not exist`);
    for (const n of (await readdir(probesDir)).filter((f) => f.endsWith('.json')).sort()) probes.set(n, new Uint8Array(await readFile(join(probesDir, n))));
    if (probes.size === 0) throw new UsageError(`convert: --probes folder "${probesDir}" has no <lang>.json files`);
  }
  const bundle = await convertBundle(ck, {
    probes,
    id,
    name: one(args, 'name'),
    fused: !has(args, 'no-fused'),
    dtype,
    license: one(args, 'license'),
    source: one(args, 'source'),
    languages: one(args, 'languages')?.split(','),
    onProgress: (step, i, n) => process.stderr.write(`[${i + 1}/${n}] ${step}\n`),
  });
  await mkdir(dst, { recursive: true });
  if (probes.size) await mkdir(join(dst, 'probes'), { recursive: true });
  for (const [p, bytes] of bundle.files) await writeFile(join(dst, p), bytes);
  await writeFile(join(dst, 'manifest.json'), JSON.stringify(bundle.manifest, null, 2) + '\n');
  const total = bundle.manifest.files.reduce((a, f) => a + f.bytes, 0);
  return { bundle: dst, id, files: bundle.manifest.files.length, bytes: total };
}
