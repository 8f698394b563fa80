// Routers that ignore the hidden state: hash (Hash Layers) and a seeded random table (THOR).
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { hash32 } from './static';
import { close, route } from '../testing';

const NI = -Infinity;
const Z = [2, 1, 0, -1];

/** murmur3 fmix32 again, in BigInt arithmetic mod 2^32: a second, independent computation. */
function fmix32(x: number): number {
  const M = 0xffffffffn;
  let h = BigInt(x >>> 0);
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  h ^= h >> 16n;
  return Number(h);
}

describe('hash', () => {
  it('hash32 is murmur3 fmix32', () => {
    // also checked against Python: 5 → 3423425485, 7 → 415870660, 42 → 142593372
    expect([5, 7, 42].map(hash32)).toEqual([3423425485, 415870660, 142593372]);
    for (const id of [0, 1, 2, 3, 100, 4095, 50256, 151645, 2 ** 31 - 1]) expect(hash32(id)).toBe(fmix32(id));
  });

  it('picks expert hash(id) mod E with gate 1, whatever the logits', () => {
    // 3423425485 mod 4 = 1 (…485: 85 mod 4 = 1); 415870660 mod 4 = 0 (60 mod 4 = 0)
    const r = route('hash', [Z, [0, 0, 0, 9], Z], undefined, { tokenIds: Int32Array.from([5, 5, 7]) });
    expect(r.sel).toEqual([[1], [1], [0]]);
    expect(r.gates).toEqual([[1], [1], [1]]);
  });

  it('is a function of the token id only: same id, same expert in any position and context', () => {
    const ids = [11, 42, 7, 42, 99, 11, 5, 42];
    const rows = ids.map((_, t) => [t, -t, (t * 7) % 3, 1 - t]);
    const a = route('hash', rows, undefined, { tokenIds: Int32Array.from(ids) });
    // same ids in another order, another block length and other logits
    const ids2 = [42, 5, 11, 3];
    const b = route('hash', ids2.map(() => [9, 0, 0, -9]), undefined, { tokenIds: Int32Array.from(ids2) });
    const want = (id: number) => [fmix32(id) % 4];
    ids.forEach((id, t) => expect(a.sel[t]).toEqual(want(id)));
    ids2.forEach((id, t) => expect(b.sel[t]).toEqual(want(id)));
  });

  it('a masked hash expert falls to the next unmasked one (cyclically)', () => {
    // id 5 → expert 1; masked → 2; 1 and 2 masked → 3; 1, 2, 3 masked → 0
    const run = (row: number[]) => route('hash', [row], undefined, { tokenIds: Int32Array.from([5]) }).sel[0];
    expect(run([0, NI, 0, 0])).toEqual([2]);
    expect(run([0, NI, NI, 0])).toEqual([3]);
    expect(run([0, NI, NI, NI])).toEqual([0]);
    expect(route('hash', [[NI, NI, NI, NI]], undefined, { tokenIds: Int32Array.from([5]) }).dropped).toEqual([1]);
  });

  it('needs token ids', () => {
    const p = createPolicy('hash', { native: { type: 'softmax_topk', topK: 2, normTopkProb: true }, numExperts: 4 });
    expect(p.needs.tokenIds).toBe(true);
    expect(() => p.route({ layer: 0, T: 1, E: 4, logits: Float32Array.from(Z) })).toThrow('hash routing needs token ids');
  });
});

describe('random', () => {
  const ids = Int32Array.from([1, 2, 3, 1, 4, 5, 6, 7]);
  const rows = Array.from({ length: 8 }, () => Z);

  it('is a reproducible table per seed: same seed same routing, another seed another table', () => {
    const a = route('random:k=2,seed=3', rows, undefined, { tokenIds: ids });
    expect(route('random:k=2,seed=3', rows, undefined, { tokenIds: ids })).toEqual(a);
    expect(route('random:k=2,seed=4', rows, undefined, { tokenIds: ids }).sel).not.toEqual(a.sel);
  });

  it('k distinct experts with uniform gates 1/k', () => {
    const a = route('random:k=2,seed=3', rows, undefined, { tokenIds: ids });
    for (const s of a.sel) expect(new Set(s).size).toBe(2);
    a.gates.forEach((g) => close(g, [0.5, 0.5]));
    const b = route('random:k=3,seed=3', rows, undefined, { tokenIds: ids });
    b.gates.forEach((g) => close(g, [1 / 3, 1 / 3, 1 / 3]));
  });

  it('depends on the token id only, not on the logits or the position', () => {
    const a = route('random:k=2,seed=3', rows, undefined, { tokenIds: ids });
    expect(a.sel[0]).toEqual(a.sel[3]); // id 1 at positions 0 and 3
    const other = route('random:k=2,seed=3', [[0, 0, 9, 0], [-5, 5, 0, 0]], undefined, { tokenIds: Int32Array.from([7, 1]) });
    expect(other.sel).toEqual([a.sel[7], a.sel[0]]);
  });

  it('spreads ids over all experts', () => {
    const many = Int32Array.from({ length: 400 }, (_, i) => i);
    const r = route('random:k=1,seed=0', Array.from({ length: 400 }, () => Z), undefined, { tokenIds: many });
    const c = [0, 0, 0, 0];
    r.sel.forEach((s) => c[s[0]]++);
    // 100 expected per expert; σ = √(400·¼·¾) = 8.7 → within ±40 by a wide margin
    for (const x of c) expect(Math.abs(x - 100)).toBeLessThan(40);
  });

  it('skips masked experts', () => {
    const r = route('random:k=2,seed=3', Array.from({ length: 8 }, () => [NI, 0, NI, 0]), undefined, { tokenIds: ids });
    for (const s of r.sel) expect(s.slice().sort()).toEqual([1, 3]);
  });
});
