import { describe, expect, it } from 'vitest';
import { contiguousPlacement, deviceLoads, llep } from './parallel';

describe('expert parallelism', () => {
  it('contiguous placement, custom placement and device loads', () => {
    expect(contiguousPlacement(6, 3)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(contiguousPlacement(6, 4)).toEqual([0, 0, 1, 2, 2, 3]);
    expect(deviceLoads([10, 10, 12, 8], contiguousPlacement(4, 2), 2)).toEqual({
      loads: [20, 20],
      maxOverMean: 1,
    });
    // custom: experts 0 and 2 on device 1, 1 and 3 on device 0 → [10+8, 10+12] = [18, 22]; mean 20 → 1.1
    expect(deviceLoads([10, 10, 12, 8], [1, 0, 1, 0], 2)).toEqual({
      loads: [18, 22],
      maxOverMean: 1.1,
    });
    expect(() => deviceLoads([1, 2], [0, 2], 2)).toThrow(
      'expert 1 placed on device 2, outside 0..1',
    );
  });

  it('LLEP keeps plain EP below max/mean 1.3', () => {
    // [12, 8] + [10, 10] → loads [20, 20]: 1.0 < 1.3
    const p = llep([12, 8, 10, 10], contiguousPlacement(4, 2), 2);
    expect(p.plainEP).toBe(true);
    expect(p.transfers).toBe(0);
    expect(p.plan[0]).toEqual({ expert: 0, parts: [{ device: 0, tokens: 12 }] });
  });

  it('LLEP rebalances a skewed load (hand-worked)', () => {
    // loads [60,10,10,10,5,5] on 3 devices (experts 0,1 | 2,3 | 4,5): EP [70, 20, 10], mean 100/3,
    // max/mean 2.1 ≥ 1.3 → plan with cap = 1.1 · 100/3 = 36.67. Descending load: e0, e1, e2, e3, e4, e5.
    // e0 (native d0): 36.67 on d0, rest 23.33 → least loaded d1 (0; ties → lower id) → transfer 1.
    // e1 (native d0, full): 10 → least loaded d2 (0) → transfer 2.
    // e2 (native d1 at 23.33): 10 fits → d1 = 33.33.
    // e3 (native d1): 3.33 fits, 6.67 → least loaded d2 (10) → transfer 3; d2 = 16.67.
    // e4, e5 (native d2): 5 + 5 → d2 = 26.67.   loads [36.67, 36.67, 26.67], max/mean 1.1
    const p = llep([60, 10, 10, 10, 5, 5], contiguousPlacement(6, 3), 3);
    expect(p.plainEP).toBe(false);
    expect(p.ep.loads).toEqual([70, 20, 10]);
    expect(p.ep.maxOverMean).toBeCloseTo(2.1, 12); // 70 / (100/3)
    p.loads.forEach((v, i) => expect(v).toBeCloseTo([110 / 3, 110 / 3, 80 / 3][i], 9));
    expect(p.maxOverMean).toBeCloseTo(1.1, 9);
    expect(p.transfers).toBe(3);
    expect(p.plan[0].parts.map((x) => x.device)).toEqual([0, 1]);
    expect(p.plan[0].parts[1].tokens).toBeCloseTo(70 / 3, 9);
    expect(p.plan[1].parts).toEqual([{ device: 2, tokens: 10 }]);
    expect(p.plan[3].parts.map((x) => x.device)).toEqual([1, 2]);
    // every token is placed exactly once
    p.plan.forEach((x, e) =>
      expect(x.parts.reduce((a, b) => a + b.tokens, 0)).toBeCloseTo([60, 10, 10, 10, 5, 5][e], 9),
    );
  });

  it('LLEP with everything on one expert fills every device to the cap, then the least loaded', () => {
    // [30, 0, 0] on 3 devices: mean 10, cap 11. e0: 11 on d0; 11 → d1 (transfer); 8 → d2 (transfer)
    const p = llep([30, 0, 0], [0, 1, 2], 3);
    p.loads.forEach((v, i) => expect(v).toBeCloseTo([11, 11, 8][i], 9));
    expect(p.transfers).toBe(2);
  });
});
