// Loads a bundle from any source that can fetch a file by its path: validates the manifest,
// checks each file's size and sha256, and names the file and the problem when something is off.
import { BundleError, validateManifest, type Manifest } from './manifest';
import { readJson } from '../routing/safeJson';
import { sha256Hex } from './hash';

export type FetchFile = (path: string, onBytes?: (loaded: number, total: number) => void) => Promise<Uint8Array>;

export interface LoadedBundle {
  manifest: Manifest;
  files: Map<string, Uint8Array>;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
}

/** Bundles larger than this are refused before anything is downloaded. */
export const MAX_BUNDLE_BYTES = 2 * 1024 ** 3;

/**
 * Fetch, size-check and sha256-check every file of a bundle. `onFile` sees each file as soon as it
 * has passed its checks (the worker starts building its ONNX session while the rest downloads).
 */
export async function loadBundle(
  fetchFile: FetchFile,
  onProgress?: (p: LoadProgress) => void,
  onFile?: (path: string, bytes: Uint8Array, manifest: Manifest) => void,
  /** a browser tab's limit; Node passes Infinity (only each file's size is limited there) */
  maxBytes = MAX_BUNDLE_BYTES,
): Promise<LoadedBundle> {
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await fetchFile('manifest.json');
  } catch (e) {
    throw new BundleError('manifest.json', `cannot be read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = readJson(manifestBytes, 'manifest.json');
  } catch (e) {
    const why = (e as Error).message.slice('manifest.json: '.length);
    throw new BundleError('manifest.json', why.startsWith('not valid JSON') ? `is ${why}` : why);
  }
  const manifest = validateManifest(json);
  const total = manifest.files.reduce((a, f) => a + f.bytes, 0);
  if (total > maxBytes) throw new BundleError('manifest.json', `lists ${(total / 1024 ** 2).toFixed(0)} MiB of files, over the ${maxBytes / 1024 ** 3} GiB limit of a browser tab`);
  // All files at once: the transfers overlap, and each file is hashed as soon as it arrives.
  const loaded = new Map<string, number>();
  let sum = 0;
  const report = (path: string, n: number) => {
    sum += n - (loaded.get(path) ?? 0);
    loaded.set(path, n);
    onProgress?.({ file: path, loaded: sum, total });
  };
  const entries = await Promise.all(
    manifest.files.map(async (f): Promise<[string, Uint8Array]> => {
      let bytes: Uint8Array;
      try {
        bytes = await fetchFile(f.path, (n) => report(f.path, n));
      } catch (e) {
        throw new BundleError(f.path, `cannot be read (${(e as Error).message})`);
      }
      if (bytes.byteLength !== f.bytes) throw new BundleError(f.path, `has ${bytes.byteLength} bytes, the manifest says ${f.bytes}`);
      const sha = await sha256Hex(bytes);
      if (sha !== f.sha256) throw new BundleError(f.path, `sha256 ${sha.slice(0, 12)}… does not match the manifest's ${f.sha256.slice(0, 12)}… (corrupt or stale file)`);
      report(f.path, f.bytes);
      onFile?.(f.path, bytes, manifest);
      return [f.path, bytes];
    }),
  );
  const files = new Map(entries);
  return { manifest, files };
}

/** Fetch files under a URL prefix, reporting bytes as they stream in. */
export function urlFetcher(prefix: string, fetchImpl: typeof fetch = fetch): FetchFile {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return async (path, onBytes) => {
    const url = new URL(path, base).toString();
    const res = await fetchImpl(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText} for ${url}`);
    // Single-page-app servers answer unknown paths with index.html: that is a missing file.
    if ((res.headers.get('content-type') ?? '').includes('text/html') && !path.endsWith('.html'))
      throw new Error(`not found at ${url} (the server answered with an HTML page: is this URL a bundle folder?)`);
    const total = Number(res.headers.get('content-length') ?? 0);
    if (!res.body || !onBytes) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onBytes(loaded, total);
    }
    const out = new Uint8Array(loaded);
    let p = 0;
    for (const c of chunks) {
      out.set(c, p);
      p += c.byteLength;
    }
    return out;
  };
}

/**
 * Files picked from disk (a folder): paths may carry the folder's name as a first segment,
 * which is stripped when every file shares it.
 */
export function filesFetcher(files: { name: string; data: ArrayBuffer | Uint8Array }[]): FetchFile {
  const names = files.map((f) => f.name.replace(/\\/g, '/'));
  const first = names[0]?.split('/')[0];
  const shared = names.length > 0 && names.every((n) => n.includes('/') && n.split('/')[0] === first);
  const byPath = new Map<string, Uint8Array>();
  files.forEach((f, i) => {
    const p = shared ? names[i].slice(first!.length + 1) : names[i];
    byPath.set(p, f.data instanceof Uint8Array ? f.data : new Uint8Array(f.data));
  });
  return async (path) => {
    const b = byPath.get(path);
    if (!b) throw new Error(`not among the ${byPath.size} picked files`);
    return b;
  };
}
