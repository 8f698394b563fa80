import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sch, srp } from './consistency';
import { cacheHitRate, prefetchHitRate } from './cache';
import { contiguousPlacement, deviceLoads, llep } from './parallel';
import { routingStability } from './stability';
import { columnDominance, meanOffDiagonalCosine, pearson, perturbationRadii, rowDominance } from './coupling';
import { parseTrace } from './trace';
import { analyzeTraces } from './analyze';

// Six tokens, top-1: experts 0, 0, 1, 1, 0, 2.
const SIX = [[0], [0], [1], [1], [0], [2]];

describe('local routing consistency (moe-lrc)', () => {
  it('SRP(m=2) on a hand-worked 6-token trace', () => {
    // windows: {0:2} {0:1,1:1} {1:2} {1:1,0:1} {0:1,2:1} → pair counts 2,1,1,2,1,1,1,1; acts = 10
    // τ=1: 8 pairs, matches 10, preds 16 → F1 = 20/26 = 0.769231; τ=2: 2 pairs, 4, 4 → 8/14 = 0.571429
    expect(srp(SIX, 2)).toBeCloseTo(20 / 26, 6);
  });

  it('SCH(m=2, C=1) on the same trace', () => {
    // t0: 0 first-ever, rank 0 → hit. t1: ranked [0] → hit. t2: 1 first-ever, rank 1 → miss.
    // t3: future {1,0} tie → by last use [1,0] → 1 hit. t4: future {0,2} → [0,1] → 0 hit.
    // t5: 2 first-ever, rank 2 → miss. 4/6
    expect(sch(SIX, 2, 1)).toBeCloseTo(4 / 6, 12);
    // With C ≥ the number of distinct experts every access is a hit except none: C = 3 → 6/6
    expect(sch(SIX, 2, 3)).toBe(1);
  });
});

describe('expert caches', () => {
  const seq = [[1], [2], [3], [1], [2], [4], [1]];
  it('Belady, LRU and LFU on a hand-worked sequence with C = 2', () => {
    // Belady: misses 1,2,3(evict 2),hit 1, miss 2 (evict 3), miss 4 (evict 2), hit 1 → 2/7
    expect(cacheHitRate(seq, 2, 'belady')).toBeCloseTo(2 / 7, 12);
    // LRU thrashes: every access misses
    expect(cacheHitRate(seq, 2, 'lru')).toBe(0);
    expect(cacheHitRate(seq, 2, 'lfu')).toBe(0);
    // C = 3: 1,2,3 miss; 1, 2 hit; 4 evicts 3 (least recent); 1 hits → 3/7
    expect(cacheHitRate(seq, 3, 'lru')).toBeCloseTo(3 / 7, 12);
  });

  it('Belady is never below LRU or LFU (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 2 }), { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (sel, C) => {
        const b = cacheHitRate(sel, C, 'belady');
        return b + 1e-12 >= cacheHitRate(sel, C, 'lru') && b + 1e-12 >= cacheHitRate(sel, C, 'lfu');
      }),
    );
  });

  it('prefetch from the previous layer learns a deterministic transition', () => {
    // layer l−1 expert a always leads to expert a+4 at layer l; after the first sight of each a
    // the prefetch predicts it. a sequence 0,1,0,1,0,1 with C = 1 → misses at t0, t1; hits after.
    const prev = [[0], [1], [0], [1], [0], [1]];
    const cur = prev.map(([a]) => [a + 4]);
    expect(prefetchHitRate(prev, cur, 1)).toBeCloseTo(4 / 6, 12);
  });
});

describe('expert parallelism', () => {
  it('contiguous placement and device loads', () => {
    expect(contiguousPlacement(6, 3)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(deviceLoads([10, 10, 12, 8], contiguousPlacement(4, 2), 2)).toEqual({ loads: [20, 20], maxOverMean: 1 });
  });

  it('LLEP keeps plain EP when balanced and rebalances a skewed load (hand-worked)', () => {
    expect(llep([10, 10, 12, 8], contiguousPlacement(4, 2), 2).plainEP).toBe(true);
    // loads [60,10,10,10,5,5] on 3 devices: EP gives [70,20,10], max/mean 2.1; cap = 1.1·33.33 = 36.67
    // e0: 36.67 on d0, 23.33 spills to d1 (transfer); e1: d0 full → 10 to d2 (transfer);
    // e2: 10 on d1; e3: 3.33 on d1, 6.67 to d2 (transfer); e4, e5: 5 + 5 on d2 → [36.67, 36.67, 26.67]
    const p = llep([60, 10, 10, 10, 5, 5], contiguousPlacement(6, 3), 3);
    expect(p.plainEP).toBe(false);
    p.loads.forEach((v, i) => expect(v).toBeCloseTo([110 / 3, 110 / 3, 80 / 3][i], 9));
    expect(p.maxOverMean).toBeCloseTo(1.1, 9);
    expect(p.transfers).toBe(3);
    expect(p.plan[0].parts.map((x) => x.device)).toEqual([0, 1]);
  });
});

describe('stability and coupling', () => {
  it('routing stability compares top-k sets per layer', () => {
    expect(routingStability([[[0, 1], [2, 3]]], [[[1, 0], [2, 4]]])).toEqual([{ layer: 0, unchanged: 0.5, flipped: [1] }]);
  });

  it('ERC maths: dominance, perturbation radii, Pearson, mean off-diagonal cosine', () => {
    const M = [
      [3, 1],
      [2, 1],
    ];
    expect(rowDominance(M)).toBe(0.5); // row 1's max is in column 0
    expect(columnDominance(M)).toBe(0.5); // column 1 ties (1, 1): the first row wins, not its own
    const eps = perturbationRadii([
      [1, 0],
      [0, 2],
    ]);
    expect(eps[0]).toBeCloseTo(Math.sqrt(5) / 2, 12);
    expect(eps[1]).toBeCloseTo(Math.sqrt(5) / 4, 12);
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(2 * (38 / 3)), 9);
    expect(meanOffDiagonalCosine([
      [1, 0],
      [1, 1],
    ])).toBeCloseTo(Math.SQRT1_2, 12);
  });
});

describe('trace parsing and analyze', () => {
  const trace = (selected: number[][][], extra: Record<string, unknown> = {}) => ({
    model: { id: 'm', numLayers: selected.length, numExperts: 4 },
    tokens: selected[0].map((_, i) => ({ id: i, text: `t${i}` })),
    layers: selected.map((s, i) => ({ index: i, kind: 'moe', selected: s, gates: s.map((x) => x.map(() => 1 / x.length)) })),
    ...extra,
  });

  it('names the field of a broken trace', () => {
    expect(() => parseTrace({ model: { id: 'm', numExperts: 4 }, tokens: [{ id: 0, text: 'a' }], layers: [{ selected: [[9]], gates: [[1]] }] }, 'x.json')).toThrow('x.json: layers[0].selected[0]: expert 9 out of range 0..3');
    expect(() => parseTrace({ model: { id: 'm' }, tokens: [{ id: 0, text: 'a' }], layers: [{ selected: [], gates: [] }] }, 'x.json')).toThrow('x.json: layers[0].selected: must list 1 tokens, got 0');
    expect(() => parseTrace([], 'x.json')).toThrow('x.json: must be a JSON object');
  });

  it('analyze reports load, SRP, SCH and caches per layer; token-weighted over traces', () => {
    const six = parseTrace(trace([SIX]));
    const r = analyzeTraces([six], { m: [2], C: [1] });
    const l = r.layers[0] as Record<string, unknown>;
    expect(l.counts).toEqual([3, 2, 1, 0]);
    expect(l.maxVio).toBeCloseTo((3 - 1.5) / 1.5, 6);
    expect(l.srp).toEqual({ '2': Math.round((20 / 26) * 1e6) / 1e6 });
    expect(l.sch).toEqual({ '2': { '1': Math.round((4 / 6) * 1e6) / 1e6 } });
    expect(l.hfAux).toBeNull(); // no router logits in this trace
    // Two traces: load pools the tokens; sequence metrics are token-weighted means.
    const short = parseTrace(trace([[[3], [3]]]));
    const two = analyzeTraces([six, short], { m: [2], C: [1] }).layers[0] as { counts: number[]; srp: Record<string, number> };
    expect(two.counts).toEqual([3, 2, 1, 2]);
    // short trace: one window {3:2} → SRP 1; weighted (6·0.769231 + 2·1) / 8
    expect(two.srp['2']).toBeCloseTo((6 * (20 / 26) + 2) / 8, 5);
    expect(() => analyzeTraces([six], { metrics: ['vibes'] })).toThrow('analyze: unknown metric "vibes" (known: load, hfAux, srp, sch, cache)');
  });
});
