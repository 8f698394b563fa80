import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sch, srp, srpDetail } from './consistency';

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

/** SCH straight from the definition: sort the seen experts before every token. */
function schNaive(sel: number[][], m: number, C: number): number {
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

describe('SCH (moe-lrc segment cache best hit rate)', () => {
  it('SCH(m=2, C=1) on the same trace', () => {
    // t0: 0 first-ever, rank = 0 distinct seen before → 0 < 1 hit.
    // t1: future (t1..t2) {0:1,1:1}; seen [0] → 0 at rank 0 hit.
    // t2: 1 first-ever, rank = 1 distinct seen (0) → miss.
    // t3: future (t3..t4) {1:1, 0:1} tie → last use desc: 1 (t2) before 0 (t1) → [1, 0]; 1 hit.
    // t4: future (t4..t5) {0:1, 2:1} → [0, 1]; 0 hit.
    // t5: 2 first-ever, rank = 2 → miss.   hits 4 of 6 accesses
    expect(sch(SIX, 2, 1)).toBeCloseTo(4 / 6, 12);
    // C = 2: t2's first access at rank 1 < 2 hits; t5 at rank 2 still misses → 5/6
    expect(sch(SIX, 2, 2)).toBeCloseTo(5 / 6, 12);
    // C ≥ number of distinct experts: every access hits
    expect(sch(SIX, 2, 3)).toBe(1);
  });

  it('counts all Σ k_t accesses for top-2, first-ever experts of one token share a rank', () => {
    // t0: {0,1} both first-ever at rank 0 → both hit with C = 1.
    // t1: {0,2}: future (t1..t2) {0:2, 2:1, 1:1}; seen [0, 1] ranked by future: 0 (2) then 1 (1);
    //     0 rank 0 hit; 2 first-ever at rank 2 → miss.
    // t2: {0,1}: future {0:1, 1:1}; seen 0,1,2: 0 and 1 tie on 1 use → last use: 0 (t1) before 1 (t0),
    //     then 2 (0 uses) → [0, 1, 2]: 0 hit, 1 at rank 1 → miss.
    // hits: 2 (t0) + 1 (t1) + 1 (t2) = 4 of 6 accesses
    expect(
      sch(
        [
          [0, 1],
          [0, 2],
          [0, 1],
        ],
        2,
        1,
      ),
    ).toBeCloseTo(4 / 6, 12);
    expect(sch([], 2, 1)).toBe(0);
  });

  it('the incremental SCH equals the sort-based definition on random traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        (sel, m, C) => sch(sel, m, C) === schNaive(sel, m, C),
      ),
    );
  });
});
