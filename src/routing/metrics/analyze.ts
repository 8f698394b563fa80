// `moe-lab analyze`: the per-layer metrics of DESIGN.md §3/§6 for one or more traces of the same
// model. Load metrics (counts, max/mean, CV, MaxVio, load entropy, mean active, dropped, HF aux)
// pool the tokens of all traces. Sequence metrics (SRP, SCH, caches) run on each trace separately —
// windows and caches never straddle two texts — and are averaged weighted by each trace's number
// of tokens. Values are exact (no rounding): JSON.stringify writes doubles that read back equal.
import type { Trace } from './trace';
import { hfAux, loadMetrics } from './load';
import { sch, srp } from './consistency';
import { cacheHitRate, prefetchHitRate, CACHE_POLICIES, type CachePolicy } from './cache';
import { softmax, tokenRouting } from './routing';

/** the metrics `analyze` computes by default */
export const ANALYZE_METRICS = ['load', 'hfAux', 'srp', 'sch', 'cache'];
/** metrics computed only when asked for: per-token routing entropy/confidence; prefetch cache */
export const ANALYZE_EXTRA_METRICS = ['entropy', 'prefetch'];

export interface AnalyzeOptions {
  /** subset of ANALYZE_METRICS ∪ ANALYZE_EXTRA_METRICS; default ANALYZE_METRICS */
  metrics?: string[];
  /** window lengths for SRP and SCH, default [2, 4, 8] */
  m?: number[];
  /** cache sizes for SCH and the cache policies, default [1, 2, 4] */
  C?: number[];
  /** a name per trace (e.g. its file) for error messages */
  names?: string[];
}

export interface LayerAnalysis {
  /** the trace's layer index */
  index: number;
  /** set on dense layers only (no router): they carry no routing metric, just index and kind */
  kind?: 'dense';
  /** [E] selections per expert over all tokens of all traces (load) */
  counts?: number[];
  maxOverMean?: number;
  cv?: number;
  maxVio?: number;
  /** H(counts/total) / log E */
  loadEntropy?: number;
  /** selections per token */
  meanActive?: number;
  /** fraction of tokens with no expert */
  dropped?: number;
  /** E·Σ f_e·P_e; null when some trace has no router logits for this layer */
  hfAux?: number | null;
  /** {"<m>": SRP F1}; null when no trace has ≥ m tokens */
  srp?: Record<string, number | null>;
  /** {"<m>": {"<C>": hit rate}} */
  sch?: Record<string, Record<string, number | null>>;
  /** {lru|lfu|belady[|prefetch]: {"<C>": hit rate}}; prefetch only with metric "prefetch" and when an earlier MoE layer exists (it predicts from the nearest one) */
  cache?: Partial<Record<CachePolicy | 'prefetch', Record<string, number | null>>>;
  /** per-token routing entropy (nats, and / log E), confidence and top-1 margin, means over all tokens; null without logits */
  entropy?: {
    meanEntropy: number;
    meanNormalisedEntropy: number;
    meanConfidence: number;
    meanMargin: number;
  } | null;
}

export interface ModelAnalysis {
  traces: number;
  tokens: number;
  numExperts: number;
  numLayers: number;
  /** number of layers of kind "moe": the means below run over these */
  moeLayers: number;
  maxOverMean?: number | null;
  cv?: number | null;
  maxVio?: number | null;
  loadEntropy?: number | null;
  meanActive?: number | null;
  dropped?: number | null;
  hfAux?: number | null;
  srp?: Record<string, number | null>;
  sch?: Record<string, Record<string, number | null>>;
  cache?: Partial<Record<CachePolicy | 'prefetch', Record<string, number | null>>>;
}

export interface Analysis {
  layers: LayerAnalysis[];
  /** model-wide: the unweighted mean over MoE layers of each per-layer number (layers where it is null skipped; null if none) */
  model: ModelAnalysis;
  /** what could not be computed and why (e.g. imported traces without router logits) */
  notes?: string[];
}

function checkSizes(xs: number[], what: string): number[] {
  for (const x of xs)
    if (!(Number.isInteger(x) && x >= 1))
      throw new Error(`analyze: ${what} values must be positive integers, got ${x}`);
  return xs;
}

/**
 * Token-weighted mean over traces of f(layer of trace). Traces for which f is undefined (returns
 * null) are left out; null when every trace is.
 */
function weighted(traces: Trace[], f: (tr: Trace) => number | null): number | null {
  let s = 0;
  let w = 0;
  for (const tr of traces) {
    const T = tr.tokens.length;
    if (!T) continue;
    const v = f(tr);
    if (v === null) continue;
    s += T * v;
    w += T;
  }
  return w ? s / w : null;
}

const accesses = (sel: number[][]) => sel.reduce((a, s) => a + s.length, 0);

export function analyzeTraces(traces: Trace[], opts: AnalyzeOptions = {}): Analysis {
  if (traces.length === 0) throw new Error('analyze: no traces');
  const known = [...ANALYZE_METRICS, ...ANALYZE_EXTRA_METRICS];
  const metrics = opts.metrics ?? ANALYZE_METRICS;
  for (const m of metrics)
    if (!known.includes(m))
      throw new Error(`analyze: unknown metric "${m}" (known: ${known.join(', ')})`);
  const want = (m: string) => metrics.includes(m);
  const ms = checkSizes(opts.m ?? [2, 4, 8], 'm');
  const Cs = checkSizes(opts.C ?? [1, 2, 4], 'C');
  const name = (i: number) => opts.names?.[i] ?? `trace ${i}`;
  const L = traces[0].layers.length;
  const E = traces[0].numExperts;
  traces.forEach((t, i) => {
    if (t.layers.length !== L)
      throw new Error(`analyze: ${name(i)} has ${t.layers.length} layers but ${name(0)} has ${L}`);
    if (t.numExperts !== E)
      throw new Error(`analyze: ${name(i)} has ${t.numExperts} experts but ${name(0)} has ${E}`);
    t.layers.forEach((x, l) => {
      if (x.kind !== traces[0].layers[l].kind)
        throw new Error(
          `analyze: layer ${l} is ${x.kind} in ${name(i)} but ${traces[0].layers[l].kind} in ${name(0)}`,
        );
    });
  });
  const isMoe = (l: number) => traces[0].layers[l].kind === 'moe';
  /** the nearest MoE layer before l (prefetch predicts from the last routed layer), or −1 */
  const prevMoe = (l: number) => {
    for (let p = l - 1; p >= 0; p--) if (isMoe(p)) return p;
    return -1;
  };

  const layers = Array.from({ length: L }, (_, l): LayerAnalysis => {
    const out: LayerAnalysis = { index: traces[0].layers[l].index };
    // Dense layers route nothing: no counts, no "dropped" tokens, no consistency or caches.
    if (!isMoe(l)) return { ...out, kind: 'dense' };
    const selected = traces.flatMap((t) => t.layers[l].selected);
    if (want('load')) {
      const lm = loadMetrics(selected, E);
      const dropped = traces.flatMap((t) =>
        t.layers[l].selected.map((s, i): number =>
          s.length === 0 || t.layers[l].dropped?.[i] ? 1 : 0,
        ),
      );
      Object.assign(out, {
        counts: lm.counts,
        maxOverMean: lm.maxOverMean,
        cv: lm.cv,
        maxVio: lm.maxVio,
        loadEntropy: lm.loadEntropy,
        meanActive: lm.meanActive,
        dropped: dropped.length ? dropped.reduce((a, b) => a + b, 0) / dropped.length : 0,
      });
    }
    const hasLogits = traces.every((t) => t.layers[l].routerLogits);
    if (want('hfAux')) {
      if (!hasLogits) out.hfAux = null;
      else {
        const probs = new Float64Array(selected.length * E); // [T × E] over all traces' tokens
        let t = 0;
        for (const tr of traces)
          for (const z of tr.layers[l].routerLogits!) probs.set(softmax(z), E * t++);
        out.hfAux = hfAux(selected, probs, E);
      }
    }
    if (want('entropy')) {
      if (!hasLogits) out.entropy = null;
      else {
        const r = tokenRouting(traces.flatMap((t) => t.layers[l].routerLogits!));
        const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
        out.entropy = {
          meanEntropy: mean(r.entropy),
          meanNormalisedEntropy: mean(r.normalisedEntropy),
          meanConfidence: mean(r.confidence),
          meanMargin: mean(r.margin),
        };
      }
    }
    const sel = (t: Trace) => t.layers[l].selected;
    if (want('srp'))
      out.srp = Object.fromEntries(
        ms.map((m) => [
          String(m),
          weighted(traces, (t) => (t.tokens.length >= m ? srp(sel(t), m) : null)),
        ]),
      );
    if (want('sch'))
      out.sch = Object.fromEntries(
        ms.map((m) => [
          String(m),
          Object.fromEntries(
            Cs.map((C) => [
              String(C),
              weighted(traces, (t) => (accesses(sel(t)) ? sch(sel(t), m, C) : null)),
            ]),
          ),
        ]),
      );
    const p = prevMoe(l);
    if (want('cache') || (want('prefetch') && p >= 0)) {
      const cache: LayerAnalysis['cache'] = {};
      if (want('cache'))
        for (const p of CACHE_POLICIES)
          cache[p] = Object.fromEntries(
            Cs.map((C) => [
              String(C),
              weighted(traces, (t) => (accesses(sel(t)) ? cacheHitRate(sel(t), C, p) : null)),
            ]),
          );
      if (want('prefetch') && p >= 0)
        cache.prefetch = Object.fromEntries(
          Cs.map((C) => [
            String(C),
            weighted(traces, (t) =>
              accesses(sel(t)) ? prefetchHitRate(t.layers[p].selected, sel(t), C) : null,
            ),
          ]),
        );
      out.cache = cache;
    }
    return out;
  });

  const moe = layers.filter((_, l) => isMoe(l));
  const mean = (xs: (number | null | undefined)[]): number | null => {
    const ys = xs.filter((v): v is number => typeof v === 'number');
    return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : null;
  };
  const model: ModelAnalysis = {
    traces: traces.length,
    tokens: traces.reduce((a, t) => a + t.tokens.length, 0),
    numExperts: E,
    numLayers: L,
    moeLayers: moe.length,
  };
  if (want('load'))
    for (const k of [
      'maxOverMean',
      'cv',
      'maxVio',
      'loadEntropy',
      'meanActive',
      'dropped',
    ] as const)
      model[k] = mean(moe.map((x) => x[k]));
  if (want('hfAux')) model.hfAux = mean(moe.map((x) => x.hfAux));
  if (want('srp'))
    model.srp = Object.fromEntries(
      ms.map((m) => [String(m), mean(moe.map((x) => x.srp![String(m)]))]),
    );
  if (want('sch'))
    model.sch = Object.fromEntries(
      ms.map((m) => [
        String(m),
        Object.fromEntries(
          Cs.map((C) => [String(C), mean(moe.map((x) => x.sch![String(m)][String(C)]))]),
        ),
      ]),
    );
  if (want('cache') || want('prefetch')) {
    const policies = [
      ...(want('cache') ? CACHE_POLICIES : []),
      ...(want('prefetch') ? (['prefetch'] as const) : []),
    ];
    model.cache = Object.fromEntries(
      policies.map((p) => [
        p,
        Object.fromEntries(
          Cs.map((C) => [String(C), mean(moe.map((x) => x.cache?.[p]?.[String(C)]))]),
        ),
      ]),
    );
  }
  // Engine traces (vLLM, SGLang, Megatron) may hold expert ids only: say what was skipped.
  const noLogits = traces[0].layers
    .filter((l, i) => l.kind === 'moe' && !traces.every((t) => t.layers[i].routerLogits))
    .map((l) => l.index);
  const skipped = (['hfAux', 'entropy'] as const).filter((m) => want(m));
  const notes =
    noLogits.length && skipped.length
      ? [
          `${skipped.join(' and ')} skipped (null) for layer${noLogits.length > 1 ? 's' : ''} ${noLogits.join(', ')}: ${
            traces.length > 1 ? 'some trace has' : 'the trace has'
          } no router logits there (captures that record expert ids only)`,
        ]
      : [];
  const dense = layers.filter((x) => x.kind === 'dense').map((x) => x.index);
  if (dense.length)
    notes.push(
      `layer${dense.length > 1 ? 's' : ''} ${dense.join(', ')} ${dense.length > 1 ? 'are' : 'is'} dense (no router): routing metrics left out there and model-wide means run over the ${moe.length} MoE layers`,
    );
  return notes.length ? { layers, model, notes } : { layers, model };
}
