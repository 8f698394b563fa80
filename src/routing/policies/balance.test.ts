// Loss-Free Balancing (balance-bias): a per-expert bias that steers selection only.
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { close, input, lists, loads, MIXTRAL } from '../testing';

/** MaxVio = (max load − ideal)/ideal, ideal = (tokens·k)/E */
function maxVio(sel: number[][], E: number, k: number): number {
  const ideal = (sel.length * k) / E;
  return (Math.max(...loads(sel, E)) - ideal) / ideal;
}

describe('balance-bias', () => {
  it('selects with z + b, gates with the unbiased softmax, updates b_e += u·sign(mean − load_e) per block', () => {
    const p = createPolicy('balance-bias:k=2,u=1,block=1', { native: MIXTRAL, numExperts: 3 });
    // block 1, b = 0: z = [2, 1, 0] → [0, 1]; gates e²/(e² + e) = 0.731059, 0.268941
    //   load [1, 1, 0], mean 2/3 → b = [−1, −1, +1]
    // block 2: z + b = [1, 0, 1] → [0, 2] (tie → lower index); gates unbiased e²/(e² + 1) = 0.880797, 0.119203
    //   load [1, 0, 1] → b = [−1 − 1, −1 + 1, 1 − 1] = [−2, 0, 0]
    const r = lists(p.route(input([[2, 1, 0], [2, 1, 0]])));
    expect(r.sel).toEqual([[0, 1], [0, 2]]);
    close(r.gates[0], [0.731059, 0.268941]);
    close(r.gates[1], [0.880797, 0.119203]);
    expect(Array.from(p.state(0)!.bias!)).toEqual([-2, 0, 0]);
    expect(p.state(1)).toBeUndefined(); // state is per layer
  });

  it('balances a hand-sized skewed stream: MaxVio 1 → 0 after one update', () => {
    // E = 2, k = 1, u = 0.4, block = 4; z_t = [d, 0], d = 0.2, 0.6, 1.0, 1.4 repeated: expert 0 always wins unbiased
    const p = createPolicy('balance-bias:k=1,u=0.4,block=4', { native: MIXTRAL, numExperts: 2 });
    const block = [[0.2, 0], [0.6, 0], [1.0, 0], [1.4, 0]];
    const r = lists(p.route(input([...block, ...block, ...block])));
    // block 1 (b = 0): all → e0, load [4, 0], ideal 2 → MaxVio (4 − 2)/2 = 1; b = [−0.4, +0.4]
    expect(r.sel.slice(0, 4)).toEqual([[0], [0], [0], [0]]);
    expect(maxVio(r.sel.slice(0, 4), 2, 1)).toBe(1);
    // block 2: d − 0.4 vs 0.4, i.e. d − 0.8 = [−0.6, −0.2, 0.2, 0.6] → [1, 1, 0, 0]; load [2, 2] → MaxVio 0, b unchanged
    expect(r.sel.slice(4, 8)).toEqual([[1], [1], [0], [0]]);
    expect(maxVio(r.sel.slice(4, 8), 2, 1)).toBe(0);
    expect(r.sel.slice(8, 12)).toEqual([[1], [1], [0], [0]]);
    close(p.state(0)!.bias!, [-0.4, 0.4], 6);
    expect(r.gates.flat()).toEqual(new Array(12).fill(1)); // k = 1: the unbiased renormalised gate is 1
  });

  it('lowers MaxVio over successive blocks of skewed random logits', () => {
    const p = createPolicy('balance-bias:k=1,u=0.05,block=16', { native: MIXTRAL, numExperts: 4 });
    let s = 1; // Park–Miller stream in [−1, 1)
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const vios: number[] = [];
    for (let b = 0; b < 30; b++) {
      const rows = Array.from({ length: 16 }, () => [1 + rnd(), rnd(), rnd(), rnd()]); // expert 0 favoured by +1
      vios.push(maxVio(lists(p.route(input(rows))).sel, 4, 1));
    }
    const late = vios.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(vios[0]).toBeGreaterThan(1); // unbiased, expert 0 takes more than twice its share of 4
    expect(late).toBeLessThan(vios[0] / 2);
    expect(p.state(0)!.bias![0]).toBeLessThan(0); // the favoured expert was pushed down
  });

  it('state() is a snapshot; reset() clears the bias and routing returns to unbiased', () => {
    const p = createPolicy('balance-bias:k=1,u=0.4,block=4', { native: MIXTRAL, numExperts: 2 });
    const block = [[0.2, 0], [0.6, 0], [1.0, 0], [1.4, 0]];
    p.route(input(block));
    const snap = p.state(0)!.bias!;
    snap[0] = 99;
    close(p.state(0)!.bias!, [-0.4, 0.4], 6);
    expect(lists(p.route(input(block))).sel).toEqual([[1], [1], [0], [0]]);
    p.reset();
    expect(p.state(0)).toBeUndefined();
    expect(lists(p.route(input(block))).sel).toEqual([[0], [0], [0], [0]]);
  });
});
