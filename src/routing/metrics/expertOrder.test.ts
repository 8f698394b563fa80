import { describe, expect, it } from 'vitest';
import { coActivationCounts, expertOrder, orderById, orderByLoad, positionsOf, seriate } from './expertOrder';
import { coActivation } from './coactivation';
import { emptyTokenRouting, tokenRoutingFlat, tokenRoutingRows } from './routingFlat';
import { tokenRouting } from './routing';
import { createRng } from '../rng';

describe('coActivationCounts', () => {
  it('equals coActivation, flat', () => {
    const sel = [[0, 1], [0, 2], [3, 0], [1, 2], []];
    expect(Array.from(coActivationCounts(sel, 4))).toEqual(coActivation(sel, 4).flat());
  });
});

describe('expert orders', () => {
  it('by id and by load (busiest first, ties to the lower id)', () => {
    expect(orderById(4)).toEqual([0, 1, 2, 3]);
    expect(orderByLoad([3, 7, 3, 0, 9])).toEqual([4, 1, 0, 2, 3]);
    expect(positionsOf([4, 1, 0, 2, 3])).toEqual(Int32Array.from([2, 1, 3, 4, 0]));
  });

  it('by co-activation cluster: a hand-made run with two groups that fire together', () => {
    // Tokens pick {0,3,5} or {1,2,4} (ids interleaved on purpose), one token bridges 5 and 2,
    // expert 6 is never chosen. Loads: 0:4, 1:3, 2:5, 3:4, 4:3, 5:5, 6:0.
    const sel = [[0, 3], [0, 3], [3, 5], [5, 0], [0, 5], [3, 5], [1, 2], [2, 4], [4, 1], [1, 2], [4, 2], [5, 2]];
    const M = coActivationCounts(sel, 7);
    const order = seriate(M, 7);
    // Starts at the busiest (2 and 5 tie → 2); by cosine 2–1 = 2–4 = 2/√15 (tie → 1), 2–5 = 1/5;
    // 1 → 4 (1/√9); 4 has no unplaced partner → the busiest unplaced, 5; 5 → 0 (2/√20, tie with 3
    // → 0); 0 → 3; the unused expert 6 last.
    expect(order).toEqual([2, 1, 4, 5, 0, 3, 6]);
    expect(new Set(order.slice(0, 3))).toEqual(new Set([1, 2, 4]));
    expect(new Set(order.slice(3, 6))).toEqual(new Set([0, 3, 5]));
    const loads = [4, 3, 5, 4, 3, 5, 0];
    expect(expertOrder('cluster', loads, M)).toEqual(order);
    expect(expertOrder('load', loads, M)).toEqual([2, 5, 0, 3, 1, 4, 6]);
    expect(expertOrder('id', loads)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('is a permutation at 256 experts', () => {
    const rng = createRng(3);
    const sel = Array.from({ length: 300 }, () => {
      const s = new Set<number>();
      while (s.size < 8) s.add(Math.floor(rng.next() * 200));
      return [...s];
    });
    const order = seriate(coActivationCounts(sel, 256), 256);
    expect([...order].sort((a, b) => a - b)).toEqual(orderById(256));
  });
});

describe('tokenRoutingFlat', () => {
  it('gives the same numbers as tokenRouting on row arrays, masked experts included', () => {
    const rng = createRng(9);
    const T = 20;
    const E = 6;
    const z = Float32Array.from({ length: T * E }, () => rng.next() * 6 - 3);
    z[5] = -Infinity;
    for (let e = 0; e < E; e++) z[E + e] = -Infinity; // token 1 all masked
    const rows = Array.from({ length: T }, (_, t) => Array.from(z.subarray(t * E, (t + 1) * E)));
    expect(tokenRoutingFlat(z, T, E)).toEqual(tokenRouting(rows));
    // a chunk at a time gives the same
    const out = emptyTokenRouting(T);
    for (const [a, b] of [[0, 7], [7, 8], [8, 20]]) tokenRoutingRows(z, E, a, b, out);
    expect(out).toEqual(tokenRouting(rows));
  });
});
