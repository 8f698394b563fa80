// In-browser conversion: an HF checkpoint (files picked from disk, or a URL prefix) → a bundle,
// with progress and cancellation. The worker runs it; Node tests run the very same code.
// Safetensors are read by offset, never whole: a picked File through File.slice + FileReaderSync,
// a URL through synchronous ranged XHRs (both synchronous, as the converter's reads are; both
// exist in workers), so a checkpoint bigger than a tab's ArrayBuffer limit still converts.
import { InputError, readJson } from '../routing/safeJson';
import { Checkpoint, ConvertCancelled } from '../models/convert/checkpoint';
import {
  blobSource,
  memorySource,
  rangeSize,
  rangeSource,
  type ByteSource,
  type SyncBlobReader,
  type SyncXhr,
} from '../models/convert/streamingSource';
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
  /** synchronous ranged reads of a URL's safetensors (default: XMLHttpRequest where the worker has it;
   * without one, each file is downloaded whole with fetch) */
  xhr?: () => SyncXhr;
  /** reads picked File slices synchronously (default: FileReaderSync, workers only) */
  blobReader?: SyncBlobReader;
  /** largest single read in bytes (tests force tiny reads) */
  readBytes?: number;
}

/** A picked file: its bytes, or the File itself (read by slices, never whole). */
export type PickedFile = { name: string; data: ArrayBuffer | Blob };

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

/** Read config.json, the tokenizer and the safetensors headers (single file or index + shards). */
export async function readCheckpoint(
  source: BundleSource | { kind: 'files'; files: PickedFile[] },
  opts: Pick<
    ConvertJobOptions,
    'signal' | 'onProgress' | 'fetchImpl' | 'xhr' | 'blobReader' | 'readBytes'
  > = {},
): Promise<Checkpoint> {
  const files = new Map<string, Uint8Array>();
  const sources = new Map<string, ByteSource>();
  if (source.kind === 'files') {
    const paths = checkpointPaths(source.files);
    for (const [i, f] of source.files.entries()) {
      const path = paths[i];
      if (!isCheckpointFile(path)) continue;
      if (!(f.data instanceof ArrayBuffer) && path.endsWith('.safetensors')) {
        const reader =
          opts.blobReader ??
          (typeof FileReaderSync !== 'undefined' ? new FileReaderSync() : undefined);
        if (!reader)
          throw new Error(
            `${path}: reading a picked file in parts needs FileReaderSync (a worker)`,
          );
        sources.set(path, blobSource(f.data, path, reader, opts.readBytes));
      } else if (f.data instanceof ArrayBuffer) {
        if (path.endsWith('.safetensors'))
          sources.set(path, memorySource(new Uint8Array(f.data), path, opts.readBytes));
        else files.set(path, new Uint8Array(f.data));
      } else files.set(path, new Uint8Array(await f.data.arrayBuffer()));
    }
  } else {
    const fetchFile = urlFetcher(source.url, opts.fetchImpl ?? fetch);
    const newXhr =
      opts.xhr ?? (typeof XMLHttpRequest !== 'undefined' ? () => new XMLHttpRequest() : undefined);
    const base = source.url.endsWith('/') ? source.url : `${source.url}/`;
    let total = 0;
    const get = async (name: string, required: boolean) => {
      check(opts.signal);
      try {
        if (newXhr && name.endsWith('.safetensors')) {
          // ranged reads: only the header now, each tensor when the converter asks for it
          const url = new URL(name, base).toString();
          sources.set(name, rangeSource(url, rangeSize(url, newXhr), newXhr, opts.readBytes));
          return;
        }
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
      const map = (readJson(index, 'model.safetensors.index.json') as { weight_map?: unknown } | null)?.weight_map;
      if (map !== undefined && !(typeof map === 'object' && map !== null && Object.values(map).every((v) => typeof v === 'string')))
        throw new InputError('model.safetensors.index.json: "weight_map" must map tensor names to shard file names');
      for (const shard of new Set(Object.values(map ?? {}))) await get(shard, true);
    } else {
      await get('model.safetensors', true);
    }
  }
  check(opts.signal);
  return Checkpoint.fromFiles({
    get: (n) => files.get(n),
    names: () => [...files.keys(), ...sources.keys()],
    source: (n) => sources.get(n),
  });
}

/** Convert a checkpoint source into a bundle (no fused whole-model graph: the lab never needs it). */
export async function convertSource(
  source: BundleSource | { kind: 'files'; files: PickedFile[] },
  opts: ConvertJobOptions,
): Promise<Bundle> {
  const ck = await readCheckpoint(source, opts);
  let bundle: Bundle;
  try {
    bundle = await convertBundle(ck, {
      id: opts.id,
      name: opts.name ?? `${opts.id} (${String(ck.config.model_type)}, ${opts.dtype})`,
      dtype: opts.dtype,
      fused: false,
      source: source.kind === 'url' ? source.url : undefined,
      // tensor reads check it too, so a Stop lands within one tensor, not one graph
      signal: opts.signal,
      onProgress: (step, index, count) => {
        check(opts.signal);
        opts.onProgress?.({ status: 'convert', step, index, count });
      },
    });
  } catch (e) {
    if (e instanceof ConvertCancelled) throw new Cancelled();
    throw e;
  }
  check(opts.signal);
  // The same checks as a bundle read from disk (the files' hashes were just computed from them).
  validateManifest(JSON.parse(JSON.stringify(bundle.manifest)));
  return bundle;
}
