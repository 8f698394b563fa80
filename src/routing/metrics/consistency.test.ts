import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sch, schCurve, schDetail, srp, srpDetail, srpPooled } from './consistency';

// Six tokens, top-1: experts 0, 0, 1, 1, 0, 2.
const SIX = [[0], [0], [1], [1], [0], [2]];

/** SRP straight from the definition: every window, every expert (absent ones at c = 0), every τ. */
function srpNaive(sel: number[][], m: number, E: number): number {
  let best = 0;
  for (let tau = 0; tau <= m; tau++) {
    let matches = 0;
    let preds = 0;
    let acts = 0;
    for (let s = 0; s + m <= sel.length; s++)
      for (let e = 0; e < E; e++) {
        let c = 0;
        for (let t = s; t < s + m; t++) if (sel[t].includes(e)) c++;
        acts += c;
        if (c >= tau) {
          matches += c;
          preds += m;
        }
      }
    if (preds + acts > 0) best = Math.max(best, (2 * matches) / (preds + acts));
  }
  return best;
}

/**
 * SCH as a plain C-slot cache, one C at a time (a second formulation of moe-lrc's stack): a token's
 * accesses are scored against the cache as it stood when the token began (a never-seen expert hits
 * while fewer than C distinct experts have been seen, counting the token's earlier new ones); then
 * they are loaded in order, each miss evicting the cached expert with the fewest uses left in
 * tokens t..t+m−1, ties → least recently accessed.
 */
function schCache(sel: number[][], m: number, C: number): number {
  const ahead = new Map<number, number>();
  const last = new Map<number, number>();
  const bump = (t: number, d: number) => {
    if (t < sel.length) for (const e of sel[t]) ahead.set(e, (ahead.get(e) ?? 0) + d);
  };
  for (let u = 0; u < m; u++) bump(u, 1);
  const cache = new Set<number>();
  let clock = 0;
  let hits = 0;
  let total = 0;
  sel.forEach((s, t) => {
    const start = new Set(cache);
    let distinct = last.size;
    for (const e of s) {
      total++;
      if (last.has(e)) hits += start.has(e) ? 1 : 0;
      else hits += distinct++ < C ? 1 : 0;
    }
    for (const e of s) {
      if (!cache.has(e)) {
        if (cache.size >= C) {
          let victim = -1;
          for (const x of cache)
            if (
              victim < 0 ||
              ahead.get(x)! < ahead.get(victim)! ||
              (ahead.get(x) === ahead.get(victim) && last.get(x)! < last.get(victim)!)
            )
              victim = x;
          cache.delete(victim);
        }
        cache.add(e);
      }
      last.set(e, ++clock);
      ahead.set(e, ahead.get(e)! - 1);
    }
    bump(t + m, 1);
  });
  return total ? hits / total : 0;
}

const traces = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), {
  maxLength: 30,
});

describe('SRP (moe-lrc segment routing best performance)', () => {
  it('SRP(m=2) on a hand-worked 6-token trace, with its working per τ', () => {
    // windows (starts 0..4): {0:2} {0:1,1:1} {1:2} {1:1,0:1} {0:1,2:1}
    // → present pairs with c = 2: two, with c = 1: six; acts = 2·2 + 6·1 = 10
    // τ=0: every expert of every window predicted, E = 3 → 5·3 = 15 pairs, preds 2·15 = 30,
    //      matches 10 → F1 = 20/40 = 0.5
    // τ=1: 8 pairs, matches 10, preds 2·8 = 16 → 20/26 = 0.769231
    // τ=2: 2 pairs, matches 4, preds 2·2 = 4 → 8/14 = 0.571429
    // SRP = max = 20/26, first reached at τ = 1
    const d = srpDetail(SIX, 2);
    expect(d.E).toBe(3); // max id 2 + 1
    expect(d.windows).toBe(5);
    expect(d.perTau.map((x) => [x.tau, x.matches, x.preds, x.acts])).toEqual([
      [0, 10, 30, 10],
      [1, 10, 16, 10],
      [2, 4, 4, 10],
    ]);
    expect(d.perTau[0].f1).toBeCloseTo(0.5, 12);
    expect(d.perTau[2].f1).toBeCloseTo(8 / 14, 12);
    expect(d.bestTau).toBe(1);
    expect(srp(SIX, 2)).toBeCloseTo(20 / 26, 12);
    // with E = 4 only the τ = 0 row changes (preds 2·5·4 = 40 → 20/50); SRP is the same
    const d4 = srpDetail(SIX, 2, 4);
    expect(d4.perTau[0].preds).toBe(40);
    expect(d4.perTau[0].f1).toBeCloseTo(0.4, 12);
    expect(d4.srp).toBeCloseTo(20 / 26, 12);
  });

  it('SRP with top-2 and edge cases', () => {
    // tokens {0,1} {0,2} {0,1}, m = 2: windows {0:2,1:1,2:1} twice → counts 2,1,1,2,1,1; acts 8
    // τ=0: E = 3, 6 pairs → same as τ=1 here: matches 8, preds 12 → 16/20 = 0.8
    // τ=1: matches 8, preds 2·6 = 12 → 0.8; τ=2: matches 4, preds 4 → 8/12 → SRP = 0.8
    const top2 = [
      [0, 1],
      [0, 2],
      [0, 1],
    ];
    expect(srp(top2, 2)).toBeCloseTo(0.8, 12);
    // m = 1: every window is one token, predicted exactly at τ = 1 → 1
    expect(srp(SIX, 1)).toBe(1);
    // a constant expert: every window {e:m} → τ = m: matches = preds = acts → 1
    expect(srp([[3], [3], [3], [3]], 4)).toBe(1);
    // fewer tokens than m: no window → 0; only dropped tokens: no selection → 0
    expect(srp(SIX, 7)).toBe(0);
    expect(srp([[], [], []], 2, 4)).toBe(0);
    expect(() => srp(SIX, 0)).toThrow('srp: m must be a positive integer, got 0');
  });

  it('golden values from moe-lrc (Python port of 30_srp_calc.py, E = 6, top-2)', () => {
    const A = [[3, 4], [3, 5], [4, 5], [1, 5], [4, 3], [5, 4], [1, 0], [3, 2], [1, 0], [4, 0], [4, 3], [3, 4], [5, 1], [4, 0], [4, 0], [0, 5]]; // prettier-ignore
    const B = [[1, 5], [4, 0], [3, 2], [3, 4], [1, 4], [1, 2], [3, 0], [5, 0], [3, 2], [3, 4], [0, 2], [2, 1], [4, 2], [0, 5], [4, 0], [3, 0]]; // prettier-ignore
    expect(srp(A, 2, 6)).toBeCloseTo(0.759493670886076, 12);
    expect(srp(A, 4, 6)).toBeCloseTo(0.6379310344827587, 12);
    expect(srp(B, 2, 6)).toBeCloseTo(0.7407407407407407, 12);
    expect(srp(B, 4, 6)).toBeCloseTo(0.603448275862069, 12);
  });

  it('pooled SRP sums the counts of several sequences before F1 (moe-lrc dataset level)', () => {
    // SIX at m = 2 (E = 4): τ=1 matches 10, preds 16, acts 10; τ=2 matches 4, preds 4.
    // [[3],[3]]: one window {3:2}: τ=1 and τ=2 both matches 2, preds 2, acts 2.
    // pooled τ=1: 2·12/(18 + 12) = 24/30 = 0.8; τ=2: 2·6/(6 + 12) = 12/18; τ=0: 2·12/(2·6·4 + 12) → SRP 0.8
    const p = srpPooled([SIX, [[3], [3]]], 2, 4);
    expect(p.windows).toBe(6);
    expect(p.srp).toBeCloseTo(0.8, 12);
    expect(p.perTau[0].preds).toBe(48);
    // differs from the token-weighted mean of per-sequence SRPs, (6·20/26 + 2·1)/8 = 0.826923
    expect(p.srp).not.toBeCloseTo((6 * (20 / 26) + 2) / 8, 3);
  });

  it('the sliding-window SRP equals the definition on random traces (property)', () => {
    fc.assert(
      fc.property(traces, fc.integer({ min: 1, max: 6 }), (sel, m) => {
        const E = 7;
        const s = srp(sel, m, E);
        return Math.abs(s - srpNaive(sel, m, E)) < 1e-12 && s >= 0 && s <= 1;
      }),
    );
  });
});

describe('SCH (moe-lrc segment cache best hit rate)', () => {
  it('SCH(m=2, C=1) and C=2 on the same 6-token trace, worked by hand', () => {
    // look-ahead = uses in tokens t..t+1 not yet served; C = 1 (one cache slot):
    // t0: 0 never seen, 0 distinct seen before → depth 0 < 1 → hit. Cache {0}.
    // t1: 0 cached → hit.
    // t2: 1 never seen, 1 distinct seen before (0) → depth 1 → miss. Loading 1 evicts 0.
    // t3: 1 cached → hit.
    // t4: 0 was evicted at t2 → miss (the cache cannot fetch it back before it is used). Loads 0.
    // t5: 2 never seen, 2 distinct before → miss.        hits t0, t1, t3 = 3 of 6 accesses
    expect(sch(SIX, 2, 1)).toBeCloseTo(3 / 6, 12);
    // C = 2: t2's new expert at depth 1 < 2 hits, t4's 0 is still cached (nothing evicted);
    //        t5's new expert at depth 2 misses → 5/6
    expect(sch(SIX, 2, 2)).toBeCloseTo(5 / 6, 12);
    // C ≥ number of distinct experts: every access hits
    expect(sch(SIX, 2, 3)).toBe(1);
    // depth histogram: t0 0, t1 0, t2 1 (new), t3 0, t4 1, t5 2 (new)
    expect(schDetail(SIX, 2)).toEqual({ m: 2, accesses: 6, atRank: [3, 2, 1] });
    expect(schCurve(SIX, 2, [1, 2, 4])).toEqual({ '1': 0.5, '2': 5 / 6, '4': 1 });
  });

  it('top-2: all Σ k_t accesses count, new experts of one token take consecutive depths', () => {
    // tokens {0,1} {0,2} {0,1}, m = 2. Look-ahead at the start: 0:2, 1:1, 2:1.
    // t0: both new: 0 at depth 0, 1 at depth 1. Then access 0 (stack [0]; 0 has 1 use left), access
    //     1 (to the top: [1, 0]; 1 has 0 left). Token 2 enters: 0:2, 1:1, 2:1.
    // t1: stack [1, 0]: 0 at depth 1; 2 new at depth 2. Access 0 → [0, 1] (0: 1 left, last 3);
    //     access 2 → top; 1 (1 left, last 2) ranks below 0 (1 left, last 3) so 1 sinks: [2, 0, 1].
    // t2: stack [2, 0, 1]: 0 at depth 1, 1 at depth 2.
    // depths: t0 0,1; t1 1,2; t2 1,2 → C=1: 1/6; C=2: 4/6; C=3: 6/6
    const top2 = [
      [0, 1],
      [0, 2],
      [0, 1],
    ];
    expect(schDetail(top2, 2).atRank).toEqual([1, 3, 2]);
    expect(sch(top2, 2, 1)).toBeCloseTo(1 / 6, 12);
    expect(sch(top2, 2, 2)).toBeCloseTo(4 / 6, 12);
    expect(sch(top2, 2, 3)).toBe(1);
    expect(sch([], 2, 1)).toBe(0);
    expect(sch([[], []], 2, 1)).toBe(0);
    expect(() => sch(SIX, 0, 1)).toThrow('sch: m must be a positive integer, got 0');
  });

  it('evicted experts are not fetched back for free (the moe-lrc stack, not a re-sort)', () => {
    // 0, 1, 0 with m = 2, C = 1: the cache holds 1 after token 1, so token 2's 0 misses → 1/3
    // (a re-sort of the seen experts by look-ahead before token 2 would have put 0 first: 2/3).
    expect(sch([[0], [1], [0]], 2, 1)).toBeCloseTo(1 / 3, 12);
  });

  it('golden values from moe-lrc (Python port of 41_sch_calc.py calc_fsf, E = 6, top-2)', () => {
    const A = [[3, 4], [3, 5], [4, 5], [1, 5], [4, 3], [5, 4], [1, 0], [3, 2], [1, 0], [4, 0], [4, 3], [3, 4], [5, 1], [4, 0], [4, 0], [0, 5]]; // prettier-ignore
    const B = [[2, 3], [0, 5], [5, 0], [1, 5], [0, 3], [3, 5], [3, 0], [4, 1], [5, 2], [2, 0], [2, 5], [0, 3], [0, 1], [1, 0], [0, 5], [3, 5]]; // prettier-ignore
    const curve = (sel: number[][], m: number) => [1, 2, 3, 4, 5, 6].map((C) => sch(sel, m, C));
    const golden = (xs: number[], ys: number[]) => xs.forEach((x, i) => expect(x).toBeCloseTo(ys[i], 12));
    golden(curve(A, 2), [0.21875, 0.5, 0.6875, 0.875, 0.9375, 1]);
    golden(curve(A, 4), [0.21875, 0.5, 0.65625, 0.875, 0.9375, 1]);
    golden(curve(B, 2), [0.21875, 0.53125, 0.6875, 0.875, 0.9375, 1]);
    golden(curve(B, 4), [0.21875, 0.53125, 0.75, 0.875, 0.9375, 1]);
  });

  it('the one-pass stack equals a C-slot cache simulation for every C (property)', () => {
    fc.assert(
      fc.property(
        traces,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 7 }),
        (sel, m, C) => Math.abs(sch(sel, m, C) - schCache(sel, m, C)) < 1e-12,
      ),
    );
  });

  it('SCH never falls as the cache grows and reaches 1 once C ≥ distinct experts (property)', () => {
    fc.assert(
      fc.property(traces, fc.integer({ min: 1, max: 6 }), (sel, m) => {
        const d = schDetail(sel, m);
        const distinct = new Set(sel.flat()).size;
        for (let C = 1; C <= 7; C++) if (sch(sel, m, C + 1) + 1e-12 < sch(sel, m, C)) return false;
        return d.accesses === 0 || sch(sel, m, Math.max(1, distinct)) === 1;
      }),
    );
  });
});
