// HF OLMoE → split bundle. Read from transformers' modeling_olmoe (OlmoeAttention,
// OlmoeSparseMoeBlock): Llama-style layers with
//  - q_norm = RMSNorm(hidden_size) over the whole q projection and k_norm = RMSNorm(head_dim·Hkv)
//    over the whole k projection, applied before the head split and RoPE;
//  - clip_qkv (optional): q, k, v clamped to ±clip_qkv after the norms;
//  - router mlp.gate: softmax → top-k, renormalised only with norm_topk_prob (false by default);
//  - experts mlp.experts.{j}.gate_proj/up_proj/down_proj with intermediate_size; every layer sparse.
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights } from './hfDecoder';
import type { Bundle, ConvertOptions } from './types';

export function olmoeSpec(config: Record<string, unknown>): DecoderSpec {
  checkModelType(config, 'olmoe');
  const b = baseDims(config, 1e-5);
  const E = configNumber(config, 'num_experts');
  const k = configNumber(config, 'num_experts_per_tok');
  checkTopK(E, k, 'num_experts');
  const I = configNumber(config, 'intermediate_size');
  const clip = config.clip_qkv;
  if (clip !== undefined && clip !== null && typeof clip !== 'number') throw new Error(`config.json: "clip_qkv" must be a number or null, got ${JSON.stringify(clip)}`);
  return {
    architecture: 'olmoe',
    ...b,
    norm: 'rms',
    router: { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true },
    layers: Array.from({ length: b.L }, () => ({ kind: 'moe' as const, E, k, I })),
    qkNorm: 'full',
    ...(typeof clip === 'number' ? { clipQkv: clip } : {}),
  };
}

export async function convertOlmoe(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = olmoeSpec(ck.config);
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => `model.layers.${i}.mlp`, router: 'gate.weight', experts: 'proj' }, ck.config.tie_word_embeddings === true);
  return convertDecoder(ck, s, w, opts);
}
