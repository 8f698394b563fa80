// Node side of bundle loading: a bundle folder (or URL prefix) → LoadedBundle, and an ORT module
// for the chosen backend (onnxruntime-node's CPU provider, or onnxruntime-web's WASM in Node).
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadBundle, urlFetcher, type LoadedBundle } from '../../src/models/loader';
import { Lab } from '../../src/gpu/lab';
import type { Ort } from '../../src/gpu/engine';
import type { BackendName } from '../../src/routing/run';
import { UsageError } from './args';

export const DEFAULT_MODEL_DIR = 'public/models/babel-moe';

export async function readBundle(model: string): Promise<LoadedBundle> {
  if (/^https?:\/\//.test(model)) return loadBundle(urlFetcher(model));
  const dir = resolve(model);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--model ${model}: not a bundle folder (no such directory)`);
  if (!existsSync(join(dir, 'manifest.json'))) throw new UsageError(`--model ${model}: no manifest.json in that folder (is it a bundle? convert a checkpoint with \`moe-lab convert\`)`);
  return loadBundle(async (p) => new Uint8Array(await readFile(join(dir, p))));
}

export async function ortFor(backend: string): Promise<{ ort: Ort; eps: string[]; name: BackendName }> {
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
