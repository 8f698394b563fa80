// In-browser conversion: an HF checkpoint (files picked from disk, or a URL prefix) → a bundle,
// with progress and cancellation. The worker runs it; Node tests run the very same code.
import { Checkpoint } from '../models/convert/checkpoint';
import { convertBundle, type Bundle } from '../models/convert';
import { urlFetcher } from '../models/loader';
import { validateManifest } from '../models/manifest';
import type { WeightDtype } from '../models/onnx/builder';
import { Cancelled } from './engine';
import type { BundleSource, Progress } from './protocol';

export interface ConvertJobOptions {
  dtype: WeightDtype;
  /** bundle id (and name unless `name` is given) */
  id: string;
  name?: string;
  /** polled before every step: the converter runs synchronously between steps, so a page that
   * is cross-origin isolated sets a SharedArrayBuffer flag the worker sees mid-conversion */
  signal?: { readonly aborted: boolean };
  onProgress?: (p: Progress) => void;
  fetchImpl?: typeof fetch;
}

/** Only these files of a checkpoint folder are read (weights in .bin/.pth or .git are skipped). */
export function isCheckpointFile(path: string): boolean {
  return !path.includes('/') && /\.(json|safetensors)$/.test(path);
}

/**
 * Picked files keyed by their path inside the checkpoint folder: a first folder segment that
 * every file shares (the picked folder's name) is stripped, as the bundle loader does.
 */
export function checkpointPaths(files: { name: string }[]): string[] {
  const names = files.map((f) => f.name.replace(/\\/g, '/'));
  const first = names[0]?.split('/')[0];
  const shared =
    names.length > 0 && names.every((n) => n.includes('/') && n.split('/')[0] === first);
  return shared ? names.map((n) => n.slice(first!.length + 1)) : names;
}

function check(signal?: { readonly aborted: boolean }) {
  if (signal?.aborted) throw new Cancelled();
}

/** Read config.json, the tokenizer and the safetensors (single file or index + shards). */
export async function readCheckpoint(
  source: BundleSource,
  opts: Pick<ConvertJobOptions, 'signal' | 'onProgress' | 'fetchImpl'> = {},
): Promise<Checkpoint> {
  const files = new Map<string, Uint8Array>();
  if (source.kind === 'files') {
    const paths = checkpointPaths(source.files);
    source.files.forEach((f, i) => {
      if (isCheckpointFile(paths[i])) files.set(paths[i], new Uint8Array(f.data));
    });
  } else {
    const fetchFile = urlFetcher(source.url, opts.fetchImpl ?? fetch);
    let total = 0;
    const get = async (name: string, required: boolean) => {
      check(opts.signal);
      try {
        const bytes = await fetchFile(name, (loaded, size) =>
          opts.onProgress?.({
            status: 'download',
            file: name,
            loaded: total + loaded,
            total: total + size,
          }),
        );
        total += bytes.byteLength;
        files.set(name, bytes);
      } catch (e) {
        if (required) throw new Error(`${name}: cannot be read (${(e as Error).message})`);
      }
    };
    await get('config.json', true);
    await get('tokenizer.json', true);
    await get('tokenizer_config.json', false);
    await get('model.safetensors.index.json', false);
    const index = files.get('model.safetensors.index.json');
    if (index) {
      let map: Record<string, string> | undefined;
      try {
        map = (
          JSON.parse(new TextDecoder().decode(index)) as { weight_map?: Record<string, string> }
        ).weight_map;
      } catch (e) {
        throw new Error(`model.safetensors.index.json: not valid JSON (${(e as Error).message})`);
      }
      for (const shard of new Set(Object.values(map ?? {}))) await get(shard, true);
    } else {
      await get('model.safetensors', true);
    }
  }
  check(opts.signal);
  return Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });
}

/** Convert a checkpoint source into a bundle (no fused whole-model graph: the lab never needs it). */
export async function convertSource(
  source: BundleSource,
  opts: ConvertJobOptions,
): Promise<Bundle> {
  const ck = await readCheckpoint(source, opts);
  const bundle = await convertBundle(ck, {
    id: opts.id,
    name: opts.name ?? `${opts.id} (${String(ck.config.model_type)}, ${opts.dtype})`,
    dtype: opts.dtype,
    fused: false,
    source: source.kind === 'url' ? source.url : undefined,
    onProgress: (step, index, count) => {
      check(opts.signal);
      opts.onProgress?.({ status: 'convert', step, index, count });
    },
  });
  check(opts.signal);
  // The same checks as a bundle read from disk (the files' hashes were just computed from them).
  validateManifest(JSON.parse(JSON.stringify(bundle.manifest)));
  return bundle;
}
