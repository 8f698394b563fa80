import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle } from '.';
import { FIXTURE_DIR, maxAbsDiff, readCheckpoint, readReference } from './fixture';
import { validateManifest } from '../manifest';
import { Checkpoint } from './checkpoint';
import { sha256Hex } from '../hash';

describe('Mixtral converter', () => {
  it('writes a valid bundle whose sha256s match and whose fused graph reproduces the PyTorch logits', async () => {
    const b = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx' });
    const m = validateManifest(JSON.parse(JSON.stringify(b.manifest)));
    expect(m.layers).toHaveLength(3);
    expect(m.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: true });
    for (const f of m.files) expect(await sha256Hex(b.files.get(f.path)!)).toBe(f.sha256);
    const fused = await ort.InferenceSession.create(b.files.get('fused.onnx')!, { executionProviders: ['cpu'] });
    for (const c of readReference().cases) {
      const T = c.input_ids.length;
      const out = await fused.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(c.input_ids.map(BigInt)), [1, T]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(c.input_ids.map((_, i) => BigInt(i))), [1, T]),
      });
      expect(maxAbsDiff(out.logits.data as Float32Array, c.logits.flat())).toBeLessThan(1e-4);
    }
  });

  it('gives identical graphs for the per-expert layout and the fused, sharded v5 layout', async () => {
    const a = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
    const b = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf-fused`), { id: 'fx', fused: false });
    for (const f of a.manifest.files) if (f.path.endsWith('.onnx') || f.path.endsWith('.bin')) expect(b.manifest.files.find((g) => g.path === f.path)?.sha256).toBe(f.sha256);
  });

  it('names the problem for unsupported or broken checkpoints', async () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const files = (cfg: unknown, extra: Record<string, Uint8Array> = {}) => {
      const m = new Map<string, Uint8Array>([['config.json', enc(cfg)], ['tokenizer.json', enc({})], ...Object.entries(extra)]);
      return { get: (n: string) => m.get(n), names: () => [...m.keys()] };
    };
    expect(() => Checkpoint.fromFiles(files({ model_type: 'mixtral' }))).toThrow('no model.safetensors, no model.safetensors.index.json and no *.safetensors file in the checkpoint');
    expect(() => Checkpoint.fromFiles(files({ model_type: 'mixtral' }, { 'model.safetensors.index.json': enc({ weight_map: { a: 'shard-1.safetensors' } }) }))).toThrow('shard-1.safetensors: listed in the index but missing from the checkpoint folder');
    await expect(convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`, { model_type: 'llama' }), { id: 'x' })).rejects.toThrow('config.json: model_type "llama" is not supported (supported: mixtral, qwen3_moe, olmoe, granitemoe, qwen2_moe, phimoe, gpt_oss, deepseek_v3, deepseek_v2)');
    await expect(convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`, { num_experts_per_tok: 9 }), { id: 'x' })).rejects.toThrow('config.json: num_experts_per_tok 9 exceeds num_local_experts 8');
    await expect(convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`, { hidden_size: 16 }), { id: 'x' })).rejects.toThrow('tensor "model.embed_tokens.weight" has shape [299, 32], expected [299, 16]');
  });
});

describe('fused graph rebuilt from a bundle', () => {
  it('is byte-identical to the converter’s own fused export', async () => {
    const { fusedFromBundle } = await import('./bundleWeights');
    const b = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx' });
    const rebuilt = fusedFromBundle(b);
    expect(await sha256Hex(rebuilt)).toBe(await sha256Hex(b.files.get('fused.onnx')!));
  });
});

describe('fp16 weight storage', () => {
  it('rounds float32 to binary16 correctly', async () => {
    const { f32ToF16Bits } = await import('../onnx/builder');
    // 1 → 0x3C00, −2 → 0xC000, 65504 (max) → 0x7BFF, 1e6 → inf 0x7C00, 2^−24 (smallest subnormal) → 0x0001
    expect([1, -2, 65504, 1e6, 2 ** -24, 0].map(f32ToF16Bits)).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0]);
    // 1 + 2^−11 is halfway between 1 and 1 + 2^−10: ties to even → 1
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
  });

  it('halves the graphs and stays within bounds of the fp32 reference (errors measured in the test)', async () => {
    const { Lab } = await import('../../gpu/lab');
    const f32 = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
    const f16 = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false, dtype: 'fp16' });
    const size = (b: typeof f32) => [...b.files].filter(([p]) => p.endsWith('.onnx')).reduce((a, [, x]) => a + x.byteLength, 0);
    // routers stay float32 (routing must stay faithful), the rest is halved
    expect(size(f16) / size(f32)).toBeLessThan(0.57);
    expect(f16.manifest.dtype).toBe('fp16');
    const lab = await Lab.open(ort as never, f16, ['cpu'], 'node');
    const c = readReference().cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'fp16', {});
    const routerErr = Math.max(...p.events.map((e) => maxAbsDiff(e.routerLogits, c.router_logits[e.layer].flat())));
    const logitErr = maxAbsDiff(p.logits, c.logits.flat());
    // Weights carry ~3 significant digits: router logits of scale ~1 move by ~1e-3.
    expect(routerErr).toBeLessThan(2e-2);
    expect(logitErr).toBeLessThan(5e-2);
    expect(routerErr).toBeGreaterThan(0); // it really ran on the rounded weights
  });
});
