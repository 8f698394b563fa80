// The lab's one zustand store, in slices: model/backend, the run settings (prompt, router,
// interventions), the streamed trace of the modified run and of the unmodified baseline, and the
// linked focus. Components read it and dispatch actions (actions.ts for those that need the
// engine); the engine client (engine/) writes results into it.
import { create } from 'zustand';
import { DEFAULT_MODEL_ID } from '../models/registry';
import type { Manifest } from '../models/manifest';
import type { BackendName, CounterfactualDiff, ForwardSummary, LayerEvent } from '../routing/run';
import type { AlignResult } from '../routing/run';
import type { CorpusReport } from '../routing/metrics/corpusRun';
import { normaliseViews, VIEW_IDS, type MapColour, type ViewId } from './views';
import {
  engineActions,
  type AnalysisKind,
  type Analyses,
  type AnalysisRequests,
  type EngineActions,
} from './actions';

export type { BackendName };

export interface Focus {
  token: number;
  layer: number;
  expert: number | null;
}

/** A prompt and its layer events under the model's native routing (no interventions). */
export interface PromptRun {
  text: string;
  layers: LayerEvent[];
}

export interface PassTrace {
  /** per layer index, as events stream in (sparse until the pass completes) */
  layers: LayerEvent[];
  /**
   * the layers of the last pass that arrived whole: views over all layers at once (flow) draw
   * these, so they redraw once per pass instead of mixing layers of two runs while one streams in
   */
  settled: LayerEvent[];
  summary: ForwardSummary | null;
}

/** A trace opened from a file or URL (captured elsewhere, e.g. on a serving engine): the views
 * that need only routing show it, the ones that need the model say why they are disabled. */
export interface ImportedTraceInfo {
  /** file name(s) shown in the header */
  name: string;
  /** URLs it came from (`?trace=`), empty for files picked from disk */
  urls: string[];
  /** who recorded it: vllm, sglang, megatron, transformers, or the lab's own backend */
  engine: string;
  hasLogits: boolean;
  hasGates: boolean;
  /** the trace JSON as opened (what "Export trace" gives back), or its text (a worker read it) */
  trace: Record<string, unknown> | string;
}

export interface Generation {
  text: string;
  /** generated tokens with the experts they visited, [layer][k] */
  tokens: { id: number; text: string; experts?: number[][] }[];
  running: boolean;
}

export interface LabState extends EngineActions {
  // model
  modelId: string;
  /** a model URL typed by the user (overrides modelId when set) */
  modelUrl: string | null;
  /** name of a bundle folder opened from disk (not shareable by URL) */
  localFolder: string | null;
  manifest: Manifest | null;
  backend: BackendName | null;
  backendNote: string | null;
  loading: boolean;
  /** an imported trace on screen instead of a run of the model */
  imported: ImportedTraceInfo | null;
  // run settings
  prompt: string;
  router: string;
  interventions: string[];
  // results
  modified: PassTrace;
  baseline: PassTrace;
  diff: CounterfactualDiff | null;
  running: boolean;
  generation: Generation | null;
  alignment: AlignResult | null;
  /** the last two distinct prompts run, with the model's own routing (for side-by-side alignment) */
  promptPair: { prev: PromptRun | null; cur: PromptRun | null };
  aligning: boolean;
  /** one-shot analyses of the current model (attribution, coupling, steering), with their requests */
  analyses: Analyses;
  /** the last corpus report of the model before this one: a corpus run here compares the two models */
  otherModelCorpus: CorpusReport | null;
  analysisBusy: Partial<Record<AnalysisKind, boolean>>;
  /** analyses a shared URL asked for: run once its model has loaded and run the prompt */
  pendingAnalyses: AnalysisRequests | null;
  // ui
  focus: Focus;
  pinned: boolean;
  error: string | null;
  /** the current run's (or trace's) notices: replaced by the next run */
  notices: string[];
  /** the page's own notices (ignored URL fields, …): they stay until dismissed, whatever runs */
  pageNotices: string[];
  progress: { label: string; value: number } | null;
  /** an HF checkpoint is being converted in the worker (Cancel shows) */
  converting: boolean;
  /** the open model was converted in this page: its bundle can be saved as a .zip */
  converted: boolean;
  /** the view panels shown expanded (VIEW_IDS order); the URL's `views=` field */
  openViews: ViewId[];
  /** the routing map's colouring, when the user picked one (null: the default for the expert count) */
  mapColour: MapColour | null;
  /** the Corpus view's settings (the URL's `corpus=` / `corpusLayer=`): the probe texts ticked, their articles per language, the layer shown (null: the first MoE layer) */
  corpusView: CorpusViewSettings;

  setPrompt(prompt: string): void;
  setModelId(id: string): void;
  setModelUrl(url: string | null): void;
  setRouter(spec: string): void;
  setInterventions(list: string[]): void;
  addIntervention(spec: string): void;
  removeIntervention(index: number): void;
  setError(error: string | null): void;
  notify(notice: string): void;
  dismissPageNotice(index: number): void;
  dismissNotice(index: number): void;
  hover(f: Partial<Focus>): void;
  pin(f: Partial<Focus>): void;
  unpin(): void;
  setViewOpen(id: ViewId, open: boolean): void;
  setMapColour(c: MapColour | null): void;
  setCorpusView(patch: Partial<CorpusViewSettings>): void;
}

export interface CorpusViewSettings {
  probes: boolean;
  articles: number;
  layer: number | null;
}

export const CORPUS_VIEW_DEFAULTS: CorpusViewSettings = {
  probes: false,
  articles: 10,
  layer: null,
};

export const emptyPass = (): PassTrace => ({ layers: [], settled: [], summary: null });

export const useLab = create<LabState>()((set, get) => ({
  modelId: DEFAULT_MODEL_ID,
  modelUrl: null,
  localFolder: null,
  manifest: null,
  backend: null,
  backendNote: null,
  loading: false,
  imported: null,
  prompt: '',
  router: 'native',
  interventions: [],
  modified: emptyPass(),
  baseline: emptyPass(),
  diff: null,
  running: false,
  generation: null,
  alignment: null,
  promptPair: { prev: null, cur: null },
  aligning: false,
  analyses: {},
  otherModelCorpus: null,
  analysisBusy: {},
  pendingAnalyses: null,
  focus: { token: 0, layer: 0, expert: null },
  pinned: false,
  error: null,
  notices: [],
  pageNotices: [],
  progress: null,
  converting: false,
  converted: false,
  openViews: [...VIEW_IDS],
  mapColour: null,
  corpusView: CORPUS_VIEW_DEFAULTS,

  setPrompt: (prompt) => set({ prompt }),
  setModelId: (modelId) => set({ modelId, modelUrl: null, localFolder: null }),
  setModelUrl: (modelUrl) => set({ modelUrl, localFolder: null }),
  setRouter: (router) => set({ router }),
  setInterventions: (interventions) => set({ interventions }),
  addIntervention: (spec) =>
    set({ interventions: [...get().interventions.filter((s) => s !== spec), spec] }),
  removeIntervention: (i) => set({ interventions: get().interventions.filter((_, j) => j !== i) }),
  setError: (error) => set({ error }),
  notify: (n) => set({ pageNotices: [...get().pageNotices, n] }),
  dismissPageNotice: (i) => set({ pageNotices: get().pageNotices.filter((_, j) => j !== i) }),
  dismissNotice: (i) => set({ notices: get().notices.filter((_, j) => j !== i) }),
  // Hover moves the focus unless a click pinned it.
  hover: (f) => {
    if (!get().pinned) set({ focus: { ...get().focus, ...f } });
  },
  pin: (f) => set({ focus: { ...get().focus, ...f }, pinned: true }),
  unpin: () => set({ pinned: false }),
  setMapColour: (mapColour) => set({ mapColour }),
  setCorpusView: (patch) => set({ corpusView: { ...get().corpusView, ...patch } }),
  setViewOpen: (id, open) =>
    set({
      openViews: normaliseViews(
        open ? [...get().openViews, id] : get().openViews.filter((v) => v !== id),
      ),
    }),
  ...engineActions(set, get),
}));
