// DeepSeek-V3 / V2: converter + split engine against the PyTorch reference (training/families/deepseek_v3.py) of
// tiny-deepseek_v3 (q LoRA, layer 0 dense, 8 experts in 4 groups with 2 kept, top-3, correction bias,
// routed_scaling_factor 2.5, YaRN with DeepSeek-V3's mscale fields, v_head_dim ≠ qk head dim) and tiny-deepseek_v2
// (plain q_proj, softmax greedy top-2, 2 shared experts, attention biases, YaRN attention factor ≠ 1).
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';
import { familyDir, maxAbsDiff, readCheckpoint } from './fixture';
import { convertBundle } from '.';
import { deepseekSpec } from './deepseek_v3';
import { validateManifest } from '../manifest';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';
import { sigmoidBiasGrouped } from '../../routing/policies/native';
import type { NativeRouter } from '../../routing/types';

const v3 = setupFamily('deepseek_v3');
const v2 = setupFamily('deepseek_v2');
const config = (family: string, patch: Record<string, unknown> = {}) => ({
  ...readCheckpoint(`${familyDir(family)}/hf`).config,
  ...patch,
});

describe('deepseek_v3 converter', () => {
  it('describes MLA, the layers and the router as the config says', () => {
    const m = v3.bundle.manifest;
    expect(m.architecture).toBe('deepseek_v3');
    expect([m.numHeads, m.numKvHeads, m.headDim, m.valueHeadDim]).toEqual([4, 4, 16, 12]);
    expect(m.layers.map((l) => [l.kind, l.numExperts, l.topK, l.sharedExperts])).toEqual([
      ['dense', 0, 0, 0],
      ['moe', 8, 3, 1],
      ['moe', 8, 3, 1],
    ]);
    expect(m.router).toEqual({
      type: 'sigmoid_bias_grouped',
      topK: 3,
      nGroup: 4,
      topkGroup: 2,
      normTopkProb: true,
      routedScalingFactor: 2.5,
    });
    expect(m.ropeScaling).toMatchObject({
      rope_type: 'yarn',
      factor: 4,
      original_max_position_embeddings: 64,
      attention_factor: 1,
    });
  });

  it('validates the manifest fields MLA and the correction bias add', () => {
    const m = JSON.parse(JSON.stringify(v3.bundle.manifest));
    expect(() => validateManifest({ ...m, valueHeadDim: 0 })).toThrow(
      'manifest.json: "valueHeadDim" must be an integer ≥ 1, got 0',
    );
    m.routerWeights.layers[1].correctionBias = -4;
    expect(() => validateManifest(m)).toThrow(
      'manifest.json: "correctionBias" must be an integer ≥ 0, got -4',
    );
  });

  it('stores each MoE layer’s e_score_correction_bias in routers.bin, where the engine reads it', () => {
    const ck = readCheckpoint(`${familyDir('deepseek_v3')}/hf`);
    expect(v3.bundle.manifest.routerWeights.layers[0].correctionBias).toBeUndefined();
    for (const l of [1, 2]) {
      const want = ck.get(`model.layers.${l}.mlp.gate.e_score_correction_bias`, [8]);
      expect(Array.from(v3.lab.engine.routerWeights.correctionBias(l)!)).toEqual(Array.from(want));
      expect(want.some((b) => Math.abs(b) > 0.01)).toBe(true);
    }
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(v3.errors);
  });

  it('needs the correction bias and the group limit to reproduce the reference selections', () => {
    const r = v3.bundle.manifest.router as Extract<NativeRouter, { type: 'sigmoid_bias_grouped' }>;
    let withoutBias = 0;
    let withoutGroups = 0;
    for (const c of v3.ref.cases)
      for (const l of [1, 2]) {
        const rows = c.router_logits[l]!;
        const T = rows.length;
        const inp = { layer: l, T, E: 8, logits: Float32Array.from(rows.flat()) };
        const bias = v3.lab.engine.routerWeights.correctionBias(l)!;
        const pick = (rr: typeof r, b?: Float32Array) => {
          const x = sigmoidBiasGrouped({ ...inp, ...(b ? { correctionBias: b } : {}) }, rr);
          return Array.from({ length: T }, (_, t) =>
            Array.from(x.experts.subarray(x.offsets[t], x.offsets[t + 1])),
          );
        };
        expect(pick(r, bias)).toEqual(c.selected[l]);
        withoutBias += pick(r).filter(
          (s, t) => JSON.stringify(s) !== JSON.stringify(c.selected[l]![t]),
        ).length;
        withoutGroups += pick({ ...r, topkGroup: 4 }, bias).filter(
          (s, t) => JSON.stringify(s) !== JSON.stringify(c.selected[l]![t]),
        ).length;
      }
    expect(withoutBias).toBeGreaterThan(0);
    expect(withoutGroups).toBeGreaterThan(0);
  });

  it('decodes with the KV cache (values narrower than keys) as a full pass does', async () => {
    await expectKvCacheMatches(v3.lab, v3.ref.cases[0].input_ids);
  });

  it('runs on onnxruntime-web’s WASM backend (the page’s) as on onnxruntime-node, KV cache included', async () => {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    const lab = await Lab.open(web as unknown as Ort, v3.bundle, ['wasm'], 'wasm');
    const c = v3.ref.cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'wasm', {});
    expect(maxAbsDiff(p.logits, c.logits.flat())).toBeLessThan(1e-4);
    expect(p.events.map((e) => e.selected)).toEqual(
      c.selected.map((s) => s ?? c.input_ids.map(() => [])),
    );
    await expectKvCacheMatches(lab, c.input_ids);
  });

  it('de-interleaves the rope channels: reading them as rotate_half pairs gives other logits', async () => {
    const bundle = await convertBundle(
      readCheckpoint(`${familyDir('deepseek_v3')}/hf`, { rope_interleave: false }),
      { id: 'plain-rope' },
    );
    const lab = await Lab.open(ort as unknown as Ort, bundle, ['cpu'], 'node');
    const c = v3.ref.cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'x', {});
    expect(maxAbsDiff(p.logits, c.logits.flat())).toBeGreaterThan(1e-3);
  });

  it('refuses configs it cannot convert, naming the field', () => {
    expect(() => deepseekSpec(config('deepseek_v3', { num_key_value_heads: 2 }))).toThrow(
      'config.json: "num_key_value_heads" 2 must equal "num_attention_heads" 4 (MLA makes one key/value head per query head)',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { n_group: 3 }))).toThrow(
      'config.json: "n_routed_experts" 8 does not split into "n_group" 3 groups',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { n_group: 8, topk_group: 4 }))).toThrow(
      'config.json: "n_group" 8 leaves 1 expert per group; the group score sums each group\'s two best experts',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { topk_group: 5 }))).toThrow(
      'config.json: "topk_group" 5 exceeds "n_group" 4',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { scoring_func: 'softmax' }))).toThrow(
      'config.json: "scoring_func" "softmax" is not supported for deepseek_v3 (supported: "sigmoid")',
    );
    expect(() =>
      deepseekSpec(config('deepseek_v3', { rope_scaling: { type: 'dynamic', factor: 2 } })),
    ).toThrow(
      'config.json: rope_scaling type "dynamic" is not supported for deepseek_v3 (default and yarn are)',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { first_k_dense_replace: 3 }))).toThrow(
      'config.json: "first_k_dense_replace" 3 leaves no MoE layer among 3 layers',
    );
    expect(() =>
      deepseekSpec(
        config('deepseek_v3', {
          quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128] },
        }),
      ),
    ).toThrow(
      'config.json: "quantization_config.quant_method" "fp8" is not supported (deepseek_v3: convert a bf16 or fp32 copy of the checkpoint)',
    );
    expect(() => deepseekSpec(config('deepseek_v3', { hidden_act: 'gelu' }))).toThrow(
      'config.json: "hidden_act" "gelu" is not supported (supported: "silu")',
    );
  });

  it('takes the shape of the lab’s own DeepSeek-style model: 32 routed experts, top-4, one shared, no groups', () => {
    const s = deepseekSpec(
      config('deepseek_v3', {
        n_routed_experts: 32,
        num_experts_per_tok: 4,
        n_group: 1,
        topk_group: 1,
        routed_scaling_factor: 1,
      }),
    );
    expect(s.router).toEqual({
      type: 'sigmoid_bias_grouped',
      topK: 4,
      nGroup: 1,
      topkGroup: 1,
      normTopkProb: true,
      routedScalingFactor: 1,
    });
    expect(s.layers.map((p) => p.kind)).toEqual(['dense', 'moe', 'moe']);
    expect(s.layers[1]).toEqual({
      kind: 'moe',
      E: 32,
      k: 4,
      I: 16,
      shared: { I: 16, gated: false, count: 1 },
    });
  });

  it('reads moe_layer_freq as DeepSeek does: MoE from first_k_dense_replace on, every freq-th layer', () => {
    const s = deepseekSpec(
      config('deepseek_v3', { num_hidden_layers: 6, first_k_dense_replace: 1, moe_layer_freq: 2 }),
    );
    expect(s.layers.map((p) => p.kind)).toEqual(['dense', 'dense', 'moe', 'dense', 'moe', 'dense']);
  });
});

describe('deepseek_v2 (V2-Lite style) through the same converter', () => {
  it('reads q_proj, softmax greedy routing, two shared experts and attention biases', () => {
    const m = v2.bundle.manifest;
    expect(m.architecture).toBe('deepseek_v2');
    expect([m.headDim, m.valueHeadDim]).toEqual([12, 8]);
    expect(m.layers.map((l) => [l.kind, l.sharedExperts])).toEqual([
      ['dense', 0],
      ['moe', 2],
    ]);
    expect(m.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: false });
    expect(m.routerWeights.layers[1].correctionBias).toBeUndefined();
    // get_mscale(4, mscale 1) / get_mscale(4, mscale_all_dim 0.707) = 1.1386294 / 1.0980110
    expect(m.ropeScaling?.attention_factor).toBeCloseTo(1.0369927, 6);
  });

  it('matches the PyTorch reference within 1e-4, KV cache included', async () => {
    expectMatchesReference(v2.errors);
    await expectKvCacheMatches(v2.lab, v2.ref.cases[0].input_ids);
  });

  it('refuses the routers it has no native policy for', () => {
    expect(() =>
      deepseekSpec(config('deepseek_v2', { topk_method: 'group_limited_greedy' })),
    ).toThrow(
      'config.json: "topk_method" "group_limited_greedy" is not supported for deepseek_v2 (supported: "greedy"; "noaux_tc" checkpoints are deepseek_v3)',
    );
    expect(() => deepseekSpec(config('deepseek_v2', { routed_scaling_factor: 16 }))).toThrow(
      'config.json: "routed_scaling_factor" 16 is not supported with topk_method "greedy" (the softmax_topk router has no scaling; supported: 1)',
    );
  });
});
