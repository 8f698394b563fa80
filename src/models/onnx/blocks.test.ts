// Each ONNX building block run through onnxruntime-node against numbers computed by hand.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './builder';
import { applyRope, attention, denseExperts, rmsNorm, transpose2d } from './blocks';

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(g.build(), { executionProviders: ['cpu'] });
  const out = await s.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const f32 = (xs: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(xs), dims);
const i64 = (xs: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), dims);

describe('ONNX building blocks', () => {
  it('transpose2d turns [out × in] into [in × out]', () => {
    expect(Array.from(transpose2d(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rmsNorm: x / sqrt(mean(x²) + eps) · w', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 2]);
    const w = g.init('w', Float32Array.from([1, 2]), [2]);
    g.o('Identity', [rmsNorm(g, x, w, 0.5)], {}, 'y');
    g.output('y', 'float32', [1, 2]);
    // x = [3, 4]: mean(x²) = 12.5, + 0.5 = 13, sqrt = 3.6056; y = [3/3.6056·1, 4/3.6056·2] = [0.83205, 2.21880]
    const { y } = await run(g, { x: f32([3, 4], [1, 2]) });
    expect(y[0]).toBeCloseTo(0.83205, 4);
    expect(y[1]).toBeCloseTo(2.2188, 4);
  });

  it('applyRope rotates pairs (i, i + d/2) by position · inv_freq', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 4]);
    const cos = g.input('cos', 'float32', [1, 4]);
    const sin = g.input('sin', 'float32', [1, 4]);
    g.o('Identity', [applyRope(g, x, cos, sin, 4)], {}, 'y');
    g.output('y', 'float32', [1, 4]);
    // x = [1,2,3,4], angle θ0 = 0.5 for pair (0,2), θ1 = 0.1 for pair (1,3): HF cos/sin = cat(f, f)
    const c0 = Math.cos(0.5), s0 = Math.sin(0.5), c1 = Math.cos(0.1), s1 = Math.sin(0.1);
    const { y } = await run(g, { x: f32([1, 2, 3, 4], [1, 4]), cos: f32([c0, c1, c0, c1], [1, 4]), sin: f32([s0, s1, s0, s1], [1, 4]) });
    // rotate_half(x) = [-3, -4, 1, 2]; y = x·cos + rot·sin
    const want = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1];
    want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });

  it('attention: causal mask, GQA head sharing and KV-cache continuation agree with a hand computation', async () => {
    // D = 2, one KV head serving two query heads of size hd = 2 (rope θ huge → cos≈1, sin≈0 would
    // hide RoPE, so positions are 0 and 1 with θ = 1: angle = position for both pairs... keep hd=2: one pair).
    const build = (withPast: boolean) => {
      const g = new GraphBuilder('attn');
      const x = g.input('x', 'float32', [1, 'T', 2]);
      const pos = g.input('pos', 'int64', [1, 'T']);
      const id2 = (name: string, m: number[], dims: number[]) => g.init(name, Float32Array.from(m), dims);
      const q = id2('q', [1, 0, 1, 0, 0, 1, 0, 2], [2, 4]); // head0 = x, head1 = (x0, 2·x1)
      const k = id2('k', [1, 0, 0, 1], [2, 2]);
      const v = id2('v', [1, 0, 0, 1], [2, 2]);
      const o = id2('o', [1, 0, 0, 1, 1, 0, 0, 1], [4, 2]); // out = head0 + head1
      const past = withPast ? { key: g.input('pk', 'float32', [1, 1, 'P', 2]), value: g.input('pv', 'float32', [1, 1, 'P', 2]) } : undefined;
      const r = attention(g, x, pos, { q, k, v, o }, { numHeads: 2, numKvHeads: 1, headDim: 2, ropeTheta: 1 }, past);
      g.o('Identity', [r.out], {}, 'y');
      g.o('Identity', [r.key], {}, 'key');
      g.output('y', 'float32', [1, 'T', 2]);
      g.output('key', 'float32', [1, 1, 'S', 2]);
      return g;
    };
    // Hand reference in JS: RoPE with hd = 2 rotates (a, b) by the position angle.
    const rope = (a: number, b: number, p: number) => [a * Math.cos(p) - b * Math.sin(p), b * Math.cos(p) + a * Math.sin(p)];
    const xs = [
      [1, 0],
      [0, 1],
    ];
    const keys = xs.map((x, p) => rope(x[0], x[1], p));
    const ref = (t: number) => {
      let out = [0, 0];
      for (const scale of [1, 2]) {
        const qv = rope(xs[t][0], scale * xs[t][1], t);
        const sc = keys.slice(0, t + 1).map((kv) => (qv[0] * kv[0] + qv[1] * kv[1]) / Math.SQRT2);
        const mx = Math.max(...sc);
        const ex = sc.map((s) => Math.exp(s - mx));
        const z = ex.reduce((a, b) => a + b, 0);
        const ctx = [0, 1].map((d) => ex.reduce((a, w, j) => a + (w / z) * xs[j][d], 0));
        out = [out[0] + ctx[0], out[1] + ctx[1]];
      }
      return out;
    };
    const full = await run(build(false), { x: f32([1, 0, 0, 1], [1, 2, 2]), pos: i64([0, 1], [1, 2]) });
    // token 0 sees only itself: ctx = x0 for both heads → [2, 0]
    expect(Array.from(full.y.slice(0, 2))).toEqual([2, 0]);
    const r1 = ref(1);
    expect(full.y[2]).toBeCloseTo(r1[0], 5);
    expect(full.y[3]).toBeCloseTo(r1[1], 5);
    // The same second token computed incrementally on top of the first token's cache.
    const step = await run(build(true), { x: f32([0, 1], [1, 1, 2]), pos: i64([1], [1, 1]), pk: f32(Array.from(full.key.slice(0, 2)), [1, 1, 1, 2]), pv: f32([1, 0], [1, 1, 1, 2]) });
    expect(step.y[0]).toBeCloseTo(r1[0], 5);
    expect(step.y[1]).toBeCloseTo(r1[1], 5);
  });

  it('denseExperts: Σ_e gate_e · w2(silu(w1 x) · w3 x) and per-expert norms', async () => {
    const g = new GraphBuilder('moe');
    const x = g.input('x', 'float32', [1, 1, 1]);
    const gates = g.input('g', 'float32', [1, 1, 2]);
    // D = 1, I = 1, E = 2: expert 0 has w1 = 1, w3 = 2, w2 = 3; expert 1 has w1 = -1, w3 = 1, w2 = 1.
    const w1 = g.init('w1', Float32Array.from([1, -1]), [1, 2]);
    const w3 = g.init('w3', Float32Array.from([2, 1]), [1, 2]);
    const w2 = g.init('w2', Float32Array.from([3, 1]), [2, 1, 1]);
    const r = denseExperts(g, x, gates, { w1, w3, w2 }, 2, 1, 1);
    g.o('Identity', [r.out], {}, 'y');
    g.o('Identity', [r.norms], {}, 'n');
    g.output('y', 'float32', [1, 1, 1]);
    g.output('n', 'float32', [1, 1, 2]);
    const silu = (z: number) => z / (1 + Math.exp(-z));
    // x = 2: e0 = 3·silu(2)·4 = 21.1383; e1 = 1·silu(-2)·2 = -0.47681
    const e0 = 3 * silu(2) * 4;
    const e1 = silu(-2) * 2;
    const out = await run(g, { x: f32([2], [1, 1, 1]), g: f32([0.75, 0.25], [1, 1, 2]) });
    expect(out.y[0]).toBeCloseTo(0.75 * e0 + 0.25 * e1, 4);
    expect(out.n[0]).toBeCloseTo(Math.abs(e0), 4);
    expect(out.n[1]).toBeCloseTo(Math.abs(e1), 5);
  });
});
