// URL ⇄ state. Every shareable field is one row of FIELDS (key, parse, format, default); we loop
// over the table both ways. A bad or stale field is dropped with a notice naming it — never a
// blank page. Slider drags replace the history entry instead of adding one.
import { parseIntervention, parsePolicySpec } from '../routing/index';
import { SHIPPED_MODELS, DEFAULT_MODEL_ID } from '../models/registry';
import { MAP_COLOURS, parseViews, VIEW_IDS, type MapColour, type ViewId } from './views';
import { parseTrainSpec } from '../train/config';

export interface UrlState {
  prompt: string;
  model: string;
  router: string;
  interventions: string[];
  token: number;
  layer: number;
  expert: number | null;
  /** URLs of an imported trace (a trace JSON, or an engine capture with its token ids) */
  trace: string[];
  /** the open view panels, in VIEW_IDS order (default: all) */
  views: ViewId[];
  /** the routing map's colouring (null: by the expert count, see mapColours.ts) */
  colour: MapColour | null;
  /** analyses on screen, computed again when the link is opened: alignment over N probe articles */
  align: number | null;
  /** contrastive attribution sets: `probe:<lang>` or typed texts (one per line), and the article count */
  attrA: string;
  attrB: string;
  attrN: number;
  /** router–expert coupling of one layer, optionally with perturbed proxies */
  coupling: { layer: number; perturb: boolean } | null;
  /** the steering experiment (needs the alignment): target language, τ, λ */
  steer: { target: string; tau: number; lambda: number } | null;
  /** the page: the lab, or the training playground (`mode=train`) */
  mode: 'lab' | 'train';
  /** the playground's settings that differ from its defaults (src/train/config.ts) */
  train: string;
  /** the Corpus view's probe texts: articles per language (null: not ticked); opening the link routes them */
  corpus: number | null;
  /** the Corpus view's layer (null: the first MoE layer) */
  corpusLayer: number | null;
}

export const URL_DEFAULTS: UrlState = {
  prompt: '',
  model: DEFAULT_MODEL_ID,
  router: 'native',
  interventions: [],
  token: 0,
  layer: 0,
  expert: null,
  trace: [],
  views: [...VIEW_IDS],
  colour: null,
  align: null,
  attrA: '',
  attrB: '',
  attrN: 5,
  coupling: null,
  steer: null,
  mode: 'lab',
  train: '',
  corpus: null,
  corpusLayer: null,
};

interface Field<K extends keyof UrlState> {
  key: K;
  param: string;
  multi?: boolean;
  /** `warn` reports a bad part of a field whose good parts are kept (e.g. one unknown view) */
  parse(raw: string[], warn: (message: string) => void): UrlState[K];
  format(v: UrlState[K]): string[];
}

const int = (name: string, min: number) => (raw: string[]) => {
  const v = raw[0];
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
};

const FIELDS: Field<keyof UrlState>[] = [
  { key: 'prompt', param: 'q', parse: (r) => r[0], format: (v) => [v as string] },
  {
    key: 'model',
    param: 'model',
    parse: (r) => {
      const v = r[0];
      if (!SHIPPED_MODELS.some((m) => m.id === v) && !/^(https?:\/\/|\.{0,2}\/|models\/)/.test(v))
        throw new Error(
          `unknown model "${v}" (shipped: ${SHIPPED_MODELS.map((m) => m.id).join(', ')}; or give a bundle URL)`,
        );
      return v;
    },
    format: (v) => [v as string],
  },
  {
    key: 'router',
    param: 'router',
    parse: (r) => parsePolicySpec(r[0]).spec,
    format: (v) => [v as string],
  },
  {
    key: 'interventions',
    param: 'iv',
    multi: true,
    parse: (r) => r.map((s) => (parseIntervention(s), s)),
    format: (v) => v as string[],
  },
  { key: 'token', param: 't', parse: int('t', 0), format: (v) => [String(v)] },
  { key: 'layer', param: 'l', parse: int('l', 0), format: (v) => [String(v)] },
  { key: 'expert', param: 'e', parse: int('e', 0), format: (v) => (v === null ? [] : [String(v)]) },
  { key: 'trace', param: 'trace', multi: true, parse: (r) => r, format: (v) => v as string[] },
  {
    key: 'views',
    param: 'views',
    parse: (r, warn) => parseViews(r[0], warn),
    format: (v) => [(v as ViewId[]).join(',')],
  },
  {
    key: 'colour',
    param: 'colour',
    parse: (r) => {
      if (!(MAP_COLOURS as readonly string[]).includes(r[0]))
        throw new Error(`colour must be one of ${MAP_COLOURS.join(', ')}, got "${r[0]}"`);
      return r[0] as MapColour;
    },
    format: (v) => (v === null ? [] : [v as string]),
  },
  {
    key: 'align',
    param: 'align',
    parse: int('align', 1),
    format: (v) => (v === null ? [] : [String(v)]),
  },
  { key: 'attrA', param: 'attrA', parse: (r) => r[0], format: (v) => [v as string] },
  { key: 'attrB', param: 'attrB', parse: (r) => r[0], format: (v) => [v as string] },
  { key: 'attrN', param: 'attrN', parse: int('attrN', 1), format: (v) => [String(v)] },
  {
    key: 'coupling',
    param: 'coupling',
    parse: (r) => {
      const m = /^(\d+)(,perturb)?$/.exec(r[0]);
      if (!m)
        throw new Error(
          `coupling must be a layer index, optionally followed by ",perturb", got "${r[0]}"`,
        );
      return { layer: Number(m[1]), perturb: m[2] !== undefined };
    },
    format: (v) => {
      const c = v as UrlState['coupling'];
      return c ? [`${c.layer}${c.perturb ? ',perturb' : ''}`] : [];
    },
  },
  {
    key: 'steer',
    param: 'steer',
    parse: (r) => {
      const [target, tau, lambda, ...rest] = r[0].split(',');
      const num = (x: string | undefined) =>
        x !== undefined && x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : NaN;
      if (!target || rest.length || Number.isNaN(num(tau)) || Number.isNaN(num(lambda)))
        throw new Error(`steer must be "<language>,<τ>,<λ>" with finite numbers, got "${r[0]}"`);
      return { target, tau: num(tau), lambda: num(lambda) };
    },
    format: (v) => {
      const st = v as UrlState['steer'];
      return st ? [`${st.target},${st.tau},${st.lambda}`] : [];
    },
  },
  {
    key: 'mode',
    param: 'mode',
    parse: (r) => {
      if (r[0] !== 'lab' && r[0] !== 'train') throw new Error(`mode must be lab or train, got "${r[0]}"`);
      return r[0];
    },
    format: (v) => [v as string],
  },
  {
    key: 'train',
    param: 'train',
    parse: (r, warn) => (parseTrainSpec(r[0], warn), r[0]),
    format: (v) => [v as string],
  },
  {
    key: 'corpus',
    param: 'corpus',
    parse: int('corpus', 1),
    format: (v) => (v === null ? [] : [String(v)]),
  },
  {
    key: 'corpusLayer',
    param: 'corpusLayer',
    parse: int('corpusLayer', 0),
    format: (v) => (v === null ? [] : [String(v)]),
  },
] as Field<keyof UrlState>[];

export function parseUrlState(search: string): { state: UrlState; notices: string[] } {
  const params = new URLSearchParams(search);
  const state: UrlState = { ...URL_DEFAULTS, interventions: [], trace: [], views: [...VIEW_IDS] };
  const notices: string[] = [];
  for (const f of FIELDS) {
    const raw = params.getAll(f.param);
    if (raw.length === 0) continue;
    if (f.multi) {
      // Each intervention is checked on its own: one bad spec does not drop the others.
      const good: string[] = [];
      for (const r of raw) {
        try {
          f.parse([r], () => {});
          good.push(r);
        } catch (e) {
          notices.push(`ignored URL field ${f.param}="${r}": ${(e as Error).message}`);
        }
      }
      (state as unknown as Record<string, unknown>)[f.key] = good;
      continue;
    }
    try {
      (state as unknown as Record<string, unknown>)[f.key] = f.parse(raw, (m) =>
        notices.push(`ignored part of URL field ${f.param}="${raw[0]}": ${m}`),
      );
    } catch (e) {
      notices.push(`ignored URL field ${f.param}="${raw[0]}": ${(e as Error).message}`);
    }
  }
  return { state, notices };
}

export function formatUrlState(s: UrlState): string {
  const params = new URLSearchParams();
  for (const f of FIELDS) {
    const v = s[f.key];
    if (JSON.stringify(v) === JSON.stringify(URL_DEFAULTS[f.key])) continue;
    for (const x of f.format(v)) params.append(f.param, x);
  }
  const q = params.toString();
  return q ? `?${q}` : '';
}

/** Write the state into the address bar without adding a history entry per change. */
export function writeUrl(s: UrlState, mode: 'push' | 'replace' = 'replace'): void {
  const search = formatUrlState(s);
  if (search === location.search) return;
  const url = `${location.pathname}${search}${location.hash}`;
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/**
 * Worker settings from the page URL, read at each load and never written back: `?backend=wasm`
 * skips WebGPU, `?threads=N` (1–16) sets the WASM threads.
 */
export function engineOptionsFromUrl(search: string): { preferBackend?: 'wasm'; threads?: number } {
  const q = new URLSearchParams(search);
  const threads = Number(q.get('threads'));
  return {
    ...(q.get('backend') === 'wasm' ? { preferBackend: 'wasm' as const } : {}),
    ...(Number.isInteger(threads) && threads >= 1 && threads <= 16 ? { threads } : {}),
  };
}
