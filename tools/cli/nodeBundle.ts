// Node side of bundle loading: a bundle folder (or URL prefix) → LoadedBundle, and an ORT module
// for the chosen backend (onnxruntime-node's CPU provider, or onnxruntime-web's WASM in Node).
import { readFile } from 'node:fs/promises';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle, urlFetcher, type LoadedBundle } from '../../src/models/loader';
import { Lab } from '../../src/gpu/lab';
import type { Ort } from '../../src/gpu/engine';
import type { BackendName } from '../../src/routing/run';
import { UsageError } from './args';

export const DEFAULT_MODEL_DIR = 'public/models/babel-moe';

/** The repository's public/models, where the shipped bundles live. */
export const SHIPPED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/models');

/** A bare shipped id (`deepseek-moe`) names public/models/<id> unless a folder of that name is here. */
export function modelDir(model: string): string {
  const here = resolve(model);
  if (existsSync(here) || !/^[a-z0-9][a-z0-9._-]*$/i.test(model)) return here;
  const shipped = join(SHIPPED_DIR, model);
  return existsSync(join(shipped, 'manifest.json')) ? shipped : here;
}

export async function readBundle(model: string): Promise<LoadedBundle> {
  if (/^https?:\/\//.test(model)) return loadBundle(urlFetcher(model));
  const dir = modelDir(model);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--model ${model}: not a bundle folder (no such directory)`);
  if (!existsSync(join(dir, 'manifest.json')))
    throw new UsageError(
      `--model ${model}: no manifest.json in that folder (is it a bundle? convert a checkpoint with \`moe-lab convert\`)`,
    );
  // No total limit in Node (a 1B model's fp32 bundle is ~5 GB): only each file must fit in memory.
  return loadBundle((p) => readWhole(join(dir, p)), undefined, undefined, Infinity);
}

/** A file's bytes; above 2 GiB (readFile's limit; an external-data file can be) by positioned reads. */
async function readWhole(path: string): Promise<Uint8Array> {
  const size = statSync(path).size;
  if (size < 2 ** 31 - 1) return new Uint8Array(await readFile(path));
  const out = new Uint8Array(size);
  const fd = openSync(path, 'r');
  try {
    for (let at = 0; at < size;) at += readSync(fd, out, at, Math.min(2 ** 30, size - at), at);
  } finally {
    closeSync(fd);
  }
  return out;
}

export async function ortFor(
  backend: string,
): Promise<{ ort: Ort; eps: string[]; name: BackendName }> {
  if (backend === 'node') {
    const mod = (await import('onnxruntime-node')) as unknown as { default?: Ort } & Ort;
    const ort = mod.default ?? mod;
    return { ort, eps: ['cpu'], name: 'node' };
  }
  if (backend === 'wasm') {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    return { ort: web as unknown as Ort, eps: ['wasm'], name: 'wasm' };
  }
  throw new UsageError(`--backend must be "wasm" or "node", got "${backend}"`);
}

export async function openLab(model: string, backend: string): Promise<Lab> {
  const bundle = await readBundle(model);
  const { ort, eps, name } = await ortFor(backend);
  return Lab.open(ort, bundle, eps, name);
}
