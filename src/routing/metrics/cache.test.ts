import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cacheCurve, cacheHitRate, prefetchHitRate, simulateCache } from './cache';

const selections = fc.array(
  fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 0, maxLength: 3 }),
  { maxLength: 80 },
);

describe('expert caches', () => {
  it('Belady, LRU and LFU on a hand-worked sequence with C = 2', () => {
    const seq = [[1], [2], [3], [1], [2], [4], [1]];
    // Belady: 1 miss, 2 miss, 3 miss (cache {1 next@3, 2 next@4}: evict 2), 1 hit,
    //         2 miss (cache {1 next@6, 3 never}: evict 3), 4 miss ({1 next@6, 2 never}: evict 2), 1 hit → 2/7
    expect(simulateCache(seq, 2, 'belady')).toEqual({ hits: 2, accesses: 7, hitRate: 2 / 7 });
    // LRU thrashes: 3 evicts 1, 1 evicts 2, 2 evicts 3, 4 evicts 1, 1 evicts 2 → every access misses
    expect(cacheHitRate(seq, 2, 'lru')).toBe(0);
    // LFU: 3 evicts 1 (all used once: least recent), 1 evicts 2 (tie: least recent),
    //      2 evicts 3 (1 use vs 1's 2), 4 evicts 1 (tie 2–2: least recent), 1 evicts … → 0
    expect(cacheHitRate(seq, 2, 'lfu')).toBe(0);
    // LRU C = 3: 1, 2, 3 miss; 1, 2 hit; 4 evicts 3 (least recent); 1 hits → 3/7
    expect(cacheHitRate(seq, 3, 'lru')).toBeCloseTo(3 / 7, 12);
    expect(cacheCurve(seq, [1, 3, 4], 'lru')).toEqual({ '1': 0, '3': 3 / 7, '4': 3 / 7 });
  });

  it('LFU keeps the frequent expert where LRU evicts it', () => {
    const seq = [[1], [1], [2], [3], [1], [2]];
    // LRU C = 2: 1 miss, 1 hit, 2 miss, 3 evicts 1, 1 evicts 2, 2 evicts 3 → 1/6
    expect(cacheHitRate(seq, 2, 'lru')).toBeCloseTo(1 / 6, 12);
    // LFU: 3 evicts 2 (1 use) not 1 (2 uses); 1 hits; 2 evicts 3 (1 use) → 2/6
    expect(cacheHitRate(seq, 2, 'lfu')).toBeCloseTo(2 / 6, 12);
    // Belady: 3 evicts 2 (next @5) over 1 (next @4); 1 hits; 2 misses → 2/6
    expect(cacheHitRate(seq, 2, 'belady')).toBeCloseTo(2 / 6, 12);
  });

  it('top-k tokens are accessed in selection order; no access → 0', () => {
    // C = 1: {0,1} → 0 miss, 1 miss (evicts 0); {1} → hit → 1/3
    expect(cacheHitRate([[0, 1], [1]], 1, 'lru')).toBeCloseTo(1 / 3, 12);
    expect(cacheHitRate([[], []], 2, 'belady')).toBe(0);
    expect(cacheHitRate([[0]], 0, 'lru')).toBe(0);
  });

  it('Belady is never below LRU or LFU (property)', () => {
    fc.assert(
      fc.property(selections, fc.integer({ min: 1, max: 6 }), (sel, C) => {
        const b = cacheHitRate(sel, C, 'belady');
        return b + 1e-12 >= cacheHitRate(sel, C, 'lru') && b + 1e-12 >= cacheHitRate(sel, C, 'lfu');
      }),
    );
  });

  it('LRU and Belady hit rates never fall as the cache grows (stack algorithms, property)', () => {
    fc.assert(
      fc.property(selections, fc.integer({ min: 1, max: 6 }), (sel, C) =>
        (['lru', 'belady'] as const).every(
          (p) => cacheHitRate(sel, C + 1, p) + 1e-12 >= cacheHitRate(sel, C, p),
        ),
      ),
    );
  });

  it('prefetch from the previous layer learns a deterministic transition', () => {
    // layer l−1 expert a always leads to expert a+4 at layer l. C = 1:
    // t0: empty table, 4 misses; t1: no entry for 1 yet, 5 misses (evicts 4);
    // t2: prev 0 → predicts 4, prefetched → hit; likewise t3..t5 → 4/6
    const prev = [[0], [1], [0], [1], [0], [1]];
    const cur = prev.map(([a]) => [a + 4]);
    expect(prefetchHitRate(prev, cur, 1)).toBeCloseTo(4 / 6, 12);
    // plain LRU with one slot alternating 4, 5 never hits
    expect(cacheHitRate(cur, 1, 'lru')).toBe(0);
  });
});
