// The one message protocol between the page and the inference worker. Both sides import it.
// Every request carries a requestId; every reply names it, so cancellation and stale-result
// dropping work per request (ORT's own proxy matches replies FIFO, which rules both out).

import type { Manifest } from '../models/manifest';
import type { CorpusJob } from './corpusJob';
import type { AblateJob } from './ablateJob';
import type { AblationResult, CorpusReport } from '../routing/metrics/corpusRun';
import type { AlignResult, BackendName, CounterfactualDiff, ForwardSummary, LayerEvent, SteerResult } from '../routing/run';

export type Progress =
  | { status: 'download'; file: string; loaded: number; total: number }
  | { status: 'session'; file: string; index: number; count: number }
  | { status: 'layer'; layer: number; numLayers: number }
  | { status: 'token'; index: number; count: number }
  | { status: 'item'; label: string; index: number; count: number }
  /** in-browser conversion of an HF checkpoint: `step` is the file being built */
  | { status: 'convert'; step: string; index: number; count: number };

export type WorkerRequest =
  /** sent at page start: fetch and compile ORT's runtime while the page renders (no reply) */
  | { type: 'init'; requestId: number; ortBase?: string; threads?: number }
  | {
      type: 'load';
      requestId: number;
      source: BundleSource;
      preferBackend?: BackendName;
      /** absolute URL of the folder serving ORT's wasm files (default: ../ort/ from the worker) */
      ortBase?: string;
      /** WASM threads (page URL `?threads=N`; default min(4, cores − 1)); fixed once ORT has started */
      threads?: number;
      /**
       * A URL source whose files the page downloads and hands over as 'file' messages: the page's
       * thread keeps the network drained while the worker is busy compiling ORT and building
       * sessions (the worker's own fetches stalled behind those long tasks).
       */
      pageFetches?: boolean;
    }
  /** one file of a 'load' with pageFetches: its bytes, or why it could not be fetched */
  | { type: 'file'; requestId: number; path: string; data?: ArrayBuffer; error?: string }
  | {
      type: 'forward';
      requestId: number;
      text: string;
      router: string;
      interventions: string[];
      /** also run the unmodified baseline (native router, no interventions) and diff */
      baseline: boolean;
      topN?: number;
    }
  | {
      type: 'generate';
      requestId: number;
      text: string;
      router: string;
      interventions: string[];
      maxTokens: number;
      temperature: number;
      topP: number;
      seed: number;
    }
  | { type: 'align'; requestId: number; ref?: string; maxArticles?: number }
  /** route several texts (native router) for contrastive attribution */
  | { type: 'route-texts'; requestId: number; texts: string[] }
  /** the texts of a probe language (one per article, the first `articles`), e.g. for attribution sets */
  | { type: 'probe-texts'; requestId: number; lang: string; articles?: number }
  | { type: 'coupling'; requestId: number; layer: number; perturb: boolean; seed: number }
  /** multilingual steering experiment on the probe set (needs a finished alignment) */
  | { type: 'steer'; requestId: number; align: AlignResult; target: string; tau: number; lambda: number }
  /** corpus-scale expert specialisation (the corpus view; answered 'corpus-report', progress per sequence) */
  | ({ type: 'corpus'; requestId: number } & CorpusJob)
  /** `moe-lab ablate` on the corpus (answered 'corpus-ablated', progress per pass) */
  | ({ type: 'corpus-ablate'; requestId: number } & AblateJob)
  | { type: 'cancel'; requestId: number }
  /**
   * Convert an HF checkpoint (picked files or a URL prefix) in the worker, then open it as the
   * current model like 'load' does (a failure keeps the last good one). `cancelFlag` (a
   * SharedArrayBuffer of one Int32, set to 1 by the page) reaches the worker mid-conversion,
   * when a 'cancel' message would wait for the synchronous converter to finish.
   */
  | {
      type: 'convert';
      requestId: number;
      source: ConvertSource;
      dtype: 'fp32' | 'fp16' | 'q8' | 'q4';
      id: string;
      name?: string;
      cancelFlag?: SharedArrayBuffer;
      preferBackend?: BackendName;
      ortBase?: string;
      threads?: number;
    }
  /** the bundle converted in this worker, as one .zip (answered 'bundle-zipped') */
  | { type: 'bundle-zip'; requestId: number }
  /** test hook: throw inside the worker outside any handler, to exercise the crash-restart path */
  | { type: 'crash'; requestId: number };

/** Where a bundle comes from: a URL prefix (shipped or remote) or files picked from disk. */
export type BundleSource =
  | { kind: 'url'; url: string }
  | { kind: 'files'; files: { name: string; data: ArrayBuffer }[] };

/**
 * A checkpoint to convert: a URL prefix, or picked files — the safetensors as File objects, read by
 * slices in the worker (never whole: a 2.67 GB file would not fit an ArrayBuffer), the small JSON
 * files as bytes.
 */
export type ConvertSource = { kind: 'url'; url: string } | { kind: 'files'; files: { name: string; data: ArrayBuffer | Blob }[] };

export type WorkerReply =
  | {
      type: 'loaded';
      requestId: number;
      manifest: Manifest;
      backend: BackendName;
      backendNote: string | null;
      /** where the load time went: bundle download + checks, waiting for ORT's runtime, session creation */
      timings?: { downloadMs: number; runtimeWaitMs: number; sessionsMs: number };
      /** the model was converted in the worker ('convert'); its bundle can be asked for with 'bundle-zip' */
      converted?: boolean;
    }
  | { type: 'progress'; requestId: number; progress: Progress }
  | { type: 'layer'; requestId: number; pass: 'baseline' | 'modified'; event: LayerEvent }
  | { type: 'forwarded'; requestId: number; summary: ForwardSummary; baseline?: ForwardSummary; diff?: CounterfactualDiff }
  | { type: 'token'; requestId: number; token: { id: number; text: string }; layers: { selected: number[][] }[] }
  | { type: 'generated'; requestId: number; text: string; tokens: { id: number; text: string }[] }
  | { type: 'aligned'; requestId: number; result: AlignResult }
  | { type: 'routed-texts'; requestId: number; runs: number[][][][] }
  | { type: 'probe-texts'; requestId: number; lang: string; texts: string[] }
  | {
      type: 'coupled';
      requestId: number;
      layer: number;
      M: number[][];
      R: number[][];
      /** Pearson r of router probability and expert output norm over the last run's (token, expert) pairs */
      scoreNormCorrelation: number | null;
    }
  | { type: 'steered'; requestId: number; result: SteerResult }
  | { type: 'corpus-report'; requestId: number; report: CorpusReport }
  | { type: 'corpus-ablated'; requestId: number; result: AblationResult }
  | { type: 'bundle-zipped'; requestId: number; fileName: string; data: ArrayBuffer }
  /**
   * `restored`: a load whose later graphs failed after 'loaded' (sessions are built while the
   * first forward runs): the worker is back on the previous model, described here.
   */
  | { type: 'error'; requestId: number; message: string; restored?: { manifest: Manifest; backend: BackendName; backendNote: string | null } }
  | { type: 'cancelled'; requestId: number };
