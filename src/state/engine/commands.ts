// What the page asks of the engine: load or convert a model, run the prompt, generate, align,
// cancel, and one-shot analyses. Each command writes its immediate state into the store; the
// replies (replies.ts) write the results.
import { useLab, emptyPass } from '../store';
import { SHIPPED_MODELS } from '../../models/registry';
import type { BundleSource, ConvertSource, WorkerReply, WorkerRequest } from '../../gpu/protocol';
import type { AlignResult, SteerResult } from '../../routing/run';
import { engineOptionsFromUrl } from '../urlState';
import { downloadForWorker } from './bundleDownload';
import { beginRun } from './layerStream';
import { markRequest, type MarkKind } from './perfMarks';
import { progressLabel } from './progressLabel';
import { current, sources } from './requests';
import { ask, ensureWorker, hasBootWorker, newRequestId, post, postIfRunning, terminateWorker, type Req } from './workerBridge';

/** Worker settings: where ORT's wasm files are served, and the URL's backend/threads choices. */
function loadOptions(): { ortBase: string; preferBackend?: 'wasm'; threads?: number } {
  return { ortBase: new URL('ort/', document.baseURI).href, ...engineOptionsFromUrl(location.search) };
}

function send(req: Req, kind: MarkKind): number {
  const requestId = newRequestId();
  current[kind] = requestId;
  markRequest(kind, requestId);
  // (bytes are transferred; a picked File is passed by reference, the worker reads its slices)
  const transfer = (req.type === 'load' || req.type === 'convert') && req.source.kind === 'files' ? req.source.files.flatMap((f) => (f.data instanceof ArrayBuffer ? [f.data] : [])) : [];
  post({ ...req, requestId } as WorkerRequest, transfer);
  return requestId;
}

/** At page start: create the worker and let it fetch and compile ORT while React renders. */
export function startEngine(): void {
  const booted = hasBootWorker(); // the boot script sent it 'init' already
  ensureWorker();
  if (booted) return;
  const { ortBase, threads } = loadOptions();
  post({ type: 'init', requestId: newRequestId(), ortBase, threads });
}

/** Replace a crashed worker, keep the UI state and reload the last good model. */
export function restart(reason: string): void {
  terminateWorker();
  const source = sources.lastGood;
  useLab.setState({ error: `${reason}; restarted it${source ? ' and reloaded the last good model' : ''}`, running: false, progress: null });
  if (source) send({ type: 'load', source, ...loadOptions() }, 'load');
}

export function sourceForModel(modelId: string, modelUrl: string | null): BundleSource {
  if (modelUrl) return { kind: 'url', url: new URL(modelUrl, document.baseURI).href };
  const m = SHIPPED_MODELS.find((x) => x.id === modelId) ?? SHIPPED_MODELS[0];
  return { kind: 'url', url: new URL(m.path, document.baseURI).href };
}

let pageDownload: AbortController | null = null;

/** The load in flight failed: stop downloading its files. */
export function abortPageDownload(): void {
  pageDownload?.abort();
}

export function loadModel(source: BundleSource): void {
  if (useLab.getState().converting) cancelConvert(); // a newer load supersedes a conversion
  sources.pending = source;
  useLab.setState({ loading: true, progress: { label: 'Loading model', value: 0 } });
  pageDownload?.abort();
  pageDownload = null;
  if (source.kind !== 'url') {
    send({ type: 'load', source, ...loadOptions() }, 'load');
    return;
  }
  // The page downloads the files and hands them to the worker (bundleDownload.ts).
  const requestId = send({ type: 'load', source, pageFetches: true, ...loadOptions() }, 'load');
  pageDownload = new AbortController();
  void downloadForWorker(source.url, requestId, pageDownload.signal, () => requestId === current.load);
}

export function runPrompt(): void {
  const s = useLab.getState();
  if (!s.manifest || !s.prompt.trim()) return;
  const changed = s.router !== 'native' || s.interventions.length > 0;
  beginRun(s.prompt);
  useLab.setState({ running: true, error: null, imported: null, ...(changed ? {} : { baseline: emptyPass(), diff: null }) });
  send({ type: 'forward', text: s.prompt, router: s.router, interventions: s.interventions, baseline: changed, topN: 10 }, 'run');
}

export function generate(opts: { maxTokens: number; temperature: number; topP: number; seed: number }): void {
  const s = useLab.getState();
  if (!s.manifest || !s.prompt.trim()) return;
  useLab.setState({ running: true, generation: { text: '', tokens: [], running: true } });
  send({ type: 'generate', text: s.prompt, router: s.router, interventions: s.interventions, ...opts }, 'run');
}

export function cancel(): void {
  if (current.run) postIfRunning({ type: 'cancel', requestId: current.run });
}

/** Run the cross-lingual alignment over the model's probe set. */
export function runAlign(maxArticles?: number): void {
  if (!useLab.getState().manifest?.probes) return;
  useLab.setState({ aligning: true });
  send({ type: 'align', maxArticles }, 'align');
}

/** A one-shot request with the progress bar while it runs. */
async function askWithProgress(req: Req): Promise<WorkerReply> {
  try {
    return await ask(req, (p) => useLab.setState({ progress: progressLabel(p.progress) }));
  } finally {
    useLab.setState({ progress: null });
  }
}

function expect<T extends WorkerReply['type']>(r: WorkerReply, type: T): Extract<WorkerReply, { type: T }> {
  if (r.type !== type) throw new Error(`the worker answered ${r.type} where ${type} was expected`);
  return r as Extract<WorkerReply, { type: T }>;
}

/** Route texts with the model's own router: [text][layer][token][k]. */
export async function routeTexts(texts: string[]): Promise<number[][][][]> {
  return expect(await askWithProgress({ type: 'route-texts', texts }), 'routed-texts').runs;
}

/** The first `articles` probe texts of a language. */
export async function probeTexts(lang: string, articles: number): Promise<string[]> {
  return expect(await askWithProgress({ type: 'probe-texts', lang, articles }), 'probe-texts').texts;
}

export async function coupling(layer: number, perturb: boolean, seed: number): Promise<{ layer: number; M: number[][]; R: number[][]; scoreNormCorrelation: number | null }> {
  const r = expect(await askWithProgress({ type: 'coupling', layer, perturb, seed }), 'coupled');
  return { layer: r.layer, M: r.M, R: r.R, scoreNormCorrelation: r.scoreNormCorrelation };
}

export async function steer(align: AlignResult, target: string, tau: number, lambda: number): Promise<SteerResult> {
  return expect(await askWithProgress({ type: 'steer', align, target, tau, lambda }), 'steered').result;
}

export { corpus, corpusAblate, cancelCorpus } from './corpusCommands';

let convertFlag: Int32Array | null = null;

/**
 * Convert an HF checkpoint (picked files or a URL prefix) in the worker and open it like a bundle
 * load: progress in the store, a failure keeps the last good model. Cross-origin isolated pages
 * share a cancel flag the worker reads between converter steps.
 */
export function convertModel(source: ConvertSource, opts: { dtype: 'fp32' | 'fp16' | 'q8' | 'q4'; id: string; name?: string }): void {
  const cancelFlag = globalThis.crossOriginIsolated ? new SharedArrayBuffer(4) : undefined;
  convertFlag = cancelFlag ? new Int32Array(cancelFlag) : null;
  sources.pending = sources.lastGood; // a converted model has no source to reload after a worker crash
  useLab.setState({ loading: true, converting: true, error: null, progress: { label: 'Reading the checkpoint', value: 0 } });
  current.convert = send({ type: 'convert', source, ...opts, cancelFlag, ...loadOptions() }, 'load');
}

export function cancelConvert(): void {
  if (!useLab.getState().converting) return;
  if (convertFlag) Atomics.store(convertFlag, 0, 1);
  postIfRunning({ type: 'cancel', requestId: current.convert });
  useLab.setState({ converting: false });
}

/** The bundle converted in the worker as one .zip file. */
export async function convertedBundleZip(): Promise<{ fileName: string; data: ArrayBuffer }> {
  const r = expect(await askWithProgress({ type: 'bundle-zip' }), 'bundle-zipped');
  return { fileName: r.fileName, data: r.data };
}

/** Test hook (only wired up with ?e2e=1): make the worker crash to exercise the restart path. */
export function crashWorkerForTest(): void {
  post({ type: 'crash', requestId: newRequestId() });
}
