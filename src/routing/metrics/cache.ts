// Expert-cache simulation for one layer. The access sequence is each token's selected experts, tokens
// in order and within a token in `selected` order (best first); a cache holds C experts' weights and
// every miss loads the expert (evicting one when full). Hit rate = hits / accesses.
// selected: [T][k_t] (tokens × chosen experts).

export type CachePolicy = 'lru' | 'lfu' | 'belady';
export const CACHE_POLICIES: CachePolicy[] = ['lru', 'lfu', 'belady'];

export interface CacheResult {
  hits: number;
  accesses: number;
  /** hits / accesses, 0 when there is no access */
  hitRate: number;
}

/**
 * Simulate one policy:
 * - lru: evict the least recently used expert.
 * - lfu: evict the expert with the fewest uses so far (uses counted over the whole history, also
 *   while it was out of the cache); ties → the least recently used.
 * - belady: the offline optimum — evict the cached expert whose next use is furthest in the future
 *   (never used again = infinitely far; ties → lower id).
 */
export function simulateCache(selected: number[][], C: number, policy: CachePolicy): CacheResult {
  const seq = selected.flat();
  const n = seq.length;
  if (!CACHE_POLICIES.includes(policy))
    throw new Error(`unknown cache policy "${policy}" (known: ${CACHE_POLICIES.join(', ')})`);
  if (n === 0 || C <= 0) return { hits: 0, accesses: n, hitRate: 0 };
  let hits = 0;
  if (policy === 'lru') {
    const cache = new Map<number, true>(); // insertion order = recency, least recent first
    for (const e of seq) {
      if (cache.delete(e)) hits++;
      else if (cache.size >= C) cache.delete(cache.keys().next().value as number);
      cache.set(e, true);
    }
  } else if (policy === 'lfu') {
    const cache = new Set<number>();
    const freq = new Map<number, number>();
    const lastUse = new Map<number, number>();
    seq.forEach((e, i) => {
      freq.set(e, (freq.get(e) ?? 0) + 1);
      if (cache.has(e)) hits++;
      else {
        if (cache.size >= C) {
          let victim = -1;
          for (const c of cache)
            if (
              victim < 0 ||
              freq.get(c)! < freq.get(victim)! ||
              (freq.get(c) === freq.get(victim) && lastUse.get(c)! < lastUse.get(victim)!)
            )
              victim = c;
          cache.delete(victim);
        }
        cache.add(e);
      }
      lastUse.set(e, i);
    });
  } else {
    // next[i] = index of the next access of seq[i] after i (Infinity if none)
    const next = new Array<number>(n);
    const seen = new Map<number, number>();
    for (let i = n - 1; i >= 0; i--) {
      next[i] = seen.get(seq[i]) ?? Infinity;
      seen.set(seq[i], i);
    }
    const cache = new Map<number, number>(); // expert → index of its next use
    seq.forEach((e, i) => {
      if (cache.has(e)) hits++;
      else if (cache.size >= C) {
        let victim = -1;
        let far = -Infinity;
        for (const [c, nu] of cache)
          if (nu > far || (nu === far && c < victim)) [victim, far] = [c, nu];
        cache.delete(victim);
      }
      cache.set(e, next[i]);
    });
  }
  return { hits, accesses: n, hitRate: hits / n };
}

/** Hit rate of one policy with C slots (see simulateCache). */
export function cacheHitRate(selected: number[][], C: number, policy: CachePolicy): number {
  return simulateCache(selected, C, policy).hitRate;
}

/** Hit rate vs cache size: {"<C>": hit rate} for each C. */
export function cacheCurve(
  selected: number[][],
  Cs: number[],
  policy: CachePolicy,
): Record<string, number> {
  return Object.fromEntries(Cs.map((C) => [String(C), cacheHitRate(selected, C, policy)]));
}

/**
 * Predictive prefetch from the previous layer's routing (the engine knows token t's routing at
 * layer l−1 before it routes layer l). An LRU cache of C experts for layer l plus a transition table
 * N[a][b] = number of earlier tokens (< t) that chose a at l−1 and b at l, learnt online. Before
 * token t's accesses: score(b) = Σ_{a ∈ prev[t]} N[a][b]; the (up to) C experts with score > 0,
 * best first (ties: lower id), are loaded as the most recent entries (the best ends most recent),
 * evicting LRU ones. Then token t's demand accesses run as in LRU. Prefetch loads are not accesses;
 * hit rate = demand hits / demand accesses. prev, cur: [T][k_t] (same tokens, layers l−1 and l).
 */
export function prefetchHitRate(prev: number[][], cur: number[][], C: number): number {
  if (C <= 0) return 0;
  const trans = new Map<number, Map<number, number>>();
  const cache = new Map<number, true>(); // least recent first
  const touch = (e: number) => {
    const hit = cache.delete(e);
    if (!hit && cache.size >= C) cache.delete(cache.keys().next().value as number);
    cache.set(e, true);
    return hit;
  };
  let hits = 0;
  let total = 0;
  for (let t = 0; t < cur.length; t++) {
    const score = new Map<number, number>();
    for (const a of prev[t] ?? [])
      for (const [b, n] of trans.get(a) ?? []) score.set(b, (score.get(b) ?? 0) + n);
    const predicted = [...score.entries()]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, C)
      .map((x) => x[0]);
    for (let i = predicted.length - 1; i >= 0; i--) touch(predicted[i]);
    for (const e of cur[t]) {
      total++;
      if (touch(e)) hits++;
    }
    for (const a of prev[t] ?? []) {
      let row = trans.get(a);
      if (!row) trans.set(a, (row = new Map()));
      for (const b of cur[t]) row.set(b, (row.get(b) ?? 0) + 1);
    }
  }
  return total ? hits / total : 0;
}
