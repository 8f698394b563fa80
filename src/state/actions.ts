// The store's actions that need the engine: load, run, generate, align, convert and the one-shot
// analyses (attribution, coupling, steering), whose results live in the store so they are
// exported with the run and restored from a shared URL. Components call these, never the engine
// client; the client is plugged in at page start (`connectEngine` in main.tsx), and tests plug in
// a fake.
import type { BundleSource, ConvertSource } from '../gpu/protocol';
import type { AlignResult, SteerResult } from '../routing/run';
import { routingFrequency } from '../routing/metrics/index';
import type { LabState } from './store';
import type { CorpusJob } from '../gpu/corpusJob';
import type { AblateJob } from '../gpu/ablateJob';
import type { AblationResult, CorpusReport, CorpusTexts } from '../routing/metrics/corpusRun';

/** The corpus view's request: picked texts (sources, sequences) and/or the probe texts. */
export interface CorpusRequest extends CorpusTexts {
  probes?: { articles?: number };
}

/** The corpus view's ablation: mask `source`'s n preferred experts vs n random ones (seeds). */
export interface AblationRequest {
  source: string;
  n: number;
  seeds: number;
}

/** What the store needs of the engine client (state/engine/commands.ts implements it). */
export interface EngineCommands {
  loadModel(source: BundleSource): void;
  sourceForModel(modelId: string, modelUrl: string | null): BundleSource;
  runPrompt(): void;
  generate(opts: GenerateOptions): void;
  cancel(): void;
  runAlign(maxArticles?: number): void;
  convertModel(source: ConvertSource, opts: ConvertRequest): void;
  cancelConvert(): void;
  convertedBundleZip(): Promise<{ fileName: string; data: ArrayBuffer }>;
  routeTexts(texts: string[]): Promise<number[][][][]>;
  probeTexts(lang: string, articles: number): Promise<string[]>;
  coupling(
    layer: number,
    perturb: boolean,
    seed: number,
  ): Promise<{ layer: number; M: number[][]; R: number[][]; scoreNormCorrelation: number | null }>;
  steer(align: AlignResult, target: string, tau: number, lambda: number): Promise<SteerResult>;
  /** the corpus view's run (null: cancelled) */
  corpus(job: CorpusJob): Promise<CorpusReport | null>;
  /** the corpus view's ablation (null: cancelled) */
  corpusAblate(job: AblateJob): Promise<AblationResult | null>;
  cancelCorpus(): void;
}

export interface GenerateOptions {
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
}

export interface ConvertRequest {
  dtype: 'fp32' | 'fp16' | 'q8' | 'q4';
  id: string;
  name?: string;
}

/** Contrastive attribution: two text sets, each typed (one text per line) or a probe language. */
export interface AttributionRequest {
  a: string;
  b: string;
  /** '' = the typed texts; else a probe language (its first `articles` articles) */
  probeA: string;
  probeB: string;
  articles: number;
}

export interface CouplingRequest {
  layer: number;
  perturb: boolean;
}

export interface SteeringRequest {
  target: string;
  tau: number;
  lambda: number;
}

/** What a shared URL asks to be computed again on open. */
export interface AnalysisRequests {
  /** alignment over this many probe articles */
  align?: number;
  attribution?: AttributionRequest;
  coupling?: CouplingRequest;
  steering?: SteeringRequest;
  /** the Corpus view's probe texts, this many articles per language */
  corpus?: { articles: number };
}

/** One-shot analysis results of the current model, each with the request that made it. */
export interface Analyses {
  attribution?: { request: AttributionRequest; A: number[][]; B: number[][] };
  coupling?: { request: CouplingRequest; M: number[][]; R: number[][]; corr: number | null };
  steering?: { request: SteeringRequest; result: SteerResult };
  /** `previous`: the run before it on this model (the drift table), or on the model before (the two-models table) */
  corpus?: { request: CorpusRequest; report: CorpusReport; previous?: CorpusReport };
  ablation?: { request: AblationRequest; result: AblationResult };
}

export type AnalysisKind = keyof Analyses;

export interface EngineActions {
  /** Open a shipped model (by id) or a bundle URL. */
  openModel(modelId: string, modelUrl: string | null): void;
  /** Open bundle files picked or dropped from disk (callers name the folder in `localFolder`). */
  openFiles(files: { name: string; data: ArrayBuffer }[]): void;
  /** Run the prompt with the current router and interventions. */
  run(): void;
  generate(opts: GenerateOptions): void;
  cancel(): void;
  align(maxArticles?: number): void;
  convert(source: ConvertSource, opts: ConvertRequest): void;
  cancelConvert(): void;
  convertedBundleZip(): Promise<{ fileName: string; data: ArrayBuffer }>;
  rankAttribution(req: AttributionRequest): Promise<void>;
  computeCoupling(req: CouplingRequest): Promise<void>;
  runSteering(req: SteeringRequest): Promise<void>;
  /** Corpus-scale specialisation of picked texts / the probe texts, with the current router and interventions. */
  runCorpus(req: CorpusRequest): Promise<void>;
  /** `moe-lab ablate` on the last corpus run's texts, for one of its sources. */
  runAblation(req: AblationRequest): Promise<void>;
  cancelCorpus(): void;
}

let engine: EngineCommands | null = null;

/** Plug the engine client in (main.tsx; tests pass a fake). */
export function connectEngine(commands: EngineCommands): void {
  engine = commands;
}

function need(): EngineCommands {
  if (!engine) throw new Error('the engine is not connected (connectEngine was not called)');
  return engine;
}

const lines = (s: string) =>
  s
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);

type Set = (partial: Partial<LabState> | ((s: LabState) => Partial<LabState>)) => void;

export function engineActions(set: Set, get: () => LabState): EngineActions {
  /** Run one analysis: busy flag on, result (with its request) into `analyses`, errors to the banner. */
  const analysis = async <K extends AnalysisKind>(
    kind: K,
    compute: () => Promise<Analyses[K] | undefined>,
  ): Promise<void> => {
    set((s) => ({ analysisBusy: { ...s.analysisBusy, [kind]: true } }));
    try {
      const result = await compute();
      if (result) set((s) => ({ analyses: { ...s.analyses, [kind]: result } }));
    } catch (e) {
      set({ error: (e as Error).message });
    } finally {
      set((s) => ({ analysisBusy: { ...s.analysisBusy, [kind]: false } }));
    }
  };
  const textsOf = async (typed: string, lang: string, articles: number) =>
    lang ? need().probeTexts(lang, articles) : lines(typed);

  return {
    openModel: (modelId, modelUrl) => need().loadModel(need().sourceForModel(modelId, modelUrl)),
    // Files from disk replace a bundle URL: the header and a shared link must not name the old one.
    openFiles: (files) => {
      set({ modelUrl: null });
      need().loadModel({ kind: 'files', files });
    },
    // Without an engine nothing runs, so there is nothing to run again or to cancel.
    run: () => engine?.runPrompt(),
    generate: (opts) => need().generate(opts),
    cancel: () => engine?.cancel(),
    align: (maxArticles) => need().runAlign(maxArticles),
    convert: (source, opts) => need().convertModel(source, opts),
    cancelConvert: () => need().cancelConvert(),
    convertedBundleZip: () => need().convertedBundleZip(),
    rankAttribution: (request) =>
      analysis('attribution', async () => {
        const m = get().manifest;
        if (!m) return undefined;
        const E = Math.max(...m.layers.map((s) => s.numExperts));
        const A = routingFrequency(
          await need().routeTexts(await textsOf(request.a, request.probeA, request.articles)),
          E,
        );
        const B = routingFrequency(
          await need().routeTexts(await textsOf(request.b, request.probeB, request.articles)),
          E,
        );
        return { request, A, B };
      }),
    computeCoupling: (request) =>
      analysis('coupling', async () => {
        const r = await need().coupling(request.layer, request.perturb, 0);
        return { request, M: r.M, R: r.R, corr: r.scoreNormCorrelation };
      }),
    runSteering: (request) =>
      analysis('steering', async () => {
        const align = get().alignment;
        if (!align) throw new Error('steering needs the alignment: run it first');
        return {
          request,
          result: await need().steer(align, request.target, request.tau, request.lambda),
        };
      }),
    runCorpus: (request) =>
      analysis('corpus', async () => {
        const { router, interventions } = get();
        const report = await need().corpus({ ...request, router, interventions });
        if (!report) return undefined;
        // the run before it: on this model, else the last one on the model before (two models compared)
        const previous = get().analyses.corpus?.report ?? get().otherModelCorpus ?? undefined;
        set((s) => ({ analyses: { ...s.analyses, ablation: undefined } })); // it was of the older texts
        return { request, report, ...(previous ? { previous } : {}) };
      }),
    runAblation: (request) =>
      analysis('ablation', async () => {
        const corpus = get().analyses.corpus;
        if (!corpus) throw new Error('ablation needs a corpus: route one first');
        const result = await need().corpusAblate({ ...corpus.request, ...request });
        return result ? { request, result } : undefined;
      }),
    cancelCorpus: () => engine?.cancelCorpus(),
  };
}
