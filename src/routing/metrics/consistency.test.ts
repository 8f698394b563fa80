import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sch, schHitsByDepth, srp, srpDetail } from './consistency';

// Six tokens, top-1: experts 0, 0, 1, 1, 0, 2.
const SIX = [[0], [0], [1], [1], [0], [2]];

/** SRP straight from the definition: every window, every τ, no sliding tricks. */
function srpNaive(sel: number[][], m: number): number {
  const windows: Map<number, number>[] = [];
  for (let s = 0; s + m <= sel.length; s++) {
    const c = new Map<number, number>();
    for (let t = s; t < s + m; t++) for (const e of sel[t]) c.set(e, (c.get(e) ?? 0) + 1);
    windows.push(c);
  }
  let best = 0;
  for (let tau = 0; tau <= m; tau++) {
    let matches = 0;
    let preds = 0;
    let acts = 0;
    for (const w of windows)
      for (const c of w.values()) {
        acts += c;
        if (c >= Math.max(tau, 1)) {
          matches += c;
          preds += m;
        }
      }
    if (preds + acts > 0) best = Math.max(best, (2 * matches) / (preds + acts));
  }
  return best;
}

/**
 * SCH as the issue words moe-lrc's rule, one cache size at a time: a demand-fetch cache of C
 * experts; hits are judged on the cache as the token started; a miss with a full cache evicts the
 * cached expert with the lowest (uses in the m tokens from the current one, last access); a
 * never-seen expert is a hit while fewer than C distinct experts have been seen before it.
 */
function schSimulated(sel: number[][], m: number, C: number): number {
  const cache = new Set<number>();
  const seen = new Set<number>();
  const last = new Map<number, number>();
  let clock = 0;
  let hits = 0;
  let total = 0;
  sel.forEach((s, t) => {
    const atStart = new Set(cache);
    const future = new Map<number, number>();
    for (let u = t; u < Math.min(sel.length, t + m); u++)
      for (const e of sel[u]) future.set(e, (future.get(e) ?? 0) + 1);
    for (const e of s) {
      total++;
      if (seen.has(e) ? atStart.has(e) : seen.size < C) hits++;
      seen.add(e);
    }
    for (const e of s) {
      if (!cache.has(e)) {
        if (cache.size >= C) {
          const victim = [...cache].sort(
            (a, b) => (future.get(a) ?? 0) - (future.get(b) ?? 0) || last.get(a)! - last.get(b)!,
          )[0];
          cache.delete(victim);
        }
        if (C > 0) cache.add(e);
      }
      future.set(e, future.get(e)! - 1); // this token's use is spent
      last.set(e, ++clock);
    }
  });
  return total ? hits / total : 0;
}

/** The older, rank-based oracle reading this replaced (kept here to show the traces tell them apart). */
function schRankOracle(sel: number[][], m: number, C: number): number {
  const last = new Map<number, number>();
  let hits = 0;
  let total = 0;
  sel.forEach((s, t) => {
    const future = new Map<number, number>();
    for (let u = t; u < Math.min(sel.length, t + m); u++)
      for (const e of sel[u]) future.set(e, (future.get(e) ?? 0) + 1);
    const ranked = [...last.keys()].sort(
      (a, b) => (future.get(b) ?? 0) - (future.get(a) ?? 0) || last.get(b)! - last.get(a)! || a - b,
    );
    for (const e of s) {
      total++;
      const r = ranked.indexOf(e);
      if ((r < 0 ? ranked.length : r) < C) hits++;
    }
    for (const e of s) last.set(e, t);
  });
  return total ? hits / total : 0;
}

describe('SRP (moe-lrc segment routing best performance)', () => {
  it('SRP(m=2) on a hand-worked 6-token trace, with its working per τ', () => {
    // windows: {0:2} {0:1,1:1} {1:2} {1:1,0:1} {0:1,2:1} → pair counts 2,1,1,2,1,1,1,1; acts = 10
    // τ=0 (only experts that appear, c ≥ 1) = τ=1: 8 pairs, matches 10, preds 2·8 = 16 → 20/26
    // τ=2: 2 pairs, matches 4, preds 2·2 = 4 → 8/14 = 0.571429
    const d = srpDetail(SIX, 2);
    expect(d.windows).toBe(5);
    expect(d.perTau.map((x) => [x.tau, x.matches, x.preds, x.acts])).toEqual([
      [0, 10, 16, 10],
      [1, 10, 16, 10],
      [2, 4, 4, 10],
    ]);
    expect(d.perTau[2].f1).toBeCloseTo(8 / 14, 12);
    expect(d.bestTau).toBe(0);
    expect(srp(SIX, 2)).toBeCloseTo(20 / 26, 12);
  });

  it('SRP with top-2 and edge cases', () => {
    // tokens {0,1} {0,2} {0,1}, m = 2: windows {0:2,1:1,2:1} twice → counts 2,1,1,2,1,1; acts 8
    // τ=1: matches 8, preds 2·6 = 12 → 16/20 = 0.8; τ=2: matches 4, preds 4 → 8/12 → SRP = 0.8
    expect(
      srp(
        [
          [0, 1],
          [0, 2],
          [0, 1],
        ],
        2,
      ),
    ).toBeCloseTo(0.8, 12);
    // m = 1: every window is one token, predicted exactly → 1
    expect(srp(SIX, 1)).toBe(1);
    // a constant expert: every window {e:m} → τ = m: matches = preds = acts → 1
    expect(srp([[3], [3], [3], [3]], 4)).toBe(1);
    // fewer tokens than m: no window → 0
    expect(srp(SIX, 7)).toBe(0);
    expect(() => srp(SIX, 0)).toThrow('srp: m must be a positive integer, got 0');
  });

  it('the sliding-window SRP equals the definition on random traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 6 }),
        (sel, m) => {
          const s = srp(sel, m);
          return Math.abs(s - srpNaive(sel, m)) < 1e-12 && s >= 0 && s <= 1;
        },
      ),
    );
  });
});

describe('SCH (moe-lrc calc_fsf: demand-fetch cache with m-token lookahead eviction)', () => {
  it("the issue's example: 0, 1, 0 with m = 2, C = 1 gives 1/3 (the rank oracle gave 2/3)", () => {
    // t0: 0 never seen, 0 distinct seen < 1 → hit; cache {0}.
    // t1: 1 never seen, 1 distinct seen → miss; full cache evicts 0 → {1}.
    // t2: 0 not cached as t2 starts → miss.   1 hit of 3
    const sel = [[0], [1], [0]];
    expect(sch(sel, 2, 1)).toBeCloseTo(1 / 3, 12);
    expect(schRankOracle(sel, 2, 1)).toBeCloseTo(2 / 3, 12);
    expect(schHitsByDepth(sel, 2)).toEqual({ depths: [1, 2], accesses: 3 });
    expect(sch(sel, 2, 2)).toBe(1);
  });

  it('SCH(m = 2) on the six-token trace: C = 1 → 1/2 (rank oracle 4/6)', () => {
    // C = 1: t0 0 hit (filling) {0}; t1 0 hit; t2 1 new (1 seen) miss → {1}; t3 1 hit;
    //        t4 0 miss → {0}; t5 2 new miss.   3 of 6 (moe-lrc's calc_fsf: 0.5)
    expect(sch(SIX, 2, 1)).toBeCloseTo(3 / 6, 12);
    expect(schRankOracle(SIX, 2, 1)).toBeCloseTo(4 / 6, 12);
    // C = 2: t0, t1 hit, t2 1 new (1 seen < 2) hit {0,1}; t3, t4 hit; t5 2 new (2 seen) miss → 5/6
    expect(sch(SIX, 2, 2)).toBeCloseTo(5 / 6, 12);
    expect(sch(SIX, 2, 3)).toBe(1);
    expect(schHitsByDepth(SIX, 2)).toEqual({ depths: [3, 2, 1], accesses: 6 });
  });

  it('top-2: the second new expert of a token sees the first; hits judged on the cache at token start', () => {
    // tokens {0,1} {0,2} {0,1}, m = 2.
    // C = 1: t0 0 new (0 seen) hit, 1 new (1 seen) miss; cache {0} then 1 evicts 0 → {1}.
    //        t1 {0,2}: cache {1} → 0 miss, 2 miss → … {2}.  t2 {0,1}: both miss.   1 of 6
    // C = 2: t0 both hit (0, then 1 seen < 2) {0,1}. t1: 0 hit; 2 new (2 seen) miss; evict the lower
    //        of 0 (uses in t1..t2 after its t1 use: 1, last access 3) and 1 (uses 1, last access 2)
    //        → 1 goes, {0,2}. t2: 0 hit, 1 miss.   4 of 6 (rank oracle with C = 1: 4/6)
    const sel = [
      [0, 1],
      [0, 2],
      [0, 1],
    ];
    expect(sch(sel, 2, 1)).toBeCloseTo(1 / 6, 12);
    expect(schRankOracle(sel, 2, 1)).toBeCloseTo(4 / 6, 12);
    expect(sch(sel, 2, 2)).toBeCloseTo(4 / 6, 12);
    expect(sch(sel, 2, 3)).toBe(1);
    expect(sch([], 2, 1)).toBe(0);
    expect(() => sch(sel, 0, 1)).toThrow('sch: m must be a positive integer, got 0');
  });

  it('eviction looks m tokens ahead, ties broken by last access', () => {
    // 0 1 0 2 1 0, m = 3, C = 2: t0, t1 fill {0,1}; t2 0 hit; t3 2 new (2 seen) miss: uses in
    // t3..t5 are 0:1, 1:1 → tie, 1 was accessed longer ago → evict 1, {0,2}; t4 1 miss: uses in
    // t4..t5 are 0:1, 2:0 → evict 2, {0,1}; t5 0 hit.   4 of 6 (rank oracle: 5/6; LRU would
    // have evicted 0 at t4 and missed t5 too)
    const sel = [[0], [1], [0], [2], [1], [0]];
    expect(sch(sel, 3, 2)).toBeCloseTo(4 / 6, 12);
    expect(schRankOracle(sel, 3, 2)).toBeCloseTo(5 / 6, 12);
    expect(sch(sel, 3, 1)).toBeCloseTo(1 / 6, 12);
  });

  it("equals moe-lrc's calc_fsf (src/41_sch_calc.py, run in Python) on a 24-token top-2 trace", () => {
    // hits·48 for C = 1..8, from calc_fsf(seq, 8, m) × 48 accesses
    const sel = [
      [3, 4],
      [2, 7],
      [7, 5],
      [1, 4],
      [0, 6],
      [7, 2],
      [3, 1],
      [7, 4],
      [7, 3],
      [2, 1],
      [2, 6],
      [6, 5],
      [0, 5],
      [1, 7],
      [0, 2],
      [0, 6],
      [4, 3],
      [6, 5],
      [6, 3],
      [7, 1],
      [5, 0],
      [0, 1],
      [7, 1],
      [4, 5],
    ];
    const at = (m: number) => [1, 2, 3, 4, 5, 6, 7, 8].map((C) => Math.round(sch(sel, m, C) * 48));
    expect(at(2)).toEqual([6, 15, 21, 26, 32, 38, 43, 48]);
    expect(at(4)).toEqual([6, 15, 22, 29, 35, 41, 45, 48]);
  });

  it('the one-pass stack equals the per-C cache simulation on random traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        (sel, m, C) => Math.abs(sch(sel, m, C) - schSimulated(sel, m, C)) < 1e-12,
      ),
    );
  });
});
