import { describe, expect, it } from 'vitest';
import { analyzeTraces, ANALYZE_METRICS } from './analyze';
import { parseTrace } from './trace';

// A 6-token, 2-layer trace, E = 4.
// layer 0: top-1 experts 0, 0, 1, 1, 0, 2 with all-zero router logits (uniform softmax, P_e = ¼);
// layer 1: expert 1 for tokens 0–4, token 5 dropped (no expert), no router logits.
const SIX = [[0], [0], [1], [1], [0], [2]];
const ONE = [[1], [1], [1], [1], [1], []];
const six = parseTrace({
  model: { id: 'm', numLayers: 2, numExperts: 4 },
  tokens: SIX.map((_, i) => ({ id: i, text: `t${i}` })),
  layers: [
    {
      index: 0,
      kind: 'moe',
      routerLogits: SIX.map(() => [0, 0, 0, 0]),
      selected: SIX,
      gates: SIX.map(() => [1]),
    },
    {
      index: 1,
      kind: 'moe',
      selected: ONE,
      gates: ONE.map((s) => s.map(() => 1)),
      dropped: [0, 0, 0, 0, 0, 1],
    },
  ],
});
const short = parseTrace({
  model: { id: 'm', numLayers: 2, numExperts: 4 },
  tokens: [
    { id: 0, text: 'a' },
    { id: 1, text: 'b' },
  ],
  layers: [
    { selected: [[3], [3]], gates: [[1], [1]] },
    { selected: [[1], [1]], gates: [[1], [1]] },
  ],
});

describe('analyzeTraces', () => {
  it('reports exactly the contract keys per layer, worked by hand on a 6-token trace', () => {
    const r = analyzeTraces([six], { m: [2], C: [1, 2] });
    // Layer 1 has no router logits: hfAux is null there, and a note says why.
    expect(Object.keys(r)).toEqual(['layers', 'model', 'notes']);
    expect(r.notes).toEqual([
      'hfAux skipped (null) for layer 1: the trace has no router logits there (captures that record expert ids only)',
    ]);
    const [l0, l1] = r.layers;
    expect(Object.keys(l0)).toEqual([
      'index',
      'counts',
      'maxOverMean',
      'cv',
      'maxVio',
      'loadEntropy',
      'meanActive',
      'dropped',
      'hfAux',
      'srp',
      'sch',
      'cache',
    ]);
    // Layer 0. counts [3,2,1,0], total 6, ideal 6/4 = 1.5, max 3 → max/mean 2, MaxVio (3 − 1.5)/1.5 = 1;
    // variance (1.5² + 0.5² + 0.5² + 1.5²)/4 = 1.25 → CV √1.25/1.5 = 0.745356;
    // load entropy −(½ln½ + ⅓ln⅓ + ⅙ln⅙)/ln 4 = 1.011404/1.386294 = 0.729574.
    expect(l0.index).toBe(0);
    expect(l0.counts).toEqual([3, 2, 1, 0]);
    expect(l0.maxOverMean).toBe(2);
    expect(l0.cv).toBeCloseTo(0.745356, 6);
    expect(l0.maxVio).toBe(1);
    expect(l0.loadEntropy).toBeCloseTo(0.729574, 6);
    expect(l0.meanActive).toBe(1);
    expect(l0.dropped).toBe(0);
    // HF aux: f = [3/6, 2/6, 1/6, 0], P = [¼, ¼, ¼, ¼] → 4 · ¼ · (3+2+1)/6 = 1
    expect(l0.hfAux).toBeCloseTo(1, 12);
    // SRP(2) = 20/26 and SCH(2, 1) = 3/6, SCH(2, 2) = 5/6 (worked in consistency.test.ts)
    expect(l0.srp).toEqual({ '2': 20 / 26 });
    expect(l0.sch!['2']['1']).toBeCloseTo(3 / 6, 12);
    expect(l0.sch!['2']['2']).toBeCloseTo(5 / 6, 12);
    // Caches on 0,0,1,1,0,2. C = 1: 0 miss, 0 hit, 1 miss, 1 hit, 0 miss, 2 miss → 2/6 for every policy.
    // C = 2: 0 m, 0 h, 1 m, 1 h, 0 h, 2 m → 3/6 for every policy.
    for (const p of ['lru', 'lfu', 'belady'] as const) {
      expect(l0.cache![p]!['1']).toBeCloseTo(2 / 6, 12);
      expect(l0.cache![p]!['2']).toBeCloseTo(3 / 6, 12);
    }
    expect(Object.keys(l0.cache!)).toEqual(['lru', 'lfu', 'belady']);

    // Layer 1. counts [0,5,0,0], total 5, ideal 1.25: max/mean 4, MaxVio 3; variance (3·1.25² + 3.75²)/4
    // = 4.6875 → CV 2.165064/1.25 = √3; entropy 0; mean active 5/6; dropped 1/6; no logits → hfAux null.
    expect(l1.counts).toEqual([0, 5, 0, 0]);
    expect(l1.maxOverMean).toBe(4);
    expect(l1.maxVio).toBe(3);
    expect(l1.cv).toBeCloseTo(Math.sqrt(3), 12);
    expect(l1.loadEntropy).toBe(0);
    expect(l1.meanActive).toBeCloseTo(5 / 6, 12);
    expect(l1.dropped).toBeCloseTo(1 / 6, 12);
    expect(l1.hfAux).toBeNull();
    // SRP(2): windows {1:2}×4 and {1:1} (the dropped token adds nothing): acts 9.
    // τ=1: matches 9, preds 2·5 = 10 → 18/19; τ=2: matches 8, preds 8 → 16/17 < 18/19.
    expect(l1.srp!['2']).toBeCloseTo(18 / 19, 12);
    // 5 accesses of expert 1: the first hits (no expert seen yet: the cache is filling), then it is
    // cached → SCH 1; caches miss once → 4/5
    expect(l1.sch!['2']['1']).toBe(1);
    expect(l1.cache!.lru!['1']).toBeCloseTo(4 / 5, 12);

    // Model-wide: unweighted means over the two MoE layers; hfAux over the layers that have it.
    expect(r.model).toMatchObject({
      traces: 1,
      tokens: 6,
      numExperts: 4,
      numLayers: 2,
      moeLayers: 2,
      maxOverMean: 3,
      maxVio: 2,
      hfAux: expect.closeTo(1, 12),
    });
    expect(r.model.meanActive).toBeCloseTo((1 + 5 / 6) / 2, 12);
    expect(r.model.dropped).toBeCloseTo(1 / 12, 12);
    expect(r.model.srp!['2']).toBeCloseTo((20 / 26 + 18 / 19) / 2, 12);
    expect(r.model.cache!.lru!['1']).toBeCloseTo((2 / 6 + 4 / 5) / 2, 12);
  });

  it('several traces: load pools the tokens, sequence metrics are token-weighted means per trace', () => {
    const r = analyzeTraces([six, short], { m: [2, 8], C: [1] });
    const l0 = r.layers[0];
    expect(l0.counts).toEqual([3, 2, 1, 2]); // 6 + 2 tokens
    // short trace: one window {3:2} → τ=2: matches 2, preds 2, acts 2 → SRP 1; weighted (6·20/26 + 2·1)/8
    expect(l0.srp!['2']).toBeCloseTo((6 * (20 / 26) + 2 * 1) / 8, 12);
    // no trace has 8 tokens: no window → null
    expect(l0.srp!['8']).toBeNull();
    // SCH(2,1) of the short trace: the first access hits (cache filling), then cached → 1;
    // token-weighted (6·3/6 + 2·1)/8 = 5/8
    expect(l0.sch!['2']['1']).toBeCloseTo(5 / 8, 12);
    expect(l0.hfAux).toBeNull(); // the short trace has no router logits
    expect(r.model.tokens).toBe(8);
  });

  it('opt-in metrics: per-token entropy/confidence and prefetch; a metric subset', () => {
    const r = analyzeTraces([six], { metrics: ['entropy', 'prefetch'], C: [1] });
    // uniform logits over 4 experts: H = ln 4 nats, H/ln 4 = 1, confidence ¼, margin ¼ − ¼ = 0
    expect(r.layers[0]).toEqual({
      index: 0,
      entropy: {
        meanEntropy: Math.log(4),
        meanNormalisedEntropy: 1,
        meanConfidence: 0.25,
        meanMargin: 0,
      },
    });
    // layer 1 prefetch (C = 1) from layer 0's routing: t0 miss; every later access of expert 1 hits → 4/5
    expect(r.layers[1]).toEqual({
      index: 1,
      entropy: null,
      cache: { prefetch: { '1': expect.closeTo(0.8, 12) } },
    });
    expect(Object.keys(analyzeTraces([six], { metrics: ['srp'], m: [2] }).layers[0])).toEqual([
      'index',
      'srp',
    ]);
  });

  it('rejects unknown metrics, bad sizes and traces of different shapes, naming them', () => {
    expect(() => analyzeTraces([six], { metrics: ['vibes'] })).toThrow(
      'analyze: unknown metric "vibes" (known: load, hfAux, srp, sch, cache, entropy, prefetch)',
    );
    expect(() => analyzeTraces([six], { m: [0] })).toThrow(
      'analyze: m values must be positive integers, got 0',
    );
    expect(() => analyzeTraces([six], { C: [1.5] })).toThrow(
      'analyze: C values must be positive integers, got 1.5',
    );
    expect(() => analyzeTraces([])).toThrow('analyze: no traces');
    const oneLayer = parseTrace({
      model: { id: 'm', numExperts: 4 },
      tokens: [{ id: 0, text: 'a' }],
      layers: [{ selected: [[0]], gates: [[1]] }],
    });
    expect(() => analyzeTraces([six, oneLayer], { names: ['a.json', 'b.json'] })).toThrow(
      'analyze: b.json has 1 layers but a.json has 2',
    );
  });

  it('a dense layer (no router) is marked, carries no routing metric, and prefetch skips it', () => {
    // 4 tokens, E = 2. Layer 0 (MoE) picks 0,1,0,1; layer 1 is dense; layer 2 (MoE) picks 1,0,1,0.
    const trace = parseTrace({
      model: { id: 'm', numLayers: 3, numExperts: 2 },
      tokens: [0, 1, 2, 3].map((i) => ({ id: i, text: `t${i}` })),
      layers: [
        { kind: 'moe', routerLogits: [[0, 0], [0, 0], [0, 0], [0, 0]], selected: [[0], [1], [0], [1]] },
        { kind: 'dense', selected: [[], [], [], []] },
        { kind: 'moe', routerLogits: [[0, 0], [0, 0], [0, 0], [0, 0]], selected: [[1], [0], [1], [0]] },
      ],
    });
    const r = analyzeTraces([trace], { metrics: [...ANALYZE_METRICS, 'prefetch'], m: [2], C: [1] });
    // Not "dropped: 1", not an SRP of 0: only the index and the kind.
    expect(r.layers[1]).toEqual({ index: 1, kind: 'dense' });
    expect(r.layers[0].kind).toBeUndefined();
    expect(r.layers[2].dropped).toBe(0);
    expect(r.layers[2].counts).toEqual([2, 2]);
    // Prefetch at layer 2 learns from layer 0 (the nearest MoE layer), C = 1:
    // t0 (0→1) nothing learnt, miss; t1 (1→0) nothing learnt for 1, miss; t2: N[0][1] = 1 → 1
    // prefetched, hit; t3: N[1][0] = 1 → 0 prefetched, hit → 2/4. (From the dense layer's empty
    // selections nothing would be prefetched: LRU alone misses all 4 here.)
    expect(r.layers[2].cache).toEqual({ lru: { '1': 0 }, lfu: { '1': 0 }, belady: { '1': 0 }, prefetch: { '1': 0.5 } });
    expect(r.layers[0].cache!.prefetch).toBeUndefined();
    // Model-wide means run over the two MoE layers; the note says why layer 1 is missing.
    expect(r.model.moeLayers).toBe(2);
    expect(r.model.dropped).toBe(0);
    expect(r.model.cache!.prefetch).toEqual({ '1': 0.5 });
    expect(r.notes).toEqual([
      'layer 1 is dense (no router): routing metrics left out there and model-wide means run over the 2 MoE layers',
    ]);
    // Traces of the same model agree on layer kinds.
    const moeEverywhere = parseTrace({ ...trace, layers: trace.layers.map((l) => ({ ...l, kind: 'moe' })) });
    expect(() => analyzeTraces([trace, moeEverywhere], { names: ['a.json', 'b.json'] })).toThrow(
      'analyze: layer 1 is moe in b.json but dense in a.json',
    );
  });
});

