// `moe-lab analyze`: the per-layer metrics of DESIGN.md §3 for one or more traces. Load metrics
// pool the tokens of all traces; sequence metrics (SRP, SCH, caches) run per trace and are
// averaged weighted by each trace's number of tokens.
import type { Trace } from './trace';
import { hfAux, loadMetrics } from './load';
import { sch, srp } from './consistency';
import { cacheHitRate, prefetchHitRate, type CachePolicy } from './cache';
import { softmaxRows } from '../softmax';

export interface AnalyzeOptions {
  /** subset of: load, hfAux, srp, sch, cache */
  metrics?: string[];
  m?: number[];
  C?: number[];
}

export const ANALYZE_METRICS = ['load', 'hfAux', 'srp', 'sch', 'cache'];

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

function weighted(traces: Trace[], layer: number, f: (sel: number[][], prev: number[][] | undefined) => number): number {
  let s = 0;
  let w = 0;
  for (const tr of traces) {
    const l = tr.layers[layer];
    const T = l.selected.length;
    if (!T) continue;
    s += T * f(l.selected, tr.layers[layer - 1]?.selected);
    w += T;
  }
  return w ? r6(s / w) : 0;
}

export function analyzeTraces(traces: Trace[], opts: AnalyzeOptions = {}) {
  if (traces.length === 0) throw new Error('analyze: no traces');
  const metrics = opts.metrics ?? ANALYZE_METRICS;
  for (const m of metrics) if (!ANALYZE_METRICS.includes(m)) throw new Error(`analyze: unknown metric "${m}" (known: ${ANALYZE_METRICS.join(', ')})`);
  const ms = opts.m ?? [2, 4, 8];
  const Cs = opts.C ?? [1, 2, 4];
  const L = traces[0].layers.length;
  const E = Math.max(...traces.map((t) => t.numExperts));
  if (traces.some((t) => t.layers.length !== L)) throw new Error('analyze: traces have different numbers of layers');
  const layers = Array.from({ length: L }, (_, l) => {
    const selected = traces.flatMap((t) => t.layers[l].selected);
    const dropped: number[] = traces.flatMap((t) => t.layers[l].selected.map((s, i) => (s.length === 0 || t.layers[l].dropped?.[i] ? 1 : 0)));
    const lm = loadMetrics(selected, E);
    const out: Record<string, unknown> = { index: traces[0].layers[l].index, kind: traces[0].layers[l].kind };
    if (metrics.includes('load')) {
      Object.assign(out, { counts: lm.counts, maxOverMean: r6(lm.maxOverMean), cv: r6(lm.cv), maxVio: r6(lm.maxVio), loadEntropy: r6(lm.loadEntropy), meanActive: r6(lm.meanActive), dropped: r6(dropped.reduce((a, b) => a + b, 0) / Math.max(1, dropped.length)) });
    }
    if (metrics.includes('hfAux')) {
      const withLogits = traces.every((t) => t.layers[l].routerLogits);
      if (!withLogits) out.hfAux = null;
      else {
        const probs = traces.flatMap((t) => {
          const T = t.layers[l].selected.length;
          return Array.from(softmaxRows(Float32Array.from(t.layers[l].routerLogits!.flat()), T, E));
        });
        out.hfAux = r6(hfAux(selected, probs, E));
      }
    }
    if (metrics.includes('srp')) out.srp = Object.fromEntries(ms.map((m) => [String(m), weighted(traces, l, (s) => srp(s, m))]));
    if (metrics.includes('sch')) out.sch = Object.fromEntries(ms.map((m) => [String(m), Object.fromEntries(Cs.map((C) => [String(C), weighted(traces, l, (s) => sch(s, m, C))]))]));
    if (metrics.includes('cache')) {
      const cache: Record<string, Record<string, number>> = {};
      for (const p of ['lru', 'lfu', 'belady'] as CachePolicy[]) cache[p] = Object.fromEntries(Cs.map((C) => [String(C), weighted(traces, l, (s) => cacheHitRate(s, C, p))]));
      if (l > 0) cache.prefetch = Object.fromEntries(Cs.map((C) => [String(C), weighted(traces, l, (s, prev) => prefetchHitRate(prev ?? [], s, C))]));
      out.cache = cache;
    }
    return out;
  });
  const mean = (key: string) => {
    const xs = layers.map((x) => x[key]).filter((v): v is number => typeof v === 'number');
    return xs.length ? r6(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
  };
  return {
    traces: traces.length,
    tokens: traces.reduce((a, t) => a + t.tokens.length, 0),
    numExperts: E,
    layers,
    model: { maxOverMean: mean('maxOverMean'), cv: mean('cv'), maxVio: mean('maxVio'), loadEntropy: mean('loadEntropy'), meanActive: mean('meanActive'), dropped: mean('dropped'), hfAux: mean('hfAux') },
  };
}
