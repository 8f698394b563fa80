// `moe-lab convert <hf checkpoint dir> <bundle dir>`: HF safetensors checkpoint → bundle.
// The source may also be a (mixtral) bundle: it is converted again, e.g. to another --dtype.
// Safetensors files are read by offset (any size, shards or one file) and each graph is written to
// the bundle folder as soon as it is made, so memory stays bounded by the largest graph. Progress
// goes to stderr; Ctrl-C stops between tensors or graphs and removes the partial bundle.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkFlags, has, one, parseArgs, UsageError } from './args';
import { Checkpoint } from '../../src/models/convert/checkpoint';
import { convertBundle } from '../../src/models/convert';
import { checkpointFromBundle } from '../../src/models/convert/bundleWeights';
import type { Manifest } from '../../src/models/manifest';
import { readBundle } from './nodeBundle';
import { nodeFileSource, type ByteSource } from '../../src/models/convert/streamingSource';
import { ConvertCancelled } from '../../src/models/convert/checkpoint';

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
  const sources = new Map<string, ByteSource & { close(): void }>();
  try {
    return await convertInto(src, dst, names, sources, args, dtype);
  } finally {
    for (const s of sources.values()) s.close();
  }
}

async function convertInto(src: string, dst: string, names: string[], sources: Map<string, ByteSource & { close(): void }>, args: ReturnType<typeof parseArgs>, dtype: string): Promise<object> {
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
    const json = new Map<string, Uint8Array>();
    for (const n of names) if (n.endsWith('.json')) json.set(n, new Uint8Array(await readFile(join(src, n))));
    const weights = names.filter((n) => n.endsWith('.safetensors'));
    ck = Checkpoint.fromFiles({
      get: (n) => json.get(n),
      names: () => [...json.keys(), ...weights],
      source: (n) => {
        if (!weights.includes(n)) return undefined;
        const s = sources.get(n) ?? nodeFileSource(fs, join(src, n), n);
        sources.set(n, s);
        return s;
      },
    });
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
  // Graphs go to the folder as they are made; manifest.json is written last, so a folder left by a
  // crash never passes for a bundle.
  const created = !existsSync(dst);
  await mkdir(dst, { recursive: true });
  const written: string[] = [];
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const mb = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;
  let bundle;
  try {
    bundle = await convertBundle(ck, {
      probes,
      id,
      name: one(args, 'name') ?? from?.name,
      fused: !has(args, 'no-fused'),
      dtype: dtype as (typeof DTYPES)[number],
      license: one(args, 'license') ?? from?.license,
      source: one(args, 'source') ?? from?.source,
      languages: one(args, 'languages')?.split(',') ?? from?.languages,
      signal: abort.signal,
      onProgress: (step, i, n) => process.stderr.write(`[${i + 1}/${n}] ${step}\n`),
      onBytes: (p) =>
        process.stderr.write(p.kind === 'tensor' ? `  read ${p.name} (${mb(p.bytes)}; ${mb(p.read)} of ${mb(p.total)})\n` : `  wrote ${p.name} (${mb(p.bytes)})\n`),
      sink: async (p, bytes) => {
        if (p.includes('/')) await mkdir(join(dst, dirname(p)), { recursive: true });
        await writeFile(join(dst, p), bytes);
        written.push(p);
      },
    });
  } catch (e) {
    // Whatever stopped the conversion, leave no half-written bundle behind.
    if (created) await rm(dst, { recursive: true, force: true });
    else for (const p of written) await rm(join(dst, p), { force: true });
    if (e instanceof ConvertCancelled) throw new Error(`cancelled (Ctrl-C): ${created ? `removed the partial bundle folder ${dst}` : `removed the ${written.length} files written into ${dst}`}`);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  await writeFile(join(dst, 'manifest.json'), JSON.stringify(bundle.manifest, null, 2) + '\n');
  const total = bundle.manifest.files.reduce((a, f) => a + f.bytes, 0);
  return { bundle: dst, id, files: bundle.manifest.files.length, bytes: total };
}
