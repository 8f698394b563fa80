// The playground's hand-written backward pass against central finite differences, for every
// router, every loss (task, aux, ERC) and the gate options (top-k renormalisation, capacity, noise).
import { describe, expect, it } from 'vitest';
import { createRng } from '../routing/rng';
import type { Balance, RouterKind } from './config';
import { LETTERS, sampleBatch, TOKEN_DIM, VOCAB } from './data';
import { forwardBackward, newGrads, type ForwardOptions } from './moe';
import { initParams, tensors, type MoeParams } from './params';

const T = 7;
const E = 4;

function setup(seed: number) {
  const rng = createRng(seed);
  const p = initParams({ E, d: 2, h: 3, C: 3 }, rng);
  // Biases start at zero: give them values so their gradients are exercised too.
  for (const w of p.experts)
    for (let i = 0; i < w.length; i++) if (w[i] === 0) w[i] = 0.3 * rng.normal();
  const { x, y } = sampleBatch('clusters', T, rng);
  for (let t = 0; t < T; t++) y[t] %= 3;
  const noise = new Float64Array(T * E).map(() => 0.2 * rng.normal());
  const delta = new Float64Array(E * 2).map(() => 1 + 0.1 * (2 * rng.next() - 1));
  return { p, x, y, noise, delta };
}

/** Largest |analytic − numeric| / max(1e-3, |numeric|) over every parameter. */
function worstError(
  p: MoeParams,
  x: Float64Array,
  y: Int32Array,
  o: ForwardOptions,
): { worst: number; norm: number } {
  const g = newGrads(p);
  const base = forwardBackward(p, x, y, T, o, g);
  const analytic = tensors(g);
  const choice = (r: typeof base) =>
    Array.from(r.assignment.sel).join() + '|' + Array.from(r.assignment.kept).join();
  let worst = 0;
  let norm = 0;
  const h = 1e-6;
  tensors(p).forEach((w, j) => {
    for (let i = 0; i < w.length; i++) {
      const v = w[i];
      w[i] = v + h;
      const up = forwardBackward(p, x, y, T, o, null);
      w[i] = v - h;
      const down = forwardBackward(p, x, y, T, o, null);
      w[i] = v;
      // A nudge that flips a discrete choice has no derivative: such a batch would be a bad test case.
      expect(choice(up)).toBe(choice(base));
      expect(choice(down)).toBe(choice(base));
      const num = (up.loss - down.loss) / (2 * h);
      norm = Math.max(norm, Math.abs(num));
      worst = Math.max(worst, Math.abs(analytic[j][i] - num) / Math.max(1e-3, Math.abs(num)));
    }
  });
  return { worst, norm };
}

const opts = (
  kind: RouterKind,
  balance: Balance,
  extra: Partial<ForwardOptions> = {},
): ForwardOptions => ({
  kind,
  k: 2,
  capacity: 0,
  renorm: false,
  balance,
  weight: balance === 'none' ? 0 : 0.7,
  noise: null,
  bias: null,
  ercDelta: null,
  hashSeed: 3,
  ...extra,
});

describe('playground MoE: gradients vs central finite differences', () => {
  const routers: RouterKind[] = ['softmax', 'sigmoid', 'expert-choice', 'kmeans', 'hash'];
  for (const kind of routers)
    for (const balance of ['none', 'aux', 'erc'] as Balance[])
      it(`${kind} router, ${balance === 'none' ? 'task loss' : balance === 'aux' ? 'task + α·aux loss' : 'task + β·ERC loss'}`, () => {
        const { p, x, y, delta } = setup(11);
        const o = opts(kind, balance, { ercDelta: balance === 'erc' ? delta : null });
        const r = forwardBackward(p, x, y, T, o, null);
        // The balance term is active on this batch (ERC's hinges and aux need learned router rows).
        if (balance === 'erc' && kind !== 'hash') expect(r.erc).toBeGreaterThan(0.01);
        if (balance === 'aux' && kind !== 'hash' && kind !== 'expert-choice')
          expect(r.aux).toBeGreaterThan(1);
        const { worst, norm } = worstError(p, x, y, o);
        expect(norm).toBeGreaterThan(1e-3); // the loss does depend on the parameters
        expect(worst).toBeLessThan(1e-5);
      });

  for (const kind of ['softmax', 'hash', 'expert-choice'] as RouterKind[])
    it(`${kind} router on the sequence task's token inputs (d = ${TOKEN_DIM}, ${VOCAB} classes), aux + ERC`, () => {
      const rng = createRng(4);
      const p = initParams({ E, d: TOKEN_DIM, h: 3, C: VOCAB }, rng);
      const { x, y } = sampleBatch('languages', T, rng);
      // one token one-hot plus its alphabet's one-hot per row
      expect(Array.from(x.subarray(0, TOKEN_DIM)).filter((v) => v === 1)).toHaveLength(2);
      expect(x.subarray(0, TOKEN_DIM).indexOf(1, VOCAB) - VOCAB).toBe(
        Math.floor(x.subarray(0, VOCAB).indexOf(1) / LETTERS),
      );
      for (const balance of ['aux', 'erc'] as Balance[]) {
        const delta = new Float64Array(E * TOKEN_DIM).map(() => 1 + 0.05 * (2 * rng.next() - 1));
        const o = opts(kind, balance, { ercDelta: balance === 'erc' ? delta : null });
        expect(worstError(p, x, y, o).worst).toBeLessThan(1e-5);
      }
    });

  for (const kind of ['softmax', 'sigmoid', 'kmeans'] as RouterKind[])
    it(`${kind}: renormalised top-2 gates, router noise, capacity 0.75 and loss-free bias`, () => {
      const { p, x, y, noise } = setup(5);
      const bias = Float64Array.from([0.05, -0.02, 0.01, 0]);
      const o = opts(kind, 'aux', { renorm: true, noise, capacity: 0.75, bias });
      const r = forwardBackward(p, x, y, T, o, null);
      expect(r.assignment.dropped).toBeGreaterThan(0); // the capacity did drop assignments
      expect(r.aux).toBeGreaterThan(1);
      expect(worstError(p, x, y, o).worst).toBeLessThan(1e-5);
    });
});
