// HF Qwen3-MoE → split bundle. Read from transformers' modeling_qwen3_moe (Qwen3MoeAttention,
// Qwen3MoeSparseMoeBlock, Qwen3MoeDecoderLayer): like Mixtral except
//  - explicit head_dim (H·head_dim may differ from hidden_size);
//  - q_norm / k_norm: RMSNorm over head_dim of each head (weight [head_dim]) before RoPE;
//  - router: softmax → top-k, renormalised only when norm_topk_prob;
//  - experts are mlp.experts.{j}.gate_proj/up_proj/down_proj with moe_intermediate_size;
//  - layer i is sparse iff i ∉ mlp_only_layers and (i+1) % decoder_sparse_step == 0, otherwise a
//    dense mlp.gate_proj/up_proj/down_proj with intermediate_size;
//  - q/k/v/o biases only with attention_bias (read when present).
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec, type LayerPlan } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights, qwenLayerKinds } from './hfDecoder';
import type { Bundle, ConvertOptions } from './types';

export function qwen3MoeSpec(config: Record<string, unknown>): DecoderSpec {
  checkModelType(config, 'qwen3_moe');
  const b = baseDims(config, 1e-6, 'head_dim');
  const E = configNumber(config, 'num_experts');
  const k = configNumber(config, 'num_experts_per_tok');
  checkTopK(E, k, 'num_experts');
  const I = configNumber(config, 'moe_intermediate_size');
  const Idense = configNumber(config, 'intermediate_size');
  const layers: LayerPlan[] = qwenLayerKinds(config, b.L, E).map((kind) => (kind === 'moe' ? { kind, E, k, I } : { kind, I: Idense }));
  return {
    architecture: 'qwen3_moe',
    ...b,
    norm: 'rms',
    router: { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true },
    layers,
    qkNorm: 'head',
  };
}

export async function convertQwen3Moe(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = qwen3MoeSpec(ck.config);
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => `model.layers.${i}.mlp`, router: 'gate.weight', experts: 'proj' }, ck.config.tie_word_embeddings === true);
  return convertDecoder(ck, s, w, opts);
}
