// HF Mixtral checkpoint → split bundle (DESIGN.md §2). Semantics follow transformers'
// modeling_mixtral: RMSNorm (float32), RoPE with rotate_half, GQA, router = Linear without bias,
// softmax → top-k → renormalise, experts w2(silu(w1 x) · w3 x). Accepts per-expert tensors
// (block_sparse_moe.experts.{j}.w1/w2/w3) and the fused layout (mlp.experts.gate_up_proj
// [E, 2I, H] with gate rows first, mlp.experts.down_proj [E, H, I]).
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec } from './decoder';
import { HfDecoderWeights } from './hfDecoder';
import { MIXTRAL_GRAPHS } from './mixtralGraphs';
import { ropeParams } from './ropeScaling';
import type { Bundle, ConvertOptions, ModelDims } from './types';

export interface MixtralDims extends ModelDims {
  I: number;
  E: number;
  k: number;
}

export function mixtralDims(config: Record<string, unknown>): MixtralDims {
  const mt = config.model_type;
  if (mt !== 'mixtral') throw new Error(`config.json: model_type ${JSON.stringify(mt)} is not supported by the Mixtral converter (expected "mixtral")`);
  const D = configNumber(config, 'hidden_size');
  const H = configNumber(config, 'num_attention_heads');
  const hd = configNumber(config, 'head_dim', D / H);
  const rope = ropeParams(config, hd, 1e6);
  const dims: MixtralDims = {
    V: configNumber(config, 'vocab_size'),
    D,
    L: configNumber(config, 'num_hidden_layers'),
    H,
    Hkv: configNumber(config, 'num_key_value_heads', H),
    hd,
    I: configNumber(config, 'intermediate_size'),
    E: configNumber(config, 'num_local_experts'),
    k: configNumber(config, 'num_experts_per_tok'),
    eps: configNumber(config, 'rms_norm_eps', 1e-5),
    theta: rope.theta,
    maxContext: configNumber(config, 'max_position_embeddings'),
    rope,
  };
  if (dims.H % dims.Hkv !== 0) throw new Error(`config.json: num_attention_heads ${dims.H} is not a multiple of num_key_value_heads ${dims.Hkv}`);
  if (dims.k > dims.E) throw new Error(`config.json: num_experts_per_tok ${dims.k} exceeds num_local_experts ${dims.E}`);
  if (config.tie_word_embeddings === true) throw new Error('config.json: tie_word_embeddings=true is not supported for mixtral yet');
  return dims;
}

/** Mixtral as a decoder: RMSNorm, every layer MoE, router softmax → top-k → renormalise. */
export function mixtralSpec(d: MixtralDims): DecoderSpec {
  const { I, E, k, ...dims } = d;
  return {
    architecture: 'mixtral',
    ...dims,
    norm: 'rms',
    router: { type: 'softmax_topk', topK: k, normTopkProb: true },
    layers: Array.from({ length: d.L }, () => ({ kind: 'moe' as const, E, k, I })),
  };
}

/** Layer i's MoE block: block_sparse_moe (per-expert tensors) or mlp (fused layout). */
function moePrefix(ck: Checkpoint, i: number): string {
  for (const p of [`model.layers.${i}.block_sparse_moe`, `model.layers.${i}.mlp`]) if (ck.has(`${p}.gate.weight`)) return p;
  throw new Error(`layer ${i}: no router weight (looked for model.layers.${i}.block_sparse_moe.gate.weight and model.layers.${i}.mlp.gate.weight)`);
}

export async function convertMixtral(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = mixtralSpec(mixtralDims(ck.config));
  // (untied: mixtralDims rejects tie_word_embeddings)
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => moePrefix(ck, i), router: 'gate.weight', experts: 'mixtral' }, false);
  return convertDecoder(ck, s, w, opts, MIXTRAL_GRAPHS);
}
