// HF PhiMoE → split bundle. Read from transformers' modeling_phimoe (PhimoeAttention,
// PhimoeSparseMoeBlock, sparsemixer, PhimoeDecoderLayer, PhimoeModel, PhimoeForCausalLM):
//  - input/post-attention/final norms are nn.LayerNorm with weight and bias, eps = rms_norm_eps;
//  - q/k/v/o projections with bias when attention_bias; lm_head with bias when lm_head_bias;
//  - router block_sparse_moe.gate, experts block_sparse_moe.experts.{j}.w1/w3/w2 (Mixtral names);
//  - routing = sparsemixer top-2 in eval mode with jitter_eps = router_jitter_noise (native policy
//    `sparsemixer`, src/routing/policies/native.ts);
//  - RoPE: rope_scaling as ropeScaling.ts reads it (released Phi-3.5-MoE: longrope, original_max_position_embeddings
//    at the top level); PhimoeRotaryEmbedding scales cos/sin by rope_scaling.short_mscale or long_mscale, picked
//    per call like the short/long factors (max(position_ids) + 1 vs original_max_position_embeddings).
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights } from './hfDecoder';
import { ropeParams } from './ropeScaling';
import type { Bundle, ConvertOptions } from './types';

export function phimoeSpec(config: Record<string, unknown>): DecoderSpec {
  checkModelType(config, 'phimoe');
  const b = baseDims(config, 1e-5);
  const E = configNumber(config, 'num_local_experts');
  const k = configNumber(config, 'num_experts_per_tok');
  checkTopK(E, k, 'num_local_experts');
  if (k !== 2) throw new Error(`config.json: num_experts_per_tok ${k}: PhiMoE's sparsemixer is top-2 only`);
  const I = configNumber(config, 'intermediate_size');
  return {
    architecture: 'phimoe',
    ...b,
    // PhimoeRotaryEmbedding: cos/sin scaled by rope_scaling.short_mscale / long_mscale per call (longrope)
    rope: ropeParams(config, b.hd, 10000, { mscales: true }),
    norm: 'layer',
    router: { type: 'sparsemixer', topK: 2, jitterEps: configNumber(config, 'router_jitter_noise', 0.01) },
    layers: Array.from({ length: b.L }, () => ({ kind: 'moe' as const, E, k, I })),
  };
}

export async function convertPhimoe(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = phimoeSpec(ck.config);
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => `model.layers.${i}.block_sparse_moe`, router: 'gate.weight', experts: 'w123' }, ck.config.tie_word_embeddings === true);
  return convertDecoder(ck, s, w, opts);
}
