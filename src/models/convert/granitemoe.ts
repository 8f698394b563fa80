// HF GraniteMoE → split bundle. Read from transformers' modeling_granitemoe (GraniteMoeModel,
// GraniteMoeAttention, GraniteMoeDecoderLayer, GraniteMoeMoE, GraniteMoeTopKGating,
// GraniteMoeForCausalLM):
//  - hidden = embed_tokens(ids) · embedding_multiplier                       (embed graph)
//  - attention score scale = attention_multiplier instead of 1/√head_dim    (attn graph)
//  - h = residual + attn_out · residual_multiplier; h = residual + moe_out · residual_multiplier
//    (the attn graph and the moe graph each apply it, so the engine still adds moe_out)
//  - router block_sparse_moe.router.layer: top-k of the logits, then softmax over those k
//    (native policy topk_softmax)
//  - experts block_sparse_moe.input_linear.weight [E, 2I, D]: chunk(2, -1) → act(first I rows) ·
//    next I rows; output_linear.weight [E, D, I]
//  - logits = lm_head(norm(h)) / logits_scaling; tie_word_embeddings (default true) → lm_head = embed.
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, type DecoderSpec } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights } from './hfDecoder';
import type { Bundle, ConvertOptions } from './types';

export function granitemoeSpec(config: Record<string, unknown>): DecoderSpec {
  checkModelType(config, 'granitemoe');
  const b = baseDims(config, 1e-6);
  const E = configNumber(config, 'num_local_experts');
  const k = configNumber(config, 'num_experts_per_tok');
  checkTopK(E, k, 'num_local_experts');
  const I = configNumber(config, 'intermediate_size');
  if ((config.position_embedding_type ?? 'rope') !== 'rope') throw new Error(`config.json: position_embedding_type ${JSON.stringify(config.position_embedding_type)} is not supported (rope only)`);
  return {
    architecture: 'granitemoe',
    ...b,
    norm: 'rms',
    router: { type: 'topk_softmax', topK: k },
    layers: Array.from({ length: b.L }, () => ({ kind: 'moe' as const, E, k, I })),
    embeddingMultiplier: configNumber(config, 'embedding_multiplier', 1),
    attentionMultiplier: configNumber(config, 'attention_multiplier', 1),
    residualMultiplier: configNumber(config, 'residual_multiplier', 1),
    logitsScaling: configNumber(config, 'logits_scaling', 1),
  };
}

export async function convertGranitemoe(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = granitemoeSpec(ck.config);
  const w = new HfDecoderWeights(ck, s, { prefix: (i) => `model.layers.${i}.block_sparse_moe`, router: 'router.layer.weight', experts: 'granite' }, ck.config.tie_word_embeddings !== false);
  return convertDecoder(ck, s, w, opts);
}
