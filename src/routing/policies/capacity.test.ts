// Policies that cap or assign expert load across the block: capacity (Switch/DeepSpeed) and
// expert choice (Zhou et al. 2022).
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { close, input, loads, MIXTRAL, route } from '../testing';
import type { Routing } from '../types';

const NI = -Infinity;

describe('capacity', () => {
  it('k = 1: at most C = ceil(cf·T·k/E) tokens per expert, overflow dropped in token order', () => {
    // T = 4, E = 2, k = 1, cf = 1 → C = ceil(1·4·1/2) = 2; tokens 0–2 prefer expert 0
    const r = route('capacity:k=1,cf=1', [[1, 0], [1, 0], [1, 0], [0, 1]]);
    expect(r.sel).toEqual([[0], [0], [], [1]]); // the third token asking for expert 0 is turned away
    expect(r.dropped).toEqual([0, 0, 1, 0]);
    expect(r.gates).toEqual([[1], [1], [], [1]]);
  });

  it('k = 2: kept gates stay as top-k renormalised (not renormalised again); a token loses one or both', () => {
    // T = 4, E = 4, k = 2, cf = 1 → C = ceil(1·4·2/4) = 2
    // t0 [2, 1, 0, −1] → [0, 1]  gates e²/(e² + e) = 0.731059, 0.268941   load e0 1, e1 1
    // t1 [2, 0, 1, −1] → [0, 2]  same gates                                load e0 2, e2 1
    // t2 [2, 1, 0, −1] → [0, 1]  e0 full → only e1 (gate 0.268941 kept)    load e1 2
    // t3 [1, 2, 0, −1] → [1, 0]  e1 full, e0 full → nothing, dropped
    const r = route('capacity:k=2,cf=1', [[2, 1, 0, -1], [2, 0, 1, -1], [2, 1, 0, -1], [1, 2, 0, -1]]);
    expect(r.sel).toEqual([[0, 1], [0, 2], [1], []]);
    close(r.gates[0], [0.731059, 0.268941]);
    close(r.gates[1], [0.731059, 0.268941]);
    close(r.gates[2], [0.268941]);
    expect(r.dropped).toEqual([0, 0, 0, 1]);
    expect(loads(r.sel, 4)).toEqual([2, 2, 1, 0]);
  });

  it('a smaller capacity factor drops more: cf = 0.5 → C = 1', () => {
    // C = ceil(0.5·4·1/2) = 1
    const r = route('capacity:k=1,cf=0.5', [[1, 0], [1, 0], [0, 1], [0, 1]]);
    expect(r.sel).toEqual([[0], [], [1], []]);
    expect(r.dropped).toEqual([0, 1, 0, 1]);
  });

  it('reports C, exact even when cf·T·k/E is not exact in binary (1.1·25·2/5 = 11)', () => {
    // 1.1·25·2/5 = 55/5 = 11 exactly, so C = 11 (floating point gives 11.000000000000002)
    const T = 25;
    const rows = Array.from({ length: T }, () => [5, 4, 0, 0, 0]); // everyone wants [0, 1]
    const r = createPolicy('capacity:k=2,cf=1.1', { native: MIXTRAL, numExperts: 5 }).route(input(rows)) as Routing & { capacity: number };
    expect(r.capacity).toBe(11);
    const c = new Array(5).fill(0);
    for (const e of r.experts) c[e]++;
    expect(c).toEqual([11, 11, 0, 0, 0]);
    expect(Array.from(r.dropped)).toEqual([...new Array(11).fill(0), ...new Array(14).fill(1)]);
  });

  it('with enough capacity it equals renormalised top-k', () => {
    const rows = [[2, 1, 0, -1], [0, 3, 1, -2], [-1, -1, 5, -3]];
    expect(route('capacity:k=2,cf=4', rows)).toEqual(route('topk:k=2', rows));
  });
});

describe('expert-choice', () => {
  // E = 2, p(e0) per token: [2, 0] → 0.880797, [1, 0] → 0.731059, [0, 0] → 0.5, [0, 1] → 0.268941
  // p(e1) = 1 − p(e0) = [0.119203, 0.268941, 0.5, 0.731059]
  const rows = [[2, 0], [1, 0], [0, 0], [0, 1]];

  it('each expert takes exactly its quota q = round(c·T/E) of highest-p tokens; gates = p', () => {
    // c = 1 → q = round(4/2) = 2: e0 takes t0, t1; e1 takes t3, t2
    const r = route('expert-choice:c=1', rows);
    expect(r.sel).toEqual([[0], [0], [1], [1]]);
    close(r.gates.flat(), [0.880797, 0.731059, 0.5, 0.731059]);
    expect(loads(r.sel, 2)).toEqual([2, 2]);
  });

  it('a token may get several experts (best first) or none (dropped)', () => {
    // c = 2 → q = 4: both experts take every token; t2 ties 0.5/0.5 → lower expert first
    const all = route('expert-choice:c=2', rows);
    expect(all.sel).toEqual([[0, 1], [0, 1], [0, 1], [1, 0]]);
    close(all.gates[0], [0.880797, 0.119203]);
    close(all.gates[3], [0.731059, 0.268941]);
    // c = 0.5 → q = round(1) = 1: e0 takes t0, e1 takes t3; t1 and t2 get nothing
    const few = route('expert-choice:c=0.5', rows);
    expect(few.sel).toEqual([[0], [], [], [1]]);
    expect(few.dropped).toEqual([0, 1, 1, 0]);
  });

  it('ties between tokens go to the earlier token', () => {
    // all p = ½; q = 2 → both experts take t0 and t1
    const r = route('expert-choice:c=1', [[0, 0], [0, 0], [0, 0], [0, 0]]);
    expect(r.sel).toEqual([[0, 1], [0, 1], [], []]);
  });

  it('an expert never takes a token that masks it', () => {
    // e0 is masked for t0, t1 → it takes t2, t3 (p = ½); e1 has p = [1, 1, ½, ½] → t0, t1
    const r = route('expert-choice:c=1', [[NI, 0], [NI, 0], [0, 0], [0, 0]]);
    expect(r.sel).toEqual([[1], [1], [0], [0]]);
  });

  it('quota for uneven c·T/E: T = 6, E = 4, c = 1 → round(1.5) = 2; T = 10, c = 1.3 → round(3.25) = 3', () => {
    const mk = (T: number) => Array.from({ length: T }, (_, t) => [Math.sin(t), Math.cos(t), 0.3 * t - 1, -0.2 * t]);
    expect(loads(route('expert-choice:c=1', mk(6)).sel, 4)).toEqual([2, 2, 2, 2]);
    expect(loads(route('expert-choice:c=1.3', mk(10)).sel, 4)).toEqual([3, 3, 3, 3]);
  });

  it('is flagged non-causal: a later token changes an earlier token’s experts', () => {
    expect(createPolicy('expert-choice', { native: MIXTRAL, numExperts: 2 }).causal).toBe(false);
    for (const name of ['topk', 'capacity', 'topp', 'dense', 'null']) expect(createPolicy(name, { native: MIXTRAL, numExperts: 2 }).causal).toBe(true);
    // T = 2, E = 2, c = 1 → q = 1. [[1, 0], [0, 0]]: e0 p = [0.731, 0.5] → t0; e1 p = [0.269, 0.5] → t1
    expect(route('expert-choice:c=1', [[1, 0], [0, 0]]).sel).toEqual([[0], [1]]);
    // change token 1 to [3, 0]: e0 p = [0.731, 0.953] → t1; e1 p = [0.269, 0.047] → t0
    expect(route('expert-choice:c=1', [[1, 0], [3, 0]]).sel).toEqual([[1], [0]]);
  });
});
