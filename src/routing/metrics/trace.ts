// The trace JSON of DESIGN.md §3 (what `moe-lab trace` prints and the page exports; also the
// import format for traces captured elsewhere), with a validator whose errors name the field.

export interface TraceLayer {
  index: number;
  kind: 'moe' | 'dense';
  /** [T][E] raw router logits, when recorded */
  routerLogits?: number[][];
  /** [T][k_t] selected expert ids, best first */
  selected: number[][];
  /** [T][k_t] gates matching `selected` */
  gates: number[][];
  /** [T] 1 when no expert processed the token */
  dropped?: number[];
}

export interface Trace {
  model: { id: string; numLayers: number; numExperts?: number; [k: string]: unknown };
  backend?: string;
  router?: string;
  interventions?: string[];
  tokens: { id: number; text: string }[];
  layers: TraceLayer[];
  loss?: number[];
  next?: { id: number; text: string; p: number }[];
  /** number of experts (from model.numExperts, else router-logit width, else max id + 1) */
  numExperts: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseTrace(json: unknown, name = 'trace'): Trace {
  const fail = (path: string, msg: string): never => {
    throw new Error(`${name}: ${path}${path ? ': ' : ''}${msg}`);
  };
  if (!isObj(json)) return fail('', 'must be a JSON object');
  if (!isObj(json.model) || typeof json.model.id !== 'string') fail('model', 'must be an object with an "id"');
  if (!Array.isArray(json.tokens)) fail('tokens', 'must be an array of {id, text}');
  if (!Array.isArray(json.layers) || json.layers.length === 0) fail('layers', 'must be a non-empty array');
  const tokens = json.tokens as Trace['tokens'];
  const T = tokens.length;
  const layers = json.layers as unknown[];
  let maxId = -1;
  let width = 0;
  layers.forEach((l, i) => {
    if (!isObj(l)) return fail(`layers[${i}]`, 'must be an object');
    if (!Array.isArray(l.selected) || l.selected.length !== T) fail(`layers[${i}].selected`, `must list ${T} tokens, got ${Array.isArray(l.selected) ? l.selected.length : typeof l.selected}`);
    if (!Array.isArray(l.gates) || l.gates.length !== T) fail(`layers[${i}].gates`, `must list ${T} tokens`);
    (l.selected as unknown[]).forEach((s, t) => {
      if (!Array.isArray(s) || s.some((e) => !Number.isInteger(e) || e < 0)) fail(`layers[${i}].selected[${t}]`, 'must be a list of expert ids');
      if (!Array.isArray((l.gates as unknown[])[t]) || ((l.gates as unknown[][])[t]).length !== (s as unknown[]).length) fail(`layers[${i}].gates[${t}]`, 'must match selected in length');
      for (const e of s as number[]) maxId = Math.max(maxId, e);
    });
    if (l.routerLogits !== undefined) {
      if (!Array.isArray(l.routerLogits) || l.routerLogits.length !== T) fail(`layers[${i}].routerLogits`, `must be [T][E] with T = ${T}`);
      width = Math.max(width, ((l.routerLogits as unknown[][])[0] ?? []).length);
    }
  });
  const declared = (json.model as Obj).numExperts;
  const E = typeof declared === 'number' ? declared : width || maxId + 1;
  layers.forEach((l, i) =>
    (l as TraceLayer).selected.forEach((s, t) => {
      for (const e of s) if (e >= E) fail(`layers[${i}].selected[${t}]`, `expert ${e} out of range 0..${E - 1}`);
    }),
  );
  const out = json as unknown as Trace;
  return {
    ...out,
    layers: (json.layers as TraceLayer[]).map((l, i) => ({ ...l, index: typeof l.index === 'number' ? l.index : i, kind: l.kind === 'dense' ? 'dense' : 'moe' })),
    model: { ...out.model, numLayers: typeof out.model.numLayers === 'number' ? out.model.numLayers : layers.length },
    numExperts: E,
  };
}
