// RoPE scaling: ropeParams and the cos/sin graph of ropeTables against training/fixtures/rope/reference.json, the
// numbers of training/families/rope_reference.py (transformers' modeling_rope_utils semantics, float32 torch).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/builder';
import { applyRope, ropeTables } from '../onnx/blocks';
import { ropeParams, yarnGetMscale, type RopeParams } from './ropeScaling';

interface RefCase {
  name: string;
  config: Record<string, unknown>;
  head_dim: number;
  seq_len: number | null;
  dim: number;
  attention_factor: number;
  inv_freq: number[];
}
const REF: { cases: RefCase[] } = JSON.parse(
  readFileSync('training/fixtures/rope/reference.json', 'utf8'),
);
const refCase = (name: string) => REF.cases.find((c) => c.name === name)!;

/** max relative gap |a − b| / |b| */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
}

/** ropeTables through onnxruntime at positions [[p0, 1]]: the p = 1 token gives back inv_freq (atan2) and the factor. */
async function tablesAt(
  rope: RopeParams,
  headDim: number,
  p0: number,
): Promise<{ inv: number[]; factor: number }> {
  const g = new GraphBuilder('rope');
  const pos = g.input('pos', 'int64', [1, 2]);
  const { cos, sin } = ropeTables(g, pos, headDim, rope);
  g.o('Identity', [cos], {}, 'cos');
  g.o('Identity', [sin], {}, 'sin');
  g.output('cos', 'float32', [1, 2, rope.dim]);
  g.output('sin', 'float32', [1, 2, rope.dim]);
  const s = await ort.InferenceSession.create(g.build(), { executionProviders: ['cpu'] });
  const out = await s.run({
    pos: new ort.Tensor('int64', BigInt64Array.of(BigInt(p0), 1n), [1, 2]),
  });
  const c = out.cos.data as Float32Array;
  const sn = out.sin.data as Float32Array;
  const half = rope.dim / 2;
  const at = (i: number) => rope.dim + i; // token 1, channel i (the second half repeats the first)
  return {
    inv: Array.from({ length: half }, (_, i) => Math.atan2(sn[at(i)], c[at(i)])),
    factor: Math.hypot(c[at(0)], sn[at(0)]),
  };
}

describe('ropeParams against the PyTorch reference (modeling_rope_utils)', () => {
  for (const c of REF.cases) {
    it(`${c.name}: inverse frequencies within 1e-6 relative, attention factor within 1e-9`, () => {
      const r = ropeParams(c.config, c.head_dim);
      expect(r.dim).toBe(c.dim);
      expect(r.attentionFactor).toBeCloseTo(c.attention_factor, 9);
      // the sequence-dependent types: short / below-max frequencies here, the switch in the graph test below
      const longrope = c.seq_len !== null && r.long && c.seq_len > r.long.originalMaxPositions;
      const dynamicLong = r.dynamic && c.seq_len !== null && c.seq_len > r.dynamic.maxPositions;
      if (dynamicLong) return;
      expect(maxRel(longrope ? r.long!.invFreq : r.invFreq, c.inv_freq)).toBeLessThan(1e-6);
    });

    it(`${c.name}: ropeTables' cos/sin give the same frequencies and factor through onnxruntime`, async () => {
      const r = ropeParams(c.config, c.head_dim);
      const { inv, factor } = await tablesAt(r, c.head_dim, Math.max((c.seq_len ?? 2) - 1, 1));
      expect(maxRel(inv, c.inv_freq)).toBeLessThan(2e-5);
      expect(factor).toBeCloseTo(c.attention_factor, 5);
    });
  }

  it('chooses what a real checkpoint needs: DeepSeek-V3 yarn has factor 1 on cos/sin, gpt-oss does not truncate', () => {
    // DeepSeek-V3 puts mscale² on the softmax scale instead: mscale = mscale_all_dim = 1 → 0.1·ln 40 + 1
    expect(ropeParams(refCase('yarn deepseek-v3').config, 64).attentionFactor).toBe(1);
    expect(yarnGetMscale(40, 1)).toBeCloseTo(1.3688879454113936, 12);
    expect(yarnGetMscale(0.5, 1)).toBe(1);
    const oss = ropeParams(refCase('yarn gpt-oss').config, 64);
    expect(oss.attentionFactor).toBeCloseTo(0.1 * Math.log(32) + 1, 12);
    expect(oss.scaling).toMatchObject({
      rope_type: 'yarn',
      truncate: false,
      factor: 32,
      original_max_position_embeddings: 4096,
    });
  });

  it('records nothing for plain RoPE (older bundles stay byte-identical) and the resolved fields otherwise', () => {
    expect(ropeParams({ rope_theta: 500, max_position_embeddings: 8 }, 8).scaling).toBeUndefined();
    expect(
      ropeParams({ rope_theta: 500, rope_scaling: { rope_type: 'default' } }, 8).scaling,
    ).toBeUndefined();
    expect(ropeParams(refCase('default partial 0.5').config, 64).scaling).toEqual({
      rope_type: 'default',
      partial_rotary_factor: 0.5,
    });
    // Phi-3: original_max_position_embeddings at the top level, factor = 131072 / 4096 = 32
    const phi = ropeParams(refCase('longrope long').config, 128);
    expect(phi.scaling).toMatchObject({
      rope_type: 'longrope',
      factor: 32,
      original_max_position_embeddings: 4096,
    });
    expect(phi.long?.originalMaxPositions).toBe(4096);
    // rope_parameters (transformers v5): rope_theta inside the dict
    expect(ropeParams(refCase('yarn rope_parameters').config, 32).theta).toBe(500000);
    // the family default θ applies only when the config has none
    expect(ropeParams({ max_position_embeddings: 8 }, 8, 1e6).theta).toBe(1e6);
  });
});

describe('ropeParams refuses what it cannot build, naming config.json and the field', () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    [
      'unknown type',
      { rope_scaling: { rope_type: 'ntk-by-parts', factor: 2 } },
      8,
      'config.json: "rope_scaling.rope_type" "ntk-by-parts" is not supported (default, linear, dynamic, yarn, llama3, longrope)',
    ],
    [
      'old `type` key',
      { rope_scaling: { type: 'su' } },
      8,
      'config.json: "rope_scaling.type" "su" is not supported',
    ],
    [
      'missing factor',
      { rope_scaling: { rope_type: 'linear' } },
      8,
      'config.json: "rope_scaling.factor" must be a number, got undefined',
    ],
    [
      'factor not a number',
      { rope_parameters: { rope_type: 'yarn', factor: '4' }, max_position_embeddings: 64 },
      8,
      'config.json: "rope_parameters.factor" must be a number, got "4"',
    ],
    [
      'zero factor',
      { rope_scaling: { rope_type: 'dynamic', factor: 0 }, max_position_embeddings: 64 },
      8,
      'config.json: "rope_scaling.factor" must be > 0, got 0',
    ],
    [
      'dynamic without max',
      { rope_scaling: { rope_type: 'dynamic', factor: 2 } },
      8,
      'config.json: "max_position_embeddings" is needed by rope_type "dynamic" and is missing',
    ],
    [
      'llama3 without low_freq_factor',
      {
        rope_scaling: {
          rope_type: 'llama3',
          factor: 8,
          high_freq_factor: 4,
          original_max_position_embeddings: 16,
        },
      },
      8,
      'config.json: "rope_scaling.low_freq_factor" must be a number, got undefined',
    ],
    [
      'llama3 high ≤ low',
      {
        rope_scaling: {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 4,
          high_freq_factor: 1,
          original_max_position_embeddings: 16,
        },
      },
      8,
      'config.json: "rope_scaling.high_freq_factor" 1 must exceed low_freq_factor 4',
    ],
    [
      'longrope factors of the wrong length',
      {
        max_position_embeddings: 64,
        rope_scaling: { rope_type: 'longrope', short_factor: [1, 1, 1], long_factor: [1, 1, 1, 1] },
      },
      8,
      'config.json: "rope_scaling.short_factor" has 3 entries, expected 4 (rotary dim 8 / 2)',
    ],
    [
      'longrope factor list with a string',
      {
        max_position_embeddings: 64,
        rope_scaling: {
          rope_type: 'longrope',
          short_factor: [1, 1, 'x', 1],
          long_factor: [1, 1, 1, 1],
        },
      },
      8,
      'config.json: "rope_scaling.short_factor" must be a list of positive numbers',
    ],
    [
      'yarn truncate not a boolean',
      {
        max_position_embeddings: 64,
        rope_scaling: { rope_type: 'yarn', factor: 2, truncate: 'no' },
      },
      8,
      'config.json: "rope_scaling.truncate" must be true or false, got "no"',
    ],
    [
      'per-layer-type dicts',
      {
        rope_parameters: {
          sliding_attention: { rope_type: 'default' },
          full_attention: { rope_type: 'yarn' },
        },
      },
      8,
      'config.json: "rope_parameters" holds one entry per layer type (sliding_attention, full_attention): per-layer RoPE is not supported',
    ],
    [
      'rope_scaling not an object',
      { rope_scaling: 'yarn' },
      8,
      'config.json: "rope_scaling" must be an object, got "yarn"',
    ],
    [
      'odd rotary dim',
      { partial_rotary_factor: 0.5 },
      10,
      'config.json: head dim 10 × partial_rotary_factor 0.5 = 5 rotary channels: must be even and ≥ 2',
    ],
    [
      'bad rope_theta',
      { rope_theta: -1 },
      8,
      'config.json: "rope_theta" must be a positive number, got -1',
    ],
  ];
  for (const [what, config, hd, msg] of cases)
    it(what, () => expect(() => ropeParams(config, hd)).toThrow(msg));
});

describe('applyRope with partial_rotary_factor', () => {
  it('rotates the first rotDim channels and passes the rest through', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 6]);
    const cos = g.input('cos', 'float32', [1, 4]);
    const sin = g.input('sin', 'float32', [1, 4]);
    g.o('Identity', [applyRope(g, x, cos, sin, 4, 6)], {}, 'y');
    g.output('y', 'float32', [1, 6]);
    const c0 = Math.cos(0.5),
      s0 = Math.sin(0.5),
      c1 = Math.cos(0.1),
      s1 = Math.sin(0.1);
    const f32 = (xs: number[], dims: number[]) =>
      new ort.Tensor('float32', Float32Array.from(xs), dims);
    const s = await ort.InferenceSession.create(g.build(), { executionProviders: ['cpu'] });
    const y = (
      await s.run({
        x: f32([1, 2, 3, 4, 5, 6], [1, 6]),
        cos: f32([c0, c1, c0, c1], [1, 4]),
        sin: f32([s0, s1, s0, s1], [1, 4]),
      })
    ).y.data as Float32Array;
    // channels 0..3 as applyRope over 4 (rotate_half = [-3, -4, 1, 2]); 5 and 6 untouched
    const want = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1, 5, 6];
    want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
  });
});
