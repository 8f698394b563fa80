// Everything the cache-and-parallelism view shows for one layer, in one call: the page computes it
// off the main thread (state/offThread.ts), where a 2048-token layer of top-8 costs ~200 ms.
import { loadMetrics } from './load';
import { cacheHitRate, prefetchHitRate } from './cache';
import { sch, srp } from './consistency';
import { contiguousPlacement, deviceLoads, llep } from './parallel';

export const CACHE_SIZES = [1, 2, 4];
export const SRP_WINDOWS = [2, 4, 8];

export interface CacheStatsInput {
  /** the layer's selections [T][k] */
  selected: number[][];
  E: number;
  /** the previous routed layer's selections (prefetch predicts from them), if any */
  previous: number[][] | null;
  devices: number;
}

export function cacheStats({ selected: sel, E, previous, devices }: CacheStatsInput) {
  const counts = loadMetrics(sel, E).counts;
  const N = Math.max(1, Math.min(devices, E));
  const placement = contiguousPlacement(E, N);
  return {
    srp: SRP_WINDOWS.map((m) => srp(sel, m)),
    sch: CACHE_SIZES.map((C) => sch(sel, 4, C)),
    lru: CACHE_SIZES.map((C) => cacheHitRate(sel, C, 'lru')),
    lfu: CACHE_SIZES.map((C) => cacheHitRate(sel, C, 'lfu')),
    belady: CACHE_SIZES.map((C) => cacheHitRate(sel, C, 'belady')),
    prefetch: previous ? CACHE_SIZES.map((C) => prefetchHitRate(previous, sel, C)) : null,
    ep: deviceLoads(counts, placement, N),
    llep: llep(counts, placement, N),
  };
}

export type CacheStats = ReturnType<typeof cacheStats>;
