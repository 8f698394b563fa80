// Expert-cache simulation for one layer: the access sequence is each token's selected experts in
// order; a cache holds C experts' weights. Hit rate = hits / accesses.

export type CachePolicy = 'lru' | 'lfu' | 'belady';

function accesses(selected: number[][]): number[] {
  return selected.flat();
}

/** LRU: evict the least recently used. LFU: evict the least frequently used (ties: least recent). */
export function cacheHitRate(selected: number[][], C: number, policy: CachePolicy): number {
  const seq = accesses(selected);
  if (seq.length === 0 || C <= 0) return 0;
  if (policy === 'belady') return beladyHitRate(seq, C);
  const cache = new Set<number>();
  const lastUse = new Map<number, number>();
  const freq = new Map<number, number>();
  let hits = 0;
  seq.forEach((e, i) => {
    freq.set(e, (freq.get(e) ?? 0) + 1);
    if (cache.has(e)) hits++;
    else {
      if (cache.size >= C) {
        let victim = -1;
        for (const c of cache) {
          if (victim < 0) victim = c;
          else if (policy === 'lru' ? lastUse.get(c)! < lastUse.get(victim)! : freq.get(c)! < freq.get(victim)! || (freq.get(c) === freq.get(victim) && lastUse.get(c)! < lastUse.get(victim)!)) victim = c;
        }
        cache.delete(victim);
      }
      cache.add(e);
    }
    lastUse.set(e, i);
  });
  return hits / seq.length;
}

/** Belady's optimal: evict the expert whose next use is furthest in the future (never: first). */
function beladyHitRate(seq: number[], C: number): number {
  const cache = new Set<number>();
  let hits = 0;
  seq.forEach((e, i) => {
    if (cache.has(e)) {
      hits++;
      return;
    }
    if (cache.size >= C) {
      let victim = -1;
      let far = -1;
      for (const c of cache) {
        const n = seq.indexOf(c, i + 1);
        const d = n < 0 ? Infinity : n;
        if (d > far || (d === far && c < victim)) {
          far = d;
          victim = c;
        }
      }
      cache.delete(victim);
    }
    cache.add(e);
  });
  return hits / seq.length;
}

/**
 * Predictive prefetch from the previous layer: an LRU cache of C experts for layer l that, before
 * token t's access, prefetches the C experts most often seen at layer l after token t's layer l−1
 * experts (a transition table learnt online from tokens < t). Only demand accesses count.
 */
export function prefetchHitRate(prev: number[][], cur: number[][], C: number): number {
  const trans = new Map<string, number>();
  const cache: number[] = []; // most recent last
  let hits = 0;
  let total = 0;
  for (let t = 0; t < cur.length; t++) {
    const score = new Map<number, number>();
    for (const a of prev[t] ?? []) for (const [k, v] of trans) if (k.startsWith(`${a}>`)) score.set(Number(k.split('>')[1]), (score.get(Number(k.split('>')[1])) ?? 0) + v);
    const predicted = [...score.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, C).map((x) => x[0]);
    for (const e of predicted.reverse()) {
      const i = cache.indexOf(e);
      if (i >= 0) cache.splice(i, 1);
      cache.push(e);
      if (cache.length > C) cache.shift();
    }
    for (const e of cur[t]) {
      total++;
      const i = cache.indexOf(e);
      if (i >= 0) {
        hits++;
        cache.splice(i, 1);
      }
      cache.push(e);
      if (cache.length > C) cache.shift();
    }
    for (const a of prev[t] ?? []) for (const b of cur[t]) trans.set(`${a}>${b}`, (trans.get(`${a}>${b}`) ?? 0) + 1);
  }
  return total ? hits / total : 0;
}
