// `moe-lab convert <hf checkpoint dir> <bundle dir>`: HF safetensors checkpoint → bundle.
// The source may also be a (mixtral) bundle: it is converted again, e.g. to another --dtype.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkFlags, has, one, parseArgs, UsageError } from './args';
import { Checkpoint } from '../../src/models/convert/checkpoint';
import { convertBundle } from '../../src/models/convert';
import { checkpointFromBundle } from '../../src/models/convert/bundleWeights';
import type { Manifest } from '../../src/models/manifest';
import { readBundle } from './nodeBundle';

const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;

export async function convertCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, ['no-fused']);
  checkFlags(args, ['id', 'name', 'no-fused', 'license', 'source', 'languages', 'dtype', 'probes'], 'convert');
  const [src, dst] = args.positional;
  if (!src || !dst) throw new UsageError('convert: usage: moe-lab convert <hf checkpoint dir | bundle dir> <bundle dir> [--dtype fp32|fp16|q8|q4] [--id ID] [--name NAME] [--no-fused]');
  if (!existsSync(src)) throw new UsageError(`convert: checkpoint folder "${src}" does not exist`);
  const dtype = one(args, 'dtype') ?? 'fp32';
  if (!(DTYPES as readonly string[]).includes(dtype)) throw new UsageError(`convert: --dtype must be one of ${DTYPES.join(', ')}, got "${dtype}"`);
  const names = await readdir(src);
  let ck: Checkpoint;
  let from: Manifest | undefined;
  const probes = new Map<string, Uint8Array>();
  if (names.includes('manifest.json')) {
    // A bundle: its weights (dequantised if need be) as a checkpoint; its metadata and probes carry over.
    const bundle = await readBundle(src);
    ck = checkpointFromBundle(bundle);
    from = bundle.manifest;
    for (const [p, bytes] of bundle.files) if (from.probes && p.startsWith(from.probes) && p.endsWith('.json')) probes.set(p.slice(from.probes.length), bytes);
  } else {
    const cache = new Map<string, Uint8Array>();
    for (const n of names) if (/\.(json|safetensors)$/.test(n)) cache.set(n, new Uint8Array(await readFile(join(src, n))));
    ck = Checkpoint.fromFiles({ get: (n) => cache.get(n), names: () => [...cache.keys()] });
  }
  const id = one(args, 'id') ?? basename(resolve(dst));
  // Probe texts (parallel UDHR articles per language) travel inside the bundle, checksummed.
  const probesDir = one(args, 'probes');
  if (probesDir) probes.clear();
  if (probesDir) {
    if (!existsSync(probesDir)) throw new UsageError(`convert: --probes folder "${probesDir}" does not exist`);
    for (const n of (await readdir(probesDir)).filter((f) => f.endsWith('.json')).sort()) probes.set(n, new Uint8Array(await readFile(join(probesDir, n))));
    if (probes.size === 0) throw new UsageError(`convert: --probes folder "${probesDir}" has no <lang>.json files`);
  }
  const bundle = await convertBundle(ck, {
    probes,
    id,
    name: one(args, 'name') ?? from?.name,
    fused: !has(args, 'no-fused'),
    dtype: dtype as (typeof DTYPES)[number],
    license: one(args, 'license') ?? from?.license,
    source: one(args, 'source') ?? from?.source,
    languages: one(args, 'languages')?.split(',') ?? from?.languages,
    onProgress: (step, i, n) => process.stderr.write(`[${i + 1}/${n}] ${step}\n`),
  });
  await mkdir(dst, { recursive: true });
  if (probes.size) await mkdir(join(dst, 'probes'), { recursive: true });
  for (const [p, bytes] of bundle.files) await writeFile(join(dst, p), bytes);
  await writeFile(join(dst, 'manifest.json'), JSON.stringify(bundle.manifest, null, 2) + '\n');
  const total = bundle.manifest.files.reduce((a, f) => a + f.bytes, 0);
  return { bundle: dst, id, files: bundle.manifest.files.length, bytes: total };
}
