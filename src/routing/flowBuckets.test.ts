import { describe, expect, it } from 'vitest';
import { bucketFlows, flowBucketer } from './flowBuckets';
import { layerFlows } from './metrics/coactivation';
import { createRng } from './rng';
import { syntheticLayer } from './synthetic';

describe('bucketFlows', () => {
  // Hand-made: 6 experts, top-2, 5 tokens, 2 layers; top-2 experts per layer + "other".
  // layer 0 loads: e0 ×4, e1 ×3, e2 ×1, e3 ×1, e4 ×1 → shown [0, 1], other = {2..5} with 3 selections
  // layer 1 loads: e5 ×3, e4 ×3, e0 ×2, e1 ×1, e2 ×1 → shown [4, 5] (tie by id), other = 4 selections
  const L0 = [[0, 1], [0, 2], [1, 3], [0, 4], [0, 1]];
  const L1 = [[5, 4], [5, 0], [4, 1], [0, 2], [5, 4]];
  const run = [
    { layer: 3, E: 6, selected: L0 },
    { layer: 4, E: 6, selected: L1 },
  ];

  it('keeps the top-N experts per layer by load and puts the rest into "other"', () => {
    const { columns, flows } = bucketFlows(run, { topN: 2, allUpTo: 0 });
    expect(columns[0]).toEqual({ layer: 3, E: 6, experts: [0, 1], counts: [4, 3], other: 3, otherExperts: 4 });
    expect(columns[1]).toEqual({ layer: 4, E: 6, experts: [4, 5], counts: [3, 3], other: 4, otherExperts: 4 });
    // buckets: layer 0 → [0]=e0, [1]=e1, [2]=other; layer 1 → [0]=e4, [1]=e5, [2]=other
    // t0 {0,1}→{5,4}: e0→e5, e0→e4, e1→e5, e1→e4
    // t1 {0,2}→{5,0}: e0→e5, e0→o, o→e5, o→o
    // t2 {1,3}→{4,1}: e1→e4, e1→o, o→e4, o→o
    // t3 {0,4}→{0,2}: e0→o ×2, o→o ×2
    // t4 {0,1}→{5,4}: as t0
    expect(flows[0]).toEqual([
      [2, 3, 3], // e0 → e4, e5, other
      [3, 2, 1], // e1
      [1, 1, 4], // other
    ]);
    // the "other" row/column hold exactly the pairs of the hidden experts
    const full = layerFlows(L0, L1, 6);
    const hidden0 = [2, 3, 4, 5];
    const hidden1 = [0, 1, 2, 3];
    const sum = (as: number[], bs: number[]) => as.reduce((s, a) => s + bs.reduce((t, b) => t + full[a][b], 0), 0);
    expect(flows[0][2][2]).toBe(sum(hidden0, hidden1));
    expect(flows[0][0][2]).toBe(sum([0], hidden1));
    expect(flows[0].flat().reduce((a, b) => a + b, 0)).toBe(20); // 5 tokens × 2 × 2
  });

  it('shows every expert (no "other") when E is small, in id order', () => {
    const { columns, flows } = bucketFlows(run, { topN: 2 });
    expect(columns[0].experts).toEqual([0, 1, 2, 3, 4, 5]);
    expect(columns[0].other).toBe(0);
    expect(columns[0].otherExperts).toBe(0);
    const full = layerFlows(L0, L1, 6);
    expect(flows[0].map((r) => r.slice(0, 6)).slice(0, 6)).toEqual(full);
  });

  it('counts only the chosen tokens but keeps their experts visible', () => {
    const { columns, flows } = bucketFlows(run, { topN: 2, allUpTo: 0, tokens: [3], keep: (i) => (i === 0 ? L0[3] : L1[3]) });
    // layer 0 keeps e0 and e4 (token 3's experts) → shown [0, 4]
    expect(columns[0].experts).toEqual([0, 4]);
    expect(columns[0].counts).toEqual([1, 1]);
    expect(columns[0].other).toBe(0);
    expect(columns[1].experts).toEqual([0, 2]);
    expect(flows[0]).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('one unit per step gives the same buckets as one call', () => {
    const rng = createRng(3);
    const layers = Array.from({ length: 5 }, (_, l) => ({ layer: l, E: 40, selected: syntheticLayer(rng, 40, 4, 50, false).selected }));
    const b = flowBucketer(layers, { topN: 6 });
    let steps = 0;
    while (!b.step(() => true)) {
      expect(b.result()).toBeNull();
      steps++;
    }
    expect(steps + 1).toBe(9); // 5 columns + 4 pairs
    expect(b.progress()).toEqual({ done: 9, total: 9 });
    expect(b.result()).toEqual(bucketFlows(layers, { topN: 6 }));
    expect(bucketFlows([], { topN: 6 })).toEqual({ columns: [], flows: [] });
  });

  // (its time is measured by `npm run bench` in the page, not asserted here)
  it('aggregates 58 MoE layers × 2048 tokens × top-8 at E = 256 into 12 experts + other per layer', () => {
    const rng = createRng(7);
    const layers = Array.from({ length: 58 }, (_, l) => ({ layer: l + 3, E: 256, selected: syntheticLayer(rng, 256, 8, 2048, false).selected }));
    const { columns, flows } = bucketFlows(layers, { topN: 12 });
    expect(columns.every((c) => c.experts.length === 12 && c.otherExperts === 244)).toBe(true);
    for (const [i, f] of flows.entries()) {
      const total = f.flat().reduce((a, b) => a + b, 0);
      expect(total).toBe(2048 * 8 * 8);
      // row sums are each bucket's selections × 8 (every selection pairs with the next layer's 8)
      expect(f.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([...columns[i].counts, columns[i].other].map((c) => c * 8));
    }
  });
});
