// The page downloads a URL bundle and hands each file to the worker as a 'file' message (see
// 'pageFetches' in gpu/protocol.ts): the page's thread keeps the network drained while the worker
// compiles ORT and builds sessions. The worker still checks every file's size and sha256.
import { useLab } from '../store';
import type { WorkerRequest } from '../../gpu/protocol';
import { MAX_BUNDLE_BYTES, urlFetcher } from '../../models/loader';
import { validateManifest } from '../../models/manifest';
import { readJson } from '../../routing/safeJson';
import { progressLabel } from './progressLabel';
import { postIfRunning } from './workerBridge';

/**
 * Fetch a bundle's manifest and files and post each to the worker, bytes transferred. `isCurrent`
 * says whether this load is still the newest one.
 */
export async function downloadForWorker(url: string, requestId: number, signal: AbortSignal, isCurrent: () => boolean): Promise<void> {
  const fetchFile = urlFetcher(url, (input, init) => fetch(input, { ...init, signal, priority: 'low' }));
  // Every file the worker may wait for gets an answer, also once a newer load has superseded this
  // one (then an error): the worker runs requests one after another, and a load left waiting for
  // a file would hold up the newer load behind it.
  const post = (path: string, r: { data?: ArrayBuffer; error?: string }) => {
    const stale = signal.aborted || !isCurrent();
    const msg: WorkerRequest = { type: 'file', requestId, path, ...(stale ? { error: 'a newer load started' } : r) };
    postIfRunning(msg, !stale && r.data ? [r.data] : []);
  };
  /** Fetch one file and post it; the manifest is kept (copied) to list the other files. */
  const fetchAndPost = async (path: string, onBytes?: (n: number, total: number) => void, keep = false): Promise<Uint8Array | null> => {
    try {
      const bytes = await fetchFile(path, onBytes);
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      post(path, { data: keep || !whole ? bytes.slice().buffer : (bytes.buffer as ArrayBuffer) });
      return keep ? bytes : null;
    } catch (e) {
      post(path, { error: (e as Error).message });
      return null;
    }
  };
  const manifestBytes = await fetchAndPost('manifest.json', undefined, true);
  if (!manifestBytes) return;
  let files: { path: string; bytes: number }[];
  try {
    // An invalid manifest stops here; the worker's loader reports it (with the same checks).
    files = validateManifest(readJson(manifestBytes, 'manifest.json')).files;
  } catch {
    return;
  }
  const total = files.reduce((a, f) => a + f.bytes, 0);
  if (total > MAX_BUNDLE_BYTES) return;
  const loaded = new Map<string, number>();
  let last = 0;
  const report = (path: string, n: number) => {
    loaded.set(path, n);
    const t = performance.now();
    // (not once the load has ended, e.g. the worker already rejected a file)
    if (t - last < 50 || signal.aborted || !isCurrent() || !useLab.getState().loading) return;
    last = t;
    const sum = [...loaded.values()].reduce((a, b) => a + b, 0);
    useLab.setState({ progress: progressLabel({ status: 'download', file: path, loaded: sum, total }) });
  };
  // Four at a time, at low priority: HTTP/1.1 gives an origin six connections, and the worker's
  // own requests (ORT's 14 MB runtime first of all) must not queue behind 36 MB of weights.
  const queue = [...files];
  const lane = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const path = f.path;
      await fetchAndPost(path, (n) => report(path, n));
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}
