// The page side of the worker protocol: one worker, replies matched by requestId, stale results
// dropped (a newer run supersedes an older one), a crashed worker restarted with the last good
// model, and every result written into the store.
import { useLab, emptyPass, type PromptRun } from './store';
import { SHIPPED_MODELS } from '../models/registry';
import type { BundleSource, Progress, WorkerReply, WorkerRequest } from '../gpu/protocol';
import type { LayerEvent } from '../routing/run';
import { MAX_BUNDLE_BYTES, urlFetcher } from '../models/loader';
import { validateManifest } from '../models/manifest';

type Req = WorkerRequest extends infer R ? (R extends { requestId: number } ? Omit<R, 'requestId'> : never) : never;

let worker: Worker | null = null;
let nextId = 1;
/** requestId of the newest run; replies of older runs are ignored */
let currentRun = 0;
let currentLoad = 0;
let currentAlign = 0;
let lastGood: BundleSource | null = null;
/** the model before lastGood, which a load that fails after 'loaded' falls back to */
let previousGood: BundleSource | null = null;
let pendingLoad: BundleSource | null = null;

function progressLabel(p: Progress): { label: string; value: number } {
  switch (p.status) {
    case 'download':
      return { label: `Downloading ${p.file} (${(p.loaded / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB)`, value: p.total ? p.loaded / p.total : 0 };
    case 'session':
      return { label: `Creating session ${p.file}`, value: (p.index + 1) / p.count };
    case 'layer':
      return { label: `Layer ${p.layer + 1} of ${p.numLayers}`, value: (p.layer + 1) / p.numLayers };
    case 'token':
      return { label: `Token ${p.index} of ${p.count}`, value: p.index / p.count };
    case 'item':
      return { label: `${p.label} ${p.index} of ${p.count}`, value: p.index / p.count };
    case 'convert':
      return { label: `Converting: ${p.step} (${p.index + 1} of ${p.count})`, value: (p.index + 1) / p.count };
  }
}

/**
 * Layer events reach the store in batches. While the map is empty (a new prompt or model) each
 * frame draws the layers that arrived, so the map streams in. Otherwise (a router swap, an
 * intervention) the old map stays up and the new layers are written at most every FLUSH_MS, and at
 * once with the run's result: a fast re-run then costs one redraw instead of one per layer, which
 * on 2 cores took the page's time from the engine. Views over all layers (flow) redraw once the
 * pass is whole (`settled`).
 */
const FLUSH_MS = 100;
/** the text of the run in flight (the prompt box may change before it completes), and of the map on screen */
let runText = '';
let shownText: string | null = null;
const pendingLayers: { pass: 'baseline' | 'modified'; event: LayerEvent }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
let flushFrame: number | null = null;
/** when the current run was sent, and when layers were last written to the store */
let runStarted = 0;
let lastFlush = 0;
/** layers of the current run's modified pass received so far */
let receivedLayers = 0;

function flushLayers(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  if (flushFrame !== null) cancelAnimationFrame(flushFrame);
  flushTimer = flushFrame = null;
  if (pendingLayers.length === 0) return;
  lastFlush = performance.now();
  const s = useLab.getState();
  const next = { baseline: [...s.baseline.layers], modified: [...s.modified.layers] };
  for (const { pass, event } of pendingLayers.splice(0)) {
    next[pass][event.layer] = event;
    if (pass === 'modified') receivedLayers++;
  }
  const whole = receivedLayers >= (s.manifest?.numLayers ?? Infinity);
  useLab.setState({
    baseline: { ...s.baseline, layers: next.baseline },
    modified: { ...s.modified, layers: next.modified, ...(whole ? { settled: next.modified } : {}) },
  });
}

function queueLayer(pass: 'baseline' | 'modified', event: LayerEvent): void {
  pendingLayers.push({ pass, event });
  // The modified pass's last layer: draw now, while the worker computes the logits and the loss.
  if (pass === 'modified' && event.layer === (useLab.getState().manifest?.numLayers ?? 0) - 1) return flushLayers();
  if (flushTimer !== null || flushFrame !== null) return;
  // A new text (or an empty map) streams in frame by frame; a re-run of the text on screen is batched.
  if (runText !== shownText || !useLab.getState().modified.layers.some(Boolean)) flushFrame = requestAnimationFrame(flushLayers);
  else flushTimer = setTimeout(flushLayers, Math.max(0, FLUSH_MS - (performance.now() - Math.max(runStarted, lastFlush))));
}

/** Per-layer progress only once a run has taken longer than FLUSH_MS (a fast run needs no bar). */
function showsProgress(p: Progress): boolean {
  return p.status !== 'layer' || performance.now() - runStarted > FLUSH_MS;
}

/**
 * The last two distinct prompts with the model's own routing: the unmodified baseline when the
 * run had a router or interventions, else the run itself. A new text pushes the older one out.
 */
function nextPromptPair(s: ReturnType<typeof useLab.getState>, hasBaseline: boolean): { prev: PromptRun | null; cur: PromptRun | null } {
  const layers = hasBaseline ? s.baseline.layers : s.modified.layers;
  const run = { text: runText, layers };
  const { prev, cur } = s.promptPair;
  return cur && cur.text !== runText ? { prev: cur, cur: run } : { prev, cur: run };
}

declare global {
  interface Window {
    /** the worker the built page's inline script started (vite.config.ts, bootWorker) */
    __moeBootWorker?: Worker;
  }
}

/** one-shot requests (attribution, coupling): resolved with their final reply */
const oneShot = new Map<number, (r: WorkerReply) => void>();

function onReply(msg: WorkerReply) {
  const done = oneShot.get(msg.requestId);
  if (done) {
    if (msg.type === 'progress') useLab.setState({ progress: progressLabel(msg.progress) });
    else {
      oneShot.delete(msg.requestId);
      useLab.setState({ progress: null });
      done(msg);
    }
    return;
  }
  const s = useLab.getState();
  const isRun = msg.requestId === currentRun;
  const isLoad = msg.requestId === currentLoad;
  const isAlign = msg.requestId === currentAlign;
  if (!isRun && !isLoad && !isAlign) return; // stale
  switch (msg.type) {
    case 'progress':
      if (showsProgress(msg.progress)) useLab.setState({ progress: progressLabel(msg.progress) });
      break;
    case 'loaded':
      previousGood = lastGood;
      lastGood = pendingLoad;
      performance.measure('moe-load', { start: `moe-load-${msg.requestId}`, detail: msg.timings });
      // An imported trace on screen stays there while a model loads underneath it.
      useLab.setState({ promptPair: { prev: null, cur: null }, manifest: msg.manifest, backend: msg.backend, backendNote: msg.backendNote, loading: false, progress: null, ...(s.imported ? {} : { modified: emptyPass(), baseline: emptyPass(), diff: null }), alignment: null });
      // A converted model is named like a folder opened from disk (its id is the folder's name).
      useLab.setState({ converted: msg.converted === true, converting: false, ...(msg.converted ? { localFolder: msg.manifest.id, modelUrl: null } : {}) });
      if (s.prompt.trim() && !s.imported) runPrompt();
      break;
    case 'layer':
      queueLayer(msg.pass, msg.event);
      break;
    case 'forwarded':
      flushLayers();
      shownText = runText;
      // Performance marks: run request → results in the store → next frame painted (npm run bench reads them).
      // detail.engineMs: time inside the engine (both passes), the rest is messaging and rendering.
      requestAnimationFrame(() => performance.measure('moe-run', { start: `moe-run-${msg.requestId}`, detail: { engineMs: msg.summary.ms + (msg.baseline?.ms ?? 0) } }));
      useLab.setState({
        promptPair: nextPromptPair(useLab.getState(), msg.baseline !== undefined),
        modified: { layers: useLab.getState().modified.layers, settled: useLab.getState().modified.layers, summary: msg.summary },
        baseline: msg.baseline ? { layers: useLab.getState().baseline.layers, settled: useLab.getState().baseline.layers, summary: msg.baseline } : emptyPass(),
        diff: msg.diff ?? null,
        running: false,
        progress: null,
        notices: [...new Set([...msg.summary.notices])],
      });
      break;
    case 'token': {
      const g = useLab.getState().generation ?? { text: '', tokens: [], running: true };
      const experts = msg.layers.map((l) => l.selected[0] ?? []);
      useLab.setState({ generation: { ...g, tokens: [...g.tokens, { ...msg.token, experts }], text: g.text + msg.token.text } });
      break;
    }
    case 'generated':
      // Keep the streamed tokens (they carry their routing); the final message confirms the text.
      useLab.setState({ generation: { text: msg.text, tokens: useLab.getState().generation?.tokens ?? msg.tokens, running: false }, running: false, progress: null });
      break;
    case 'aligned':
      useLab.setState({ alignment: msg.result, aligning: false, progress: null });
      break;
    case 'cancelled':
      useLab.setState({ running: false, aligning: false, progress: null, ...(isLoad ? { loading: false, converting: false } : {}) });
      break;
    case 'error':
      if (msg.restored) {
        // A graph of the new model failed after it had opened: the worker is back on the previous
        // model; so is the page, which re-runs its prompt there.
        lastGood = previousGood;
        useLab.setState({ manifest: msg.restored.manifest, backend: msg.restored.backend, backendNote: msg.restored.backendNote, loading: false, progress: null, modified: emptyPass(), baseline: emptyPass(), diff: null });
        if (useLab.getState().prompt.trim()) runPrompt();
        useLab.setState({ error: `${msg.message}; kept the previous model` }); // (after runPrompt, which clears errors)
        break;
      }
      if (isLoad) pageDownload?.abort(); // the worker gave up on this bundle: stop downloading it
      // The last good model and results stay; only the banner changes.
      useLab.setState({ error: msg.message, running: false, loading: false, aligning: false, progress: null, ...(isLoad ? { converting: false } : {}) });
      break;
  }
}

function ensureWorker(): Worker {
  if (worker) return worker;
  // The worker boot.ts started at page load, once; a restart after a crash makes a new one.
  worker = window.__moeBootWorker ?? new Worker(new URL('../gpu/worker.ts', import.meta.url), { type: 'module' });
  delete window.__moeBootWorker;
  worker.onmessage = (ev: MessageEvent<WorkerReply>) => onReply(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    restart(`the inference worker crashed (${ev.message || 'unknown error'})`);
  };
  return worker;
}

/** At page start: create the worker and let it fetch and compile ORT while React renders. */
export function startEngine(): void {
  const { ortBase, threads } = loadOptions();
  const booted = window.__moeBootWorker !== undefined; // it was sent 'init' already
  const w = ensureWorker();
  if (booted) return;
  w.postMessage({ type: 'init', requestId: nextId++, ortBase, threads } satisfies WorkerRequest);
}

/** Replace a crashed worker, keep the UI state and reload the last good model. */
export function restart(reason: string): void {
  worker?.terminate();
  worker = null;
  const source = lastGood;
  useLab.setState({ error: `${reason}; restarted it${source ? ' and reloaded the last good model' : ''}`, running: false, progress: null });
  if (source) send({ type: 'load', source, ...loadOptions() }, 'load');
}

/** Worker settings from the page URL: `?backend=wasm` skips WebGPU, `?threads=N` sets WASM threads. */
function loadOptions(): { ortBase: string; preferBackend?: 'wasm'; threads?: number } {
  const q = new URLSearchParams(location.search);
  const threads = Number(q.get('threads'));
  return {
    ortBase: ortBase(),
    ...(q.get('backend') === 'wasm' ? { preferBackend: 'wasm' as const } : {}),
    ...(Number.isInteger(threads) && threads >= 1 && threads <= 16 ? { threads } : {}),
  };
}

function ortBase(): string {
  return new URL('ort/', document.baseURI).href;
}

function send(req: Req, kind: 'run' | 'load' | 'align'): number {
  const requestId = nextId++;
  if (kind === 'run') currentRun = requestId;
  else if (kind === 'align') currentAlign = requestId;
  else currentLoad = requestId;
  performance.mark(`moe-${kind}-${requestId}`);
  ensureWorker().postMessage({ ...req, requestId } as WorkerRequest, (req.type === 'load' || req.type === 'convert') && req.source.kind === 'files' ? req.source.files.map((f) => f.data) : []);
  return requestId;
}

export function sourceForModel(modelId: string, modelUrl: string | null): BundleSource {
  if (modelUrl) return { kind: 'url', url: new URL(modelUrl, document.baseURI).href };
  const m = SHIPPED_MODELS.find((x) => x.id === modelId) ?? SHIPPED_MODELS[0];
  return { kind: 'url', url: new URL(m.path, document.baseURI).href };
}

let pageDownload: AbortController | null = null;

export function loadModel(source: BundleSource): void {
  if (useLab.getState().converting) cancelConvert(); // a newer load supersedes a conversion
  pendingLoad = source;
  useLab.setState({ loading: true, progress: { label: 'Loading model', value: 0 } });
  pageDownload?.abort();
  pageDownload = null;
  if (source.kind !== 'url') {
    send({ type: 'load', source, ...loadOptions() }, 'load');
    return;
  }
  // The page downloads the files and hands them to the worker (see 'pageFetches' in protocol.ts);
  // the worker still checks every file's size and sha256 and names what is wrong.
  const requestId = send({ type: 'load', source, pageFetches: true, ...loadOptions() }, 'load');
  pageDownload = new AbortController();
  void downloadForWorker(source.url, requestId, pageDownload.signal);
}

/** Fetch a bundle's manifest and files and post each to the worker, bytes transferred. */
async function downloadForWorker(url: string, requestId: number, signal: AbortSignal): Promise<void> {
  const fetchFile = urlFetcher(url, (input, init) => fetch(input, { ...init, signal, priority: 'low' }));
  // Every file the worker may wait for gets an answer, also once a newer load has superseded this
  // one (then an error): the worker runs requests one after another, and a load left waiting for
  // a file would hold up the newer load behind it.
  const post = (path: string, r: { data?: ArrayBuffer; error?: string }) => {
    const stale = signal.aborted || requestId !== currentLoad;
    const msg: WorkerRequest = { type: 'file', requestId, path, ...(stale ? { error: 'a newer load started' } : r) };
    worker?.postMessage(msg, !stale && r.data ? [r.data] : []);
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
    files = validateManifest(JSON.parse(new TextDecoder().decode(manifestBytes))).files;
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
    if (t - last < 50 || signal.aborted || requestId !== currentLoad || !useLab.getState().loading) return;
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

export function runPrompt(): void {
  const s = useLab.getState();
  if (!s.manifest || !s.prompt.trim()) return;
  const changed = s.router !== 'native' || s.interventions.length > 0;
  receivedLayers = 0;
  runStarted = performance.now();
  useLab.setState({ running: true, error: null, imported: null, ...(changed ? {} : { baseline: emptyPass(), diff: null }) });
  runText = s.prompt;
  send({ type: 'forward', text: s.prompt, router: s.router, interventions: s.interventions, baseline: changed, topN: 10 }, 'run');
}

export function generate(opts: { maxTokens: number; temperature: number; topP: number; seed: number }): void {
  const s = useLab.getState();
  if (!s.manifest || !s.prompt.trim()) return;
  useLab.setState({ running: true, generation: { text: '', tokens: [], running: true } });
  send({ type: 'generate', text: s.prompt, router: s.router, interventions: s.interventions, ...opts }, 'run');
}

export function cancel(): void {
  if (currentRun) worker?.postMessage({ type: 'cancel', requestId: currentRun } satisfies WorkerRequest);
}

/** Run the cross-lingual alignment over the model's probe set. */
export function runAlign(maxArticles?: number): void {
  if (!useLab.getState().manifest?.probes) return;
  useLab.setState({ aligning: true });
  send({ type: 'align', maxArticles }, 'align');
}

/** Send a one-shot request; resolves with its final reply (an 'error' reply rejects with its message). */
export function ask(req: Extract<Req, { type: 'route-texts' | 'probe-texts' | 'coupling' | 'steer' | 'bundle-zip' }>): Promise<WorkerReply> {
  const requestId = nextId++;
  return new Promise((ok, fail) => {
    oneShot.set(requestId, (r) => (r.type === 'error' ? fail(new Error(r.message)) : ok(r)));
    ensureWorker().postMessage({ ...req, requestId } as WorkerRequest);
  });
}

let currentConvert = 0;
let convertFlag: Int32Array | null = null;

/**
 * Convert an HF checkpoint (picked files or a URL prefix) in the worker and open it like a bundle
 * load: progress in the store, a failure keeps the last good model. Cross-origin isolated pages
 * share a cancel flag the worker reads between converter steps.
 */
export function convertModel(source: BundleSource, opts: { dtype: 'fp32' | 'fp16' | 'q8' | 'q4'; id: string; name?: string }): void {
  const cancelFlag = globalThis.crossOriginIsolated ? new SharedArrayBuffer(4) : undefined;
  convertFlag = cancelFlag ? new Int32Array(cancelFlag) : null;
  pendingLoad = lastGood; // a converted model has no source to reload after a worker crash
  useLab.setState({ loading: true, converting: true, error: null, progress: { label: 'Reading the checkpoint', value: 0 } });
  currentConvert = send({ type: 'convert', source, ...opts, cancelFlag, ...loadOptions() }, 'load');
}

export function cancelConvert(): void {
  if (!useLab.getState().converting) return;
  if (convertFlag) Atomics.store(convertFlag, 0, 1);
  worker?.postMessage({ type: 'cancel', requestId: currentConvert } satisfies WorkerRequest);
  useLab.setState({ converting: false });
}

/** The bundle converted in the worker as one .zip file. */
export async function convertedBundleZip(): Promise<{ fileName: string; data: ArrayBuffer }> {
  const r = await ask({ type: 'bundle-zip' });
  if (r.type !== 'bundle-zipped') throw new Error(`unexpected reply ${r.type} to bundle-zip`);
  return r;
}

/** Test hook (only wired up with ?e2e=1): make the worker crash to exercise the restart path. */
export function crashWorkerForTest(): void {
  ensureWorker().postMessage({ type: 'crash', requestId: nextId++ } satisfies WorkerRequest);
}
