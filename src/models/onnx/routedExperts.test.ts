// The routed-experts block against the dense block on the same weights (onnxruntime-node).
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './builder';
import { denseExperts } from './blocks';
import { routedExperts } from './routedExperts';
import { createRng } from '../../routing/rng';

const D = 6;
const I = 4;
const E = 4;
const T = 5;
const rng = createRng(7);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.5);
const w1 = Array.from({ length: E }, () => rand(D * I)); // each [D × I]
const w3 = Array.from({ length: E }, () => rand(D * I));
const w2 = Array.from({ length: E }, () => rand(I * D)); // each [I × D]

/** [D × E·I]: expert e's columns at e·I.. (the dense block's layout) */
function sideBySide(ws: Float32Array[]): Float32Array {
  const out = new Float32Array(D * E * I);
  ws.forEach((w, e) => {
    for (let d = 0; d < D; d++) for (let i = 0; i < I; i++) out[d * E * I + e * I + i] = w[d * I + i];
  });
  return out;
}

async function session(routed: boolean) {
  const g = new GraphBuilder('moe');
  const x = g.input('x', 'float32', [1, 'T', D]);
  const gates = g.input('gates', 'float32', [1, 'T', E]);
  const r = routed
    ? routedExperts(g, x, gates, w1.map((_, e) => ({ gate: g.init(`w1_${e}`, w1[e], [D, I]), up: g.init(`w3_${e}`, w3[e], [D, I]), down: g.init(`w2_${e}`, w2[e], [I, D]) })), D)
    : denseExperts(g, x, gates, { w1: g.init('w1', sideBySide(w1), [D, E * I]), w3: g.init('w3', sideBySide(w3), [D, E * I]), w2: g.init('w2', Float32Array.from(w2.flatMap((w) => Array.from(w))), [E, I, D]) }, E, I, D);
  g.o('Identity', [r.out], {}, 'out');
  g.o('Identity', [r.norms], {}, 'norms');
  g.output('out', 'float32', [1, 'T', D]);
  g.output('norms', 'float32', [1, 'T', E]);
  return ort.InferenceSession.create(g.build(), { executionProviders: ['cpu'] });
}

async function both(gates: number[][]) {
  const x = new ort.Tensor('float32', rand(T * D), [1, T, D]);
  const gt = new ort.Tensor('float32', Float32Array.from(gates.flat()), [1, T, E]);
  const [a, b] = await Promise.all([session(false), session(true)]);
  const dense = await a.run({ x, gates: gt });
  const routed = await b.run({ x, gates: gt });
  return { dense: { out: dense.out.data as Float32Array, norms: dense.norms.data as Float32Array }, routed: { out: routed.out.data as Float32Array, norms: routed.norms.data as Float32Array } };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('routedExperts', () => {
  it('equals the dense block for top-2 gates; norms where an expert ran, 0 elsewhere', async () => {
    // token 2 visits three experts, token 4 none (all gates 0): variable counts per expert.
    const gates = [
      [0.7, 0.3, 0, 0],
      [0, 0.6, 0, 0.4],
      [0.2, 0, 0.5, 0.3],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ];
    const { dense, routed } = await both(gates);
    expect(maxDiff(dense.out, routed.out)).toBeLessThan(1e-6);
    expect(Array.from(routed.out.subarray(4 * D, 5 * D))).toEqual(new Array(D).fill(0));
    gates.flat().forEach((gv, i) => {
      if (gv !== 0) expect(Math.abs(routed.norms[i] - dense.norms[i])).toBeLessThan(1e-6);
      else expect(routed.norms[i]).toBe(0);
    });
    expect(dense.norms[1 * E + 0]).toBeGreaterThan(0); // the dense block measured an unrouted expert
  });

  it('gates of 1 everywhere run every expert on every token: the dense norms', async () => {
    const { dense, routed } = await both(Array.from({ length: T }, () => new Array(E).fill(1)));
    expect(maxDiff(dense.norms, routed.norms)).toBeLessThan(1e-6);
    expect(maxDiff(dense.out, routed.out)).toBeLessThan(1e-5);
  });

  it('an expert no token visits costs nothing and breaks nothing (empty rows)', async () => {
    const { dense, routed } = await both(Array.from({ length: T }, () => [1, 0, 0, 0]));
    expect(maxDiff(dense.out, routed.out)).toBeLessThan(1e-6);
    expect(Array.from(routed.norms).filter((_, i) => i % E !== 0)).toEqual(new Array(T * (E - 1)).fill(0));
  });
});
