import { describe, expect, it } from 'vitest';
import {
  contextWindows,
  CorpusAccumulator,
  meanSpecialisation,
  topTokensOf,
  type CorpusLayerSpec,
} from './corpus';

// Layer 0: 3 experts, top-1. Layer 1: dense (no router).
const LAYERS: CorpusLayerSpec[] = [
  { kind: 'moe', numExperts: 3, topK: 1 },
  { kind: 'dense', numExperts: 0, topK: 0 },
];
const empty = (T: number) => Array.from({ length: T }, () => []);
const text = (id: number) => `<${id}>`;

function corpus(opts = {}) {
  const c = new CorpusAccumulator(LAYERS, ['a', 'b'], opts);
  // a#0: tokens 5 6 5 → experts 0 1 0, gates .9 .6 .7
  c.add({
    source: 0,
    ids: [5, 6, 5],
    selected: [[[0], [1], [0]], empty(3)],
    gates: [[[0.9], [0.6], [0.7]], empty(3)],
  });
  // b#0: tokens 5 7 → experts 2 2, gates .8 .95
  c.add({
    source: 1,
    ids: [5, 7],
    selected: [[[2], [2]], empty(2)],
    gates: [[[0.8], [0.95]], empty(2)],
  });
  // a#1: tokens 6 5 → experts 1 0, gates .6 .5
  c.add({
    source: 0,
    ids: [6, 5],
    selected: [[[1], [0]], empty(2)],
    gates: [[[0.6], [0.5]], empty(2)],
  });
  return c;
}

describe('corpus specialisation', () => {
  it('load, per-source shares and the specialisation summary, worked by hand', () => {
    const c = corpus();
    expect(c.sourceTokens).toEqual([5, 2]);
    expect(c.sourceSequences).toEqual([2, 1]);
    expect(c.tokens).toBe(7);
    const [l0, l1] = c.report(text);
    expect(l1).toEqual({ index: 1, kind: 'dense' });
    if (l0.kind !== 'moe') throw new Error('layer 0 is MoE');
    // selections: e0 3 (a#0 t0, t2; a#1 t1), e1 2, e2 2 of 7
    expect(l0.experts.map((e) => e.load)).toEqual([3 / 7, 2 / 7, 2 / 7]);
    // shares: e0 takes 3 of a's 5 tokens, e1 2 of 5, e2 both of b's 2
    expect(l0.experts.map((e) => e.sources)).toEqual([
      { a: 3 / 5, b: 0 },
      { a: 2 / 5, b: 0 },
      { a: 0, b: 1 },
    ]);
    // uniform k/E = 1/3: a → (3/5)/(1/3) = 1.8, b → 1/(1/3) = 3
    expect(l0.specialisation.a).toBeCloseTo(1.8, 12);
    expect(l0.specialisation.b).toBeCloseTo(3, 12);
    const model = meanSpecialisation([l0, l1], ['a', 'b']);
    expect(model.a).toBeCloseTo(1.8, 12); // one MoE layer: its value
  });

  it('topTokens: min-count filter, share = routed / occurrences, sorted share ↓ count ↓ id ↑', () => {
    const [l0] = corpus({ minCount: 2 }).report(text);
    if (l0.kind !== 'moe') throw new Error('layer 0 is MoE');
    // occurrences: 5 ×4, 6 ×2, 7 ×1 (below min-count 2, never listed)
    // e0: 5 → 3 of 4 = 0.75, 6 → 0;  e1: 6 → 2/2 = 1, 5 → 0;  e2: 5 → 1/4, 6 → 0
    expect(l0.experts[0].topTokens).toEqual([
      { id: 5, text: '<5>', count: 4, share: 0.75 },
      { id: 6, text: '<6>', count: 2, share: 0 },
    ]);
    expect(l0.experts[1].topTokens.map((t) => [t.id, t.share])).toEqual([
      [6, 1],
      [5, 0],
    ]);
    expect(l0.experts[2].topTokens.map((t) => [t.id, t.share])).toEqual([
      [5, 0.25],
      [6, 0],
    ]);
    // --top 1 keeps the first; --min-count 5 leaves no token
    const [top1] = corpus({ minCount: 2, top: 1 }).report(text);
    if (top1.kind === 'moe') expect(top1.experts[0].topTokens.map((t) => t.id)).toEqual([5]);
    const [none] = corpus({ minCount: 5 }).report(text);
    if (none.kind === 'moe') expect(none.experts[0].topTokens).toEqual([]);
    // ties: share .5 for ids 9, 3, 1 → count 8 first, then ids 3 before 9 at count 4
    expect(
      topTokensOf(
        [
          { id: 9, count: 4, routed: 2 },
          { id: 3, count: 4, routed: 2 },
          { id: 1, count: 8, routed: 4 },
          { id: 2, count: 5, routed: 5 },
        ],
        10,
      ).map((t) => t.id),
    ).toEqual([2, 1, 3, 9]);
  });

  it('contexts: the highest-gate positions with w tokens either side; ties → earlier sequence', () => {
    const [l0] = corpus({ contexts: 2, window: 1 }).report(text);
    if (l0.kind !== 'moe') throw new Error('layer 0 is MoE');
    // e0: gates .9 (a#0 pos 0), .7 (a#0 pos 2), .5 (a#1 pos 1) → the first two
    expect(l0.experts[0].contexts).toEqual([
      {
        gate: 0.9,
        source: 'a',
        sequence: 0,
        position: 0,
        ids: [5, 6],
        at: 0,
        before: '',
        token: '<5>',
        after: '<6>',
      },
      {
        gate: 0.7,
        source: 'a',
        sequence: 0,
        position: 2,
        ids: [6, 5],
        at: 1,
        before: '<6>',
        token: '<5>',
        after: '',
      },
    ]);
    // e1: .6 at a#0 pos 1 and .6 at a#1 pos 0 → the earlier sequence first
    expect(l0.experts[1].contexts.map((x) => [x.sequence, x.position, x.ids])).toEqual([
      [0, 1, [5, 6, 5]],
      [1, 0, [6, 5]],
    ]);
    // e2: .95 (b#0 pos 1) before .8 (pos 0)
    expect(l0.experts[2].contexts.map((x) => [x.gate, x.source, x.position])).toEqual([
      [0.95, 'b', 1],
      [0.8, 'b', 0],
    ]);
  });

  it('a token counts once per expert for shares; bad input is named', () => {
    const c = new CorpusAccumulator([{ kind: 'moe', numExperts: 2, topK: 2 }], ['x']);
    c.add({
      source: 0,
      ids: [1, 1],
      selected: [
        [
          [0, 1],
          [1, 0],
        ],
      ],
    });
    const [l] = c.report(String);
    if (l.kind !== 'moe') throw new Error('MoE');
    expect(l.experts.map((e) => e.load)).toEqual([0.5, 0.5]);
    expect(l.experts.map((e) => e.sources.x)).toEqual([1, 1]);
    // k/E = 1: every token takes both experts → no specialisation beyond uniform
    expect(l.specialisation.x).toBe(1);
    expect(l.experts[0].contexts).toEqual([]); // no gates: no contexts
    expect(c.hasGates).toBe(false);
    expect(() => c.add({ source: 0, ids: [1], selected: [[[2]]] })).toThrow(
      'corpus: layer 0 token 0: expert 2 out of range 0..1',
    );
    expect(() => c.add({ source: 3, ids: [1], selected: [[[0]]] })).toThrow(
      'corpus: source index 3 out of range 0..0',
    );
    expect(() => new CorpusAccumulator([], [], { top: -1 })).toThrow(
      'corpus: top must be a non-negative integer, got -1',
    );
  });

  it('windows of one sequence: one sequence, positions from the window offset; order-independent ties', () => {
    const c = new CorpusAccumulator([{ kind: 'moe', numExperts: 2, topK: 1 }], ['x'], {
      contexts: 3,
      window: 1,
    });
    // the second window (offset 2) is added first: ties still list the earlier position first
    c.add({
      source: 0,
      sequence: 0,
      offset: 2,
      ids: [7, 8],
      selected: [[[0], [1]]],
      gates: [[[0.5], [1]]],
    });
    c.add({
      source: 0,
      sequence: 0,
      offset: 0,
      ids: [5, 6],
      selected: [[[0], [0]]],
      gates: [[[0.5], [0.25]]],
    });
    expect(c.sourceSequences).toEqual([1]);
    expect(c.sourceTokens).toEqual([4]);
    const [l] = c.report(String);
    if (l.kind !== 'moe') throw new Error('MoE');
    expect(l.experts[0].contexts.map((x) => [x.gate, x.position, x.ids, x.at])).toEqual([
      [0.5, 0, [5, 6], 0],
      [0.5, 2, [7, 8], 0],
      [0.25, 1, [5, 6], 1],
    ]);
  });

  it('contextWindows splits without overlap', () => {
    expect(contextWindows([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(contextWindows([1, 2], 2)).toEqual([[1, 2]]);
    expect(contextWindows([], 2)).toEqual([]);
  });
});
