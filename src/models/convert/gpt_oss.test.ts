// gpt-oss: converter + split engine against the PyTorch reference of tiny-gpt_oss and its MXFP4 twin
// (training/families/gpt_oss.py: attention sinks, sliding window 4 on layers 0 and 2 with a 12-token
// case, q/k/v/o biases, head_dim 16 ≠ hidden/heads, YaRN rope, router bias, clamped SwiGLU experts with
// biases; the MXFP4 fixture ships *_blocks / *_scales and its reference runs on the dequantised values).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import {
  expectKvCacheMatches,
  expectMatchesReference,
  kvCacheGap,
  setupFamily,
} from './familyCheck.testing';
import { familyDir, maxAbsDiff, readCheckpoint } from './fixture';
import { convertBundle } from '.';
import { Checkpoint } from './checkpoint';
import { gptOssSpec } from './gpt_oss';
import { dequantMxfp4, Mxfp4Tensor } from './mxfp4';
import { writeSafetensors } from '../safetensors';
import { RouterWeights } from '../../gpu/routerWeights';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';

/** Max |Δ| to the fp32 reference, measured on this fixture (see the log line) with some room. */
// measured (router logits / logits): fp16 8.0e-3 / 1.6e-2, q8 6.0e-2 / 0.18, q4 1.57 / 2.51
const BOUNDS = {
  fp16: { router: 2e-2, logits: 5e-2 },
  q8: { router: 0.15, logits: 0.4 },
  q4: { router: 2.5, logits: 3.5 },
};

const r = setupFamily('gpt_oss');
const q = setupFamily('gpt_oss-mxfp4');
const config = () =>
  JSON.parse(JSON.stringify(readCheckpoint(`${familyDir('gpt_oss')}/hf`).config)) as Record<
    string,
    unknown
  >;

describe('gpt_oss converter', () => {
  it('describes the layers, the router and the rope as the config says', () => {
    const m = r.bundle.manifest;
    expect(m.architecture).toBe('gpt_oss');
    expect(m.headDim).toBe(16);
    expect(m.layers.map((l) => l.kind)).toEqual(['moe', 'moe', 'moe']);
    expect(m.router).toEqual({ type: 'topk_softmax', topK: 2 });
    expect(m.ropeTheta).toBe(150000);
    const s = gptOssSpec(config());
    expect(s.sliding).toEqual([true, false, true]);
    expect(s.window).toBe(4);
    expect([s.swigluAlpha, s.swigluLimit]).toEqual([1.702, 7]);
    // YaRN: attention factor 0.1·ln(32) + 1; correction range low = 16·ln(4096 / (32·2π)) / (2·ln 150000) =
    // 2.023195, high = 16·ln(4096 / 2π) / (2·ln 150000) = 4.349506 (not floored/ceiled: truncate false)
    expect(s.rope.attentionFactor).toBeCloseTo(1.34657359, 7);
    const base = (i: number) => 1 / Math.pow(150000, (2 * i) / 16);
    expect(s.rope.invFreq[0]).toBeCloseTo(base(0), 7); // ramp 0: extrapolated (kept)
    expect(s.rope.invFreq[7]).toBeCloseTo(base(7) / 32, 9); // ramp 1: interpolated (÷ factor)
    const ramp3 = (3 - 2.023195) / (4.349506 - 2.023195); // 0.419894: pair 3 is 42 % interpolated
    expect(s.rope.invFreq[3] / base(3)).toBeCloseTo((1 / 32) * ramp3 + (1 - ramp3), 5);
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('matches the PyTorch reference within 1e-4 from MXFP4 experts, dequantised on read', () => {
    expectMatchesReference(q.errors);
    // the two fixtures differ only by the experts' quantisation: the first layer routes alike, the logits differ
    expect(q.ref.cases[0].router_logits[0]).toEqual(r.ref.cases[0].router_logits[0]);
    expect(q.ref.cases[0].logits).not.toEqual(r.ref.cases[0].logits);
  });

  it('decodes with the KV cache as a full pass does, past the sliding window', async () => {
    // prefix 8 > window 4, then 4 decode steps: each sliding layer must drop cached keys by position
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
    const { gap, sameSelections } = await kvCacheGap(q.lab, q.ref.cases[0].input_ids, 3);
    expect(gap).toBeLessThan(1e-4);
    expect(sameSelections).toBe(true);
  });

  it('stores the router bias in routers.bin, so logits re-computed in JS (repeat) include it', () => {
    const m = r.bundle.manifest;
    expect(m.routerWeights.layers.every((l) => l.bias !== undefined)).toBe(true);
    const rw = new RouterWeights(m, r.bundle.files.get('routers.bin')!);
    const ck = readCheckpoint(`${familyDir('gpt_oss')}/hf`);
    expect(Array.from(rw.weight(1))).toEqual(
      Array.from(ck.get('model.layers.1.mlp.router.weight')),
    );
    expect(Array.from(rw.bias(1)!)).toEqual(Array.from(ck.get('model.layers.1.mlp.router.bias')));
    // W·0 + b = b: the JS logits of a zero state are the bias
    expect(Array.from(rw.logits(1, new Float32Array(32), 1))).toEqual(Array.from(rw.bias(1)!));
  });

  it.each(['fp16', 'q8', 'q4'] as const)(
    'stores MXFP4 experts as %s within measured bounds of the reference',
    async (dtype) => {
      const b = await convertBundle(readCheckpoint(`${familyDir('gpt_oss-mxfp4')}/hf`), {
        id: `tiny-gpt_oss-${dtype}`,
        dtype,
      });
      expect(b.manifest.dtype).toBe(dtype);
      const lab = await Lab.open(ort as unknown as Ort, b, ['cpu'], 'node');
      const c = q.ref.cases[0];
      const p = await lab.pass(c.input_ids, 'native', [], dtype, {});
      const router = Math.max(
        ...p.events.map((e) => maxAbsDiff(e.routerLogits, c.router_logits[e.layer]!.flat())),
      );
      const logits = maxAbsDiff(p.logits, c.logits.flat());
      console.log(
        `gpt_oss-mxfp4 ${dtype}: router logits ${router.toExponential(2)}, logits ${logits.toExponential(2)}`,
      );
      expect(router).toBeGreaterThan(0);
      expect(router).toBeLessThan(BOUNDS[dtype].router);
      expect(logits).toBeLessThan(BOUNDS[dtype].logits);
    },
  );
});

describe('gpt_oss MXFP4 decoding', () => {
  it('decodes e2m1 codes low nibble first, scaled by 2^(s − 127)', () => {
    const blocks = new Uint8Array(16);
    blocks[0] = 0x72; // codes 2 (1.0) then 7 (6.0)
    blocks[1] = 0xf9; // codes 9 (−0.5) then 15 (−6.0)
    blocks[15] = 0x08; // code 8 (−0) then 0 (+0)
    const out = dequantMxfp4(blocks, Uint8Array.of(129), 'x');
    expect(Array.from(out.subarray(0, 4))).toEqual([4, 24, -2, -24]);
    expect(Object.is(out[30], -0)).toBe(true);
    expect(out[31]).toBe(0);
    expect(
      dequantMxfp4(Uint8Array.of(0x11, ...new Array(15).fill(0)), Uint8Array.of(0), 'x')[0],
    ).toBe(0.5 * 2 ** -127);
  });

  it('refuses MXFP4 tensors that are not U8, naming the tensor', () => {
    const st = writeSafetensors({
      x_blocks: { data: new Float32Array(16), shape: [1, 1, 1, 16] },
      x_scales: { data: new Float32Array(1), shape: [1, 1, 1] },
    });
    const files = new Map<string, Uint8Array>([
      ['config.json', new TextEncoder().encode('{}')],
      ['model.safetensors', st],
      ['tokenizer.json', new Uint8Array(0)],
    ]);
    const ck = Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });
    expect(() => new Mxfp4Tensor(ck, 'x', 1, 1, 32)).toThrow(
      'tensor "x_blocks" has dtype F32, expected U8 (MXFP4)',
    );
    expect(() => new Mxfp4Tensor(ck, 'x', 1, 1, 48)).toThrow(
      "x_blocks: MXFP4 needs a multiple of 32 values per row, the checkpoint's rows have 48",
    );
  });

  it('refuses a NaN scale and a block/scale mismatch, naming the tensor', () => {
    expect(() => dequantMxfp4(new Uint8Array(16), Uint8Array.of(255), 'tensor "a_scales"')).toThrow(
      'tensor "a_scales": scale of block 0 is 255 (NaN in e8m0)',
    );
    expect(() => dequantMxfp4(new Uint8Array(15), Uint8Array.of(127), 'tensor "a_scales"')).toThrow(
      'tensor "a_scales": 15 block bytes for 1 scales (expected 16 per scale)',
    );
  });
});

describe('gpt_oss refusals', () => {
  const refuses = (patch: Record<string, unknown>, msg: string) =>
    expect(() => gptOssSpec({ ...config(), ...patch })).toThrow(msg);

  it('refuses bad layer_types, sliding_window, quantisation and top-k', () => {
    refuses(
      { layer_types: ['sliding_attention', 'full_attention'] },
      'config.json: "layer_types" must list 3 entries (num_hidden_layers), each "sliding_attention" or "full_attention", got ["sliding_attention","full_attention"]',
    );
    refuses(
      { layer_types: ['sliding_attention', 'chunked_attention', 'full_attention'] },
      '"layer_types" must list 3 entries',
    );
    refuses(
      { sliding_window: 0 },
      'config.json: "sliding_window" must be a positive integer for the "sliding_attention" layers, got 0',
    );
    refuses(
      { quantization_config: { quant_method: 'fp8' } },
      'config.json: "quantization_config.quant_method" "fp8" is not supported (gpt_oss: "mxfp4" or unquantised)',
    );
    refuses(
      { num_experts_per_tok: 7 },
      'config.json: num_experts_per_tok 7 exceeds num_local_experts 6',
    );
    refuses({ swiglu_limit: -1 }, 'config.json: "swiglu_limit" must be > 0, got -1');
    refuses(
      { rope_scaling: { rope_type: 'yarn', factor: 'x' } },
      'config.json: "rope_scaling.factor" must be a number, got "x"',
    );
  });

  it('takes HF’s defaults when the config leaves them out', () => {
    const c = config();
    for (const k of ['layer_types', 'rope_scaling', 'rope_theta', 'sliding_window', 'swiglu_limit'])
      delete c[k];
    const s = gptOssSpec(c);
    expect(s.sliding).toEqual([true, false, true]);
    expect(s.window).toBe(128);
    expect(s.theta).toBe(150000);
    expect(s.rope.type).toBe('yarn');
    expect(s.rope.attentionFactor).toBeCloseTo(1.34657359, 7);
  });

  it('names the expert tensor that is missing or malformed', async () => {
    const ck = readCheckpoint(`${familyDir('gpt_oss-mxfp4')}/hf`, { intermediate_size: 64 });
    await expect(convertBundle(ck, { id: 'x' })).rejects.toThrow(
      'tensor "model.layers.0.mlp.experts.gate_up_proj_bias" has shape [6, 64], expected [6, 128]',
    );
    // the float checkpoint without layer 0's gate_up_proj
    const dir = `${familyDir('gpt_oss')}/hf`;
    const full = readCheckpoint(dir);
    const t: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const n of full.tensorNames())
      if (n !== 'model.layers.0.mlp.experts.gate_up_proj')
        t[n] = { data: full.get(n), shape: full.shape(n) };
    const files = new Map<string, Uint8Array>([
      ['config.json', new TextEncoder().encode(JSON.stringify(full.config))],
      ['model.safetensors', writeSafetensors(t)],
      ['tokenizer.json', readFileSync(`${dir}/tokenizer.json`)],
    ]);
    const missing = Checkpoint.fromFiles({
      get: (n) => files.get(n),
      names: () => [...files.keys()],
    });
    await expect(convertBundle(missing, { id: 'x' })).rejects.toThrow(
      'tensor "model.layers.0.mlp.experts.gate_up_proj" not found in the checkpoint, nor its MXFP4 form "model.layers.0.mlp.experts.gate_up_proj_blocks" / "_scales"',
    );
  });
});
