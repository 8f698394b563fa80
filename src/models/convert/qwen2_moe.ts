// HF Qwen2-MoE → split bundle. Read from transformers' modeling_qwen2_moe (Qwen2MoeAttention,
// Qwen2MoeSparseMoeBlock, Qwen2MoeDecoderLayer): Llama-style layers with
//  - q/k/v projections with bias (o_proj without);
//  - router mlp.gate: softmax → top-k, renormalised only with norm_topk_prob (false by default);
//  - experts mlp.experts.{j}.gate_proj/up_proj/down_proj with moe_intermediate_size;
//  - a shared expert mlp.shared_expert (shared_expert_intermediate_size) always added, weighted by
//    sigmoid(mlp.shared_expert_gate · x) — it lives inside the moe graph;
//  - layer i sparse iff i ∉ mlp_only_layers and (i+1) % decoder_sparse_step == 0, otherwise a dense
//    mlp with intermediate_size.
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec, type LayerPlan } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights, qwenLayerKinds } from './hfDecoder';
import type { Bundle, ConvertOptions } from './types';

export function qwen2MoeSpec(config: Record<string, unknown>): DecoderSpec {
  checkModelType(config, 'qwen2_moe');
  const b = baseDims(config, 1e-6);
  const E = configNumber(config, 'num_experts');
  const k = configNumber(config, 'num_experts_per_tok');
  checkTopK(E, k, 'num_experts');
  const I = configNumber(config, 'moe_intermediate_size');
  const Ishared = configNumber(config, 'shared_expert_intermediate_size');
  const Idense = configNumber(config, 'intermediate_size');
  const layers: LayerPlan[] = qwenLayerKinds(config, b.L, E).map((kind) =>
    kind === 'moe' ? { kind, E, k, I, ...(Ishared > 0 ? { shared: { I: Ishared, gated: true } } : {}) } : { kind, I: Idense },
  );
  return {
    architecture: 'qwen2_moe',
    ...b,
    norm: 'rms',
    router: { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true },
    layers,
  };
}

export async function convertQwen2Moe(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = qwen2MoeSpec(ck.config);
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => `model.layers.${i}.mlp`, router: 'gate.weight', experts: 'proj' }, ck.config.tie_word_embeddings === true);
  return convertDecoder(ck, s, w, opts);
}
