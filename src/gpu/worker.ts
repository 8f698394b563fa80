/// <reference lib="webworker" />
// The inference worker: owns onnxruntime-web and the Lab, answers the protocol of protocol.ts.
// Every handler replies (errors included); a newer forward/generate cancels the older one.
import type * as OrtWeb from 'onnxruntime-web';
import { Lab, couplingMatrix, routeTexts } from './lab';
import { probeWebGpu, withBackend } from './backend';
import { filesFetcher, loadBundle, urlFetcher, type LoadedBundle } from '../models/loader';
import { Cancelled } from './engine';
import { createSession, warmUpRuntime } from './ortSessions';
import { alignProbes } from './align';
import { runCorpus } from './corpusJob';
import { runAblation } from './ablateJob';
import { probeTexts } from './probes';
import { steeringExperiment } from './steering';
import type { WorkerReply, WorkerRequest } from './protocol';
import type { Manifest } from '../models/manifest';
import { convertSource } from './convertJob';
import type { Bundle } from '../models/convert';
import { zipBundle } from '../models/bundleZip';

declare const self: DedicatedWorkerGlobalScope;

let lab: Lab | null = null;
const running = new Map<number, { aborted: boolean; run: boolean }>();
/** requestId of the newest forward/generate: older queued ones are answered 'cancelled' */
let latestRun = -1;
let chain: Promise<unknown> = Promise.resolve();
/** the bundle of a model converted here ('convert'), kept while that model is open so the page can save it */
let converted: { lab: Lab; bundle: Bundle } | null = null;

/** the backend note of the open model (for the 'restored' reply) */
let labNote: string | null = null;

/**
 * The new model takes over; the old one's sessions (their WebAssembly memory) are freed once every
 * session of the new one exists (at once unless it was built progressively, see Engine.create).
 * Requests run one after another (`chain`), so nothing is still running on the old one then. If a
 * session of the new model fails, the previous model is back and the page is told which, with the
 * failing graph named.
 */
function adopt(next: Lab, note: string | null, loadId: number): void {
  const old = lab;
  const oldNote = labNote;
  lab = next;
  labNote = note;
  if (converted && converted.lab !== next) converted = null;
  next.engine.ready.then(
    () => {
      if (old && old !== lab) void old.engine.release().catch(() => undefined);
    },
    (e: Error) => {
      if (lab !== next) return; // a newer model replaced it already
      lab = old;
      labNote = oldNote;
      post({ type: 'error', requestId: loadId, message: e.message, ...(old ? { restored: { manifest: old.manifest, backend: old.engine.backend, backendNote: oldNote } } : {}) });
    },
  );
}

function post(msg: WorkerReply, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

type OrtModule = typeof OrtWeb;
let ortModule: Promise<OrtModule> | null = null;
let ortWarm: Promise<unknown> = Promise.resolve();

/**
 * Without a WebGPU adapter we load ORT's plain WASM build (half the size of the WebGPU one, so
 * it compiles twice as fast); with one, the WebGPU build, which also carries the WASM EP.
 */
async function loadOrt(base?: string, threads?: number): Promise<OrtModule> {
  ortModule ??= (async () => {
    const gpu = (await probeWebGpu()) === null;
    const ort = (gpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as unknown as OrtModule;
    configureOrt(ort, base, threads);
    // Not awaited here: the runtime compiles while the bundle downloads (see warmup.ts).
    ortWarm = warmUpRuntime(ort);
    return ort;
  })();
  return ortModule;
}

function configureOrt(ort: OrtModule, base?: string, threads?: number) {
  ort.env.wasm.wasmPaths = base ?? new URL(import.meta.env.DEV ? '/ort/' : '../ort/', self.location.href).href;
  // Threads need SharedArrayBuffer, which needs a cross-origin isolated page (COOP/COEP). One core
  // is left to the page, which redraws the views while the engine runs: on 2 cores a second ORT
  // thread made a router swap slower (engine p50 73 ms vs 54 ms at 127 tokens, see README).
  const cores = navigator.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? (threads ?? Math.max(1, Math.min(4, cores - 1))) : 1;
  ort.env.wasm.proxy = false;
}

/** Files the page fetched for a 'load' with pageFetches, by request and path, as they arrive. */
const pageFiles = new Map<number, Map<string, { promise: Promise<Uint8Array>; settle: (r: { data?: ArrayBuffer; error?: string }) => void }>>();
const closedLoads = new Set<number>();

function pageFile(requestId: number, path: string) {
  let byPath = pageFiles.get(requestId);
  if (!byPath) pageFiles.set(requestId, (byPath = new Map()));
  let f = byPath.get(path);
  if (!f) {
    let settle!: (r: { data?: ArrayBuffer; error?: string }) => void;
    const promise = new Promise<Uint8Array>((ok, fail) => (settle = (r) => (r.data ? ok(new Uint8Array(r.data)) : fail(new Error(r.error ?? 'no bytes')))));
    promise.catch(() => undefined); // a file the loader never asks for (it stopped at an earlier error)
    byPath.set(path, (f = { promise, settle }));
  }
  return f;
}

async function handle(req: Exclude<WorkerRequest, { type: 'cancel' | 'crash' | 'init' | 'file' }>): Promise<void> {
  const isRun = req.type === 'forward' || req.type === 'generate';
  const flag = { aborted: isRun && req.requestId < latestRun, run: isRun };
  if (flag.aborted) {
    post({ type: 'cancelled', requestId: req.requestId });
    return;
  }
  running.set(req.requestId, flag);
  const progress = (p: import('./protocol').Progress) => post({ type: 'progress', requestId: req.requestId, progress: p });
  try {
    if (req.type === 'load') {
      const t0 = performance.now();
      const ort = await loadOrt(req.ortBase, req.threads);
      const requestId = req.requestId;
      const fetcher =
        req.source.kind === 'files' ? filesFetcher(req.source.files) : req.pageFetches ? (path: string) => pageFile(requestId, path).promise : urlFetcher(req.source.url);
      // On WASM (known before the download when there is no WebGPU adapter), each graph's session
      // is built as soon as its file has arrived and passed its checks, one after another.
      const early = req.preferBackend === 'wasm' || (await probeWebGpu()) !== null ? new Map<string, Promise<OrtWeb.InferenceSession>>() : null;
      let building: Promise<unknown> = ortWarm;
      const onFile = (path: string, bytes: Uint8Array, m: Manifest) => {
        const g = m.graphs;
        // Only what the first layer needs: the other graphs are built after 'loaded', while the
        // first forward runs (progressive), so the worker reaches 'loaded' sooner.
        if (!early || ![g.embed, g.attn[0], g.moe[0]].includes(path)) return;
        // a graph with external data waits for its .data file: the engine builds it
        if (m.files.some((f) => f.path === `${path}.data`)) return;
        const p = building.then(() => createSession(ort, bytes, ['wasm']));
        building = p.catch(() => undefined);
        early.set(path, p);
      };
      // Byte progress arrives per network chunk: post at most every 50 ms (and the last one).
      let lastPost = 0;
      let bundle: LoadedBundle;
      try {
        bundle = await loadBundle(
          fetcher,
          // (with pageFetches the page reports the bytes itself)
          req.pageFetches ? undefined : (p) => {
            const t = performance.now();
            if (t - lastPost < 50 && p.loaded < p.total) return;
            lastPost = t;
            progress({ status: 'download', file: p.file, loaded: p.loaded, total: p.total });
          },
          onFile,
        );
      } catch (e) {
        for (const p of early?.values() ?? []) p.then((s) => s.release()).catch(() => undefined);
        throw e;
      } finally {
        pageFiles.delete(requestId);
        closedLoads.add(requestId);
      }
      const downloaded = performance.now();
      await ortWarm;
      const warm = performance.now();
      // On WASM the first forward may start once the first layer's sessions exist (progressive); on
      // WebGPU every session is built first, so a graph it cannot run falls back to WASM whole.
      const { value, choice } = await withBackend(req.preferBackend, (c) =>
        Lab.open(ort as never, bundle, c.executionProviders, c.backend, progress, c.backend === 'wasm' ? (early ?? undefined) : undefined, c.backend === 'wasm'),
      );
      // Only now replace the old model: a failed load keeps the last good one working.
      adopt(value, choice.note, req.requestId);
      const timings = { downloadMs: downloaded - t0, runtimeWaitMs: warm - downloaded, sessionsMs: performance.now() - warm };
      post({ type: 'loaded', requestId: req.requestId, manifest: bundle.manifest, backend: choice.backend, backendNote: choice.note, timings });
      return;
    }
    if (req.type === 'convert') {
      const shared = req.cancelFlag ? new Int32Array(req.cancelFlag) : null;
      const signal = { get aborted() { return flag.aborted || (shared !== null && Atomics.load(shared, 0) !== 0); } };
      const ortReady = loadOrt(req.ortBase, req.threads); // ORT compiles while the converter runs
      ortReady.catch(() => undefined);
      const bundle = await convertSource(req.source, { dtype: req.dtype, id: req.id, name: req.name, signal, onProgress: progress });
      const ort = await ortReady;
      await ortWarm;
      const { value, choice } = await withBackend(req.preferBackend, (c) => Lab.open(ort as never, bundle, c.executionProviders, c.backend, progress));
      if (signal.aborted) {
        void value.engine.release();
        throw new Cancelled();
      }
      // As for 'load': only now does the new model replace the last good one.
      adopt(value, choice.note, req.requestId);
      converted = { lab: value, bundle };
      post({ type: 'loaded', requestId: req.requestId, manifest: bundle.manifest, backend: choice.backend, backendNote: choice.note, converted: true });
      return;
    }
    if (req.type === 'bundle-zip') {
      if (!converted || converted.lab !== lab) throw new Error('the open model was not converted in this page, so there is no converted bundle to save');
      const zip = zipBundle(converted.bundle.manifest, converted.bundle.files);
      post({ type: 'bundle-zipped', requestId: req.requestId, fileName: `${converted.bundle.manifest.id}.zip`, data: zip.buffer as ArrayBuffer }, [zip.buffer]);
      return;
    }
    if (!lab) throw new Error('no model is loaded yet');
    if (req.type === 'probe-texts') {
      post({ type: 'probe-texts', requestId: req.requestId, lang: req.lang, texts: probeTexts(lab.probes, req.lang, req.articles) });
      return;
    }
    if (req.type === 'route-texts') {
      post({ type: 'routed-texts', requestId: req.requestId, runs: await routeTexts(lab, req.texts, flag) });
      return;
    }
    if (req.type === 'coupling') {
      const c = await couplingMatrix(lab, req.layer, req.perturb, req.seed);
      post({ type: 'coupled', requestId: req.requestId, layer: req.layer, M: c.M, R: c.R, scoreNormCorrelation: c.scoreNormCorrelation });
      return;
    }
    if (req.type === 'steer') {
      const result = await steeringExperiment(lab, req.align, req.target, { tau: req.tau, lambda: req.lambda, signal: flag });
      post({ type: 'steered', requestId: req.requestId, result });
      return;
    }
    if (req.type === 'corpus') {
      post({ type: 'corpus-report', requestId: req.requestId, report: await runCorpus(lab, req, flag, progress) });
      return;
    }
    if (req.type === 'corpus-ablate') {
      post({ type: 'corpus-ablated', requestId: req.requestId, result: await runAblation(lab, req, flag, progress) });
      return;
    }
    if (req.type === 'align') {
      const result = await alignProbes(lab, lab.probes, { ref: req.ref, maxArticles: req.maxArticles, signal: flag, onProgress: progress });
      post({ type: 'aligned', requestId: req.requestId, result });
      return;
    }
    if (req.type === 'forward') {
      const r = await lab.run(req.text, {
        router: req.router,
        interventions: req.interventions,
        baseline: req.baseline,
        topN: req.topN,
        signal: flag,
        onProgress: progress,
        onLayer: (pass, event) => post({ type: 'layer', requestId: req.requestId, pass, event }),
      });
      post({ type: 'forwarded', requestId: req.requestId, summary: r.modified.summary, baseline: r.baseline?.summary, diff: r.diff });
      return;
    }
    const g = await lab.generate(req.text, {
      router: req.router,
      interventions: req.interventions,
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      topP: req.topP,
      seed: req.seed,
      signal: flag,
      onProgress: progress,
      onToken: (token, events) => post({ type: 'token', requestId: req.requestId, token, layers: events.map((e) => ({ selected: e.selected })) }),
    });
    post({ type: 'generated', requestId: req.requestId, text: g.text, tokens: lab.tokenizer.tokens(g.ids) });
  } catch (e) {
    if (e instanceof Cancelled || flag.aborted) post({ type: 'cancelled', requestId: req.requestId });
    else post({ type: 'error', requestId: req.requestId, message: (e as Error).message ?? String(e) });
  } finally {
    running.delete(req.requestId);
  }
}

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  if (req.type === 'crash') {
    setTimeout(() => {
      throw new Error('crash requested by a test');
    });
    return;
  }
  if (req.type === 'init') {
    void loadOrt(req.ortBase, req.threads).catch(() => undefined); // a failure resurfaces on the load
    return;
  }
  if (req.type === 'file') {
    if (!closedLoads.has(req.requestId)) pageFile(req.requestId, req.path).settle(req);
    return;
  }
  if (req.type === 'cancel') {
    const f = running.get(req.requestId);
    if (f) f.aborted = true;
    return;
  }
  if (req.type === 'forward' || req.type === 'generate') {
    // A newer run supersedes the ones still in flight or queued.
    latestRun = Math.max(latestRun, req.requestId);
    for (const f of running.values()) if (f.run) f.aborted = true;
  }
  chain = chain.then(() => handle(req));
};
