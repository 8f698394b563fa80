// Row softmax / top-k helpers and the seeded RNG shared by every policy.
import { describe, expect, it } from 'vitest';
import { softmaxRows, topkRow } from './softmax';
import { createRng, mixSeed } from './rng';
import { close } from './testing';

const NI = -Infinity;

describe('softmaxRows and topkRow', () => {
  it('row-wise softmax; −∞ gets 0; an all −∞ row is all zeros', () => {
    // [2, 1, 0, −1] → [0.643914, 0.236883, 0.087144, 0.032059]; [0, −∞, ln 3, −∞] → [¼, 0, ¾, 0]
    const p = softmaxRows(Float32Array.from([2, 1, 0, -1, 0, NI, Math.log(3), NI, NI, NI, NI, NI]), 3, 4);
    close(p, [0.643914, 0.236883, 0.087144, 0.032059, 0.25, 0, 0.75, 0, 0, 0, 0, 0]);
  });

  it('is shift-invariant and stable for large logits', () => {
    close(softmaxRows(Float32Array.from([1002, 1001, 1000, 999]), 1, 4), [0.643914, 0.236883, 0.087144, 0.032059]);
  });

  it('topkRow: best first, ties to the lower index, −∞ never returned', () => {
    const x = Float32Array.from([1, 3, 3, NI, 2, 0, NI, NI]);
    expect(topkRow(x, 4, 0, 3)).toEqual([1, 2, 0]);
    expect(topkRow(x, 4, 0, 4)).toEqual([1, 2, 0]); // −∞ left out, so shorter than k
    expect(topkRow(x, 4, 1, 4)).toEqual([0, 1]);
  });
});

describe('rng', () => {
  it('is reproducible per seed, uniform in [0, 1), and seeds differ', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // mean of U(0, 1) is ½, σ of the mean = √(1/12/1000) = 0.0091
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.04);
    expect(createRng(8).next()).not.toBe(createRng(7).next());
  });

  it('normal has mean 0 and variance 1; mixSeed separates streams', () => {
    const r = createRng(3);
    const xs = Array.from({ length: 4000 }, () => r.normal());
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
    expect(Math.abs(m)).toBeLessThan(0.07); // σ of the mean = 1/√4000 = 0.016
    expect(Math.abs(v - 1)).toBeLessThan(0.1);
    expect(mixSeed(1, 0)).toBe(mixSeed(1, 0));
    expect(mixSeed(1, 0)).not.toBe(mixSeed(1, 1));
    expect(mixSeed(1, 0)).not.toBe(mixSeed(0, 1));
  });
});
