import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import { syntheticLayer } from './synthetic';

describe('syntheticLayer', () => {
  it('top-k without repeats, gates summing to 1, the best-logit expert first, seeded', () => {
    const a = syntheticLayer(createRng(7), 16, 4, 50, true);
    const b = syntheticLayer(createRng(7), 16, 4, 50, true);
    expect(a.selected).toEqual(b.selected);
    for (let t = 0; t < 50; t++) {
      expect(new Set(a.selected[t]).size).toBe(4);
      expect(a.gates[t].reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
      const row = Array.from(a.logits!.subarray(t * 16, (t + 1) * 16));
      expect(a.selected[t][0]).toBe(row.indexOf(Math.max(...row)));
      expect(a.gates[t][0]).toBeGreaterThanOrEqual(a.gates[t][3]);
    }
    expect(a.probs!.subarray(0, 16).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
  });

  it('skewed load: the busiest expert carries far more than the quietest', () => {
    const { selected } = syntheticLayer(createRng(1), 64, 8, 2000, false);
    const counts = new Array(64).fill(0);
    selected.flat().forEach((e) => counts[e]++);
    const sorted = [...counts].sort((x, y) => y - x);
    // uniform would be 250 per expert; the bias −log(rank+1) with σ = 1.5 noise concentrates it
    expect(sorted[0]).toBeGreaterThan(3 * 250);
    expect(sorted[63]).toBeLessThan(250 / 3);
  });
});
