// The trace JSON of DESIGN.md §3 (what `moe-lab trace` prints and the page exports; also the
// import format for traces captured elsewhere), with a validator whose errors name the field:
// `trace.json: layers[2].selected[5]: expert 9 out of range 0..7`.
//
// Axis names used across src/routing/metrics: T = tokens of the trace, E = experts of a layer,
// k_t = experts chosen for token t (variable: 0 for a dropped token), L = layers.
import { InputError } from '../safeJson';

/** One layer of a trace. */
export interface TraceLayer {
  /** the model's layer index (as written in the trace; defaults to the position in `layers`) */
  index: number;
  kind: 'moe' | 'dense';
  /**
   * [T][E] (tokens × experts) raw router logits, when recorded. A masked expert's −Infinity is
   * written as `null` by JSON.stringify; parseTrace turns it back into −Infinity.
   */
  routerLogits?: number[][];
  /** [T][k_t] (tokens × chosen experts) expert ids per token, best first */
  selected: number[][];
  /**
   * [T][k_t] gate weights matching `selected` position by position; absent when the capture did
   * not record them (traces imported from vLLM, SGLang or Megatron hold expert ids only)
   */
  gates?: number[][];
  /** [T] 1 when no expert processed the token (capacity overflow, null experts only), else 0 */
  dropped?: number[];
  /** true when a `skip` intervention bypassed this layer's MoE block */
  skipped?: boolean;
}

export interface TraceToken {
  id: number;
  text: string;
}

export interface TraceModel {
  id: string;
  numLayers: number;
  numExperts?: number;
  [k: string]: unknown;
}

export interface Trace {
  model: TraceModel;
  backend?: string;
  router?: string;
  interventions?: string[];
  /** [T] the tokens, in order */
  tokens: TraceToken[];
  /** [L] one entry per layer, in order */
  layers: TraceLayer[];
  /** [T−1] per-token NLL in nats: loss[t] = −log p(token t+1 | tokens ≤ t) */
  loss?: number[];
  /** next-token candidates after the last token, most likely first */
  next?: { id: number; text: string; p: number }[];
  /** E: model.numExperts when given, else the router-logit width, else max selected id + 1 */
  numExperts: number;
  [k: string]: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) =>
  Array.isArray(v)
    ? `an array of ${v.length}`
    : v === null
      ? 'null'
      : typeof v === 'string'
        ? `"${v.length > 20 ? v.slice(0, 20) + '…' : v}"`
        : typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : typeof v === 'object'
            ? 'an object'
            : typeof v;

/**
 * Validate a parsed trace JSON and return a normalised copy (layer index/kind filled in, router
 * logits' nulls back to −Infinity, dropped flags as 0/1, `numExperts` resolved). Throws an InputError
 * whose message starts with `name: <field path>: `.
 */
export function parseTrace(json: unknown, name = 'trace'): Trace {
  const fail = (path: string, msg: string): never => {
    throw new InputError(`${name}: ${path}${path ? ': ' : ''}${msg}`);
  };
  if (!isObj(json)) return fail('', 'must be a JSON object');
  const model = json.model;
  if (!isObj(model))
    return fail('model', `must be an object {id, numLayers, …}, got ${describe(model)}`);
  if (typeof model.id !== 'string') fail('model.id', `must be a string, got ${describe(model.id)}`);
  if (
    model.numLayers !== undefined &&
    !(Number.isInteger(model.numLayers) && (model.numLayers as number) >= 0)
  )
    fail('model.numLayers', `must be a non-negative integer, got ${describe(model.numLayers)}`);
  if (
    model.numExperts !== undefined &&
    !(Number.isInteger(model.numExperts) && (model.numExperts as number) >= 1)
  )
    fail('model.numExperts', `must be a positive integer, got ${describe(model.numExperts)}`);
  for (const k of ['backend', 'router'] as const)
    if (json[k] !== undefined && typeof json[k] !== 'string')
      fail(k, `must be a string, got ${describe(json[k])}`);
  if (
    json.interventions !== undefined &&
    !(Array.isArray(json.interventions) && json.interventions.every((s) => typeof s === 'string'))
  )
    fail('interventions', 'must be an array of spec strings');

  if (!Array.isArray(json.tokens))
    return fail('tokens', `must be an array of {id, text}, got ${describe(json.tokens)}`);
  const tokens: TraceToken[] = json.tokens.map((tok, t) => {
    if (!isObj(tok) || !Number.isInteger(tok.id) || typeof tok.text !== 'string')
      return fail(`tokens[${t}]`, `must be {id: integer, text: string}, got ${describe(tok)}`);
    return { id: tok.id as number, text: tok.text };
  });
  const T = tokens.length;

  if (!Array.isArray(json.layers) || json.layers.length === 0)
    return fail('layers', `must be a non-empty array, got ${describe(json.layers)}`);
  let maxId = -1;
  let width = -1;
  let widthAt = '';
  const layers: TraceLayer[] = json.layers.map((l, i): TraceLayer => {
    const at = `layers[${i}]`;
    if (!isObj(l)) return fail(at, `must be an object, got ${describe(l)}`);
    if (l.index !== undefined && !(Number.isInteger(l.index) && (l.index as number) >= 0))
      fail(`${at}.index`, `must be a non-negative integer, got ${describe(l.index)}`);
    if (l.kind !== undefined && l.kind !== 'moe' && l.kind !== 'dense')
      fail(`${at}.kind`, `must be "moe" or "dense", got ${describe(l.kind)}`);
    if (!Array.isArray(l.selected) || l.selected.length !== T)
      return fail(
        `${at}.selected`,
        `must list ${T} tokens, got ${Array.isArray(l.selected) ? l.selected.length : describe(l.selected)}`,
      );
    if (l.gates !== undefined && (!Array.isArray(l.gates) || l.gates.length !== T))
      return fail(
        `${at}.gates`,
        `must list ${T} tokens, got ${Array.isArray(l.gates) ? l.gates.length : describe(l.gates)}`,
      );
    const selected = l.selected.map((s, t): number[] => {
      if (!Array.isArray(s))
        return fail(`${at}.selected[${t}]`, `must be an array of expert ids, got ${describe(s)}`);
      s.forEach((e, j) => {
        if (!Number.isInteger(e) || (e as number) < 0)
          fail(
            `${at}.selected[${t}][${j}]`,
            `must be a non-negative integer expert id, got ${describe(e)}`,
          );
        if (s.indexOf(e) !== j) fail(`${at}.selected[${t}]`, `expert ${e} listed twice`);
        maxId = Math.max(maxId, e as number);
      });
      return s.slice() as number[];
    });
    const gates = (l.gates as unknown[] | undefined)?.map((g, t): number[] => {
      if (!Array.isArray(g) || g.length !== selected[t].length)
        return fail(
          `${at}.gates[${t}]`,
          `must hold ${selected[t].length} weights (one per selected expert), got ${describe(g)}`,
        );
      g.forEach(
        (x, j) =>
          !Number.isFinite(x) &&
          fail(`${at}.gates[${t}][${j}]`, `must be a finite number, got ${describe(x)}`),
      );
      return g.slice() as number[];
    });
    const out: TraceLayer = {
      index: (l.index as number | undefined) ?? i,
      kind: l.kind === 'dense' ? 'dense' : 'moe',
      selected,
      ...(gates ? { gates } : {}),
    };
    if (l.routerLogits !== undefined) {
      if (!Array.isArray(l.routerLogits) || l.routerLogits.length !== T)
        fail(
          `${at}.routerLogits`,
          `must be [T][E] with T = ${T}, got ${Array.isArray(l.routerLogits) ? `${l.routerLogits.length} rows` : describe(l.routerLogits)}`,
        );
      let layerWidth = -1;
      out.routerLogits = (l.routerLogits as unknown[]).map((row, t): number[] => {
        if (!Array.isArray(row))
          return fail(
            `${at}.routerLogits[${t}]`,
            `must be an array of E logits, got ${describe(row)}`,
          );
        if (layerWidth < 0) layerWidth = row.length;
        else if (row.length !== layerWidth)
          fail(
            `${at}.routerLogits[${t}]`,
            `has ${row.length} logits but ${at}.routerLogits[0] has ${layerWidth}`,
          );
        if (row.length > width) {
          width = row.length;
          widthAt = `${at}.routerLogits[${t}]`;
        }
        return row.map((z, e) => {
          if (z === null) return -Infinity; // JSON's spelling of a masked (−∞) logit
          // JSON.parse reads 1e999 as Infinity: a logit must be finite (or null for −∞).
          if (!Number.isFinite(z))
            return fail(
              `${at}.routerLogits[${t}][${e}]`,
              `must be a finite number or null (masked), got ${describe(z)}`,
            );
          return z;
        });
      });
    }
    if (l.dropped !== undefined) {
      if (!Array.isArray(l.dropped) || l.dropped.length !== T)
        fail(`${at}.dropped`, `must list ${T} flags, got ${describe(l.dropped)}`);
      out.dropped = (l.dropped as unknown[]).map((d, t) => {
        if (d !== 0 && d !== 1 && d !== true && d !== false)
          fail(`${at}.dropped[${t}]`, `must be 0 or 1, got ${describe(d)}`);
        return d === 1 || d === true ? 1 : 0;
      });
    }
    if (l.skipped === true) out.skipped = true;
    return out;
  });

  if (json.loss !== undefined) {
    if (!Array.isArray(json.loss) || json.loss.length !== Math.max(0, T - 1))
      fail(
        'loss',
        `must list T − 1 = ${Math.max(0, T - 1)} per-token losses, got ${describe(json.loss)}`,
      );
    (json.loss as unknown[]).forEach(
      (x, t) =>
        !Number.isFinite(x) && fail(`loss[${t}]`, `must be a finite number, got ${describe(x)}`),
    );
  }
  if (json.next !== undefined && !Array.isArray(json.next))
    fail('next', `must be an array of {id, text, p}, got ${describe(json.next)}`);
  (json.next as unknown[] | undefined)?.forEach((n, i) => {
    if (!isObj(n) || !Number.isInteger(n.id) || typeof n.text !== 'string' || !Number.isFinite(n.p))
      fail(
        `next[${i}]`,
        `must be {id: integer, text: string, p: finite number}, got ${describe(n)}`,
      );
  });

  const declared = model.numExperts as number | undefined;
  const E = declared ?? (width >= 0 ? width : maxId + 1);
  if (E < 1)
    fail('model.numExperts', 'missing, and no router logits or selections to infer it from');
  if (declared !== undefined && width > declared)
    fail(widthAt, `has ${width} logits but model.numExperts is ${declared}`);
  layers.forEach((l, i) =>
    l.selected.forEach((s, t) => {
      for (const e of s)
        if (e >= E) fail(`layers[${i}].selected[${t}]`, `expert ${e} out of range 0..${E - 1}`);
    }),
  );
  // Declared counts must match what the trace holds (a cut-off file would otherwise pass).
  if (model.numLayers !== undefined && model.numLayers !== layers.length)
    fail('layers', `holds ${layers.length} layers but model.numLayers is ${model.numLayers}`);
  const seen = new Set<number>();
  layers.forEach((l, i) => {
    if (model.numLayers !== undefined && l.index >= (model.numLayers as number))
      fail(
        `layers[${i}].index`,
        `${l.index} is outside the model's layers 0..${(model.numLayers as number) - 1}`,
      );
    if (seen.has(l.index)) fail(`layers[${i}].index`, `layer ${l.index} is listed twice`);
    seen.add(l.index);
  });
  if (
    model.topK !== undefined &&
    !(Number.isInteger(model.topK) && (model.topK as number) >= 0 && (model.topK as number) <= E)
  )
    fail(
      'model.topK',
      `must be an integer in 0..${E} (the number of experts), got ${describe(model.topK)}`,
    );
  return {
    ...json,
    model: {
      ...model,
      id: model.id as string,
      numLayers: (model.numLayers as number | undefined) ?? layers.length,
    },
    tokens,
    layers,
    numExperts: E,
  } as Trace;
}
