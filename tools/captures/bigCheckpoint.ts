// A random-weight GraniteMoE checkpoint with granite-3.0-1b-a400m's routing shape and vocabulary
// (24 layers × 32 experts, top-8, 49 155 tokens) but a small hidden size, so a browser test can
// convert and run it in seconds: what grows with layers, experts and vocabulary (the next-token
// list, interventions on 32 experts, generation over 49k logits) is exercised as on the real model.
// Seeded; tensor names and config fields are the family's own (transformers' modeling_granitemoe).
import { readFileSync } from 'node:fs';
import { writeSafetensors } from '../../src/models/safetensors';
import { createRng } from '../../src/routing/rng';

export interface BigCheckpointOptions {
  layers?: number;
  experts?: number;
  topK?: number;
  vocab?: number;
  hidden?: number;
  intermediate?: number;
  seed?: number;
}

const FIXTURE = 'training/fixtures/tiny-granitemoe/hf';

/** Letters only, so every synthetic token is a valid byte-level string: 0 → "a", 26 → "ba". */
const word = (n: number) => {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
};

export function bigGraniteCheckpoint(o: BigCheckpointOptions = {}): Map<string, Uint8Array> {
  const L = o.layers ?? 24;
  const E = o.experts ?? 32;
  const k = o.topK ?? 8;
  const V = o.vocab ?? 49155;
  const D = o.hidden ?? 64;
  const F = o.intermediate ?? 32;
  const H = 4;
  const KV = 2;
  const hd = D / H;
  const rng = createRng(o.seed ?? 1);
  const t = (shape: number[], std: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    return { data, shape };
  };
  const ones = (n: number) => ({ data: new Float32Array(n).fill(1), shape: [n] });
  const tensors: Record<string, { data: Float32Array; shape: number[] }> = { 'model.embed_tokens.weight': t([V, D], 0.05) };
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    tensors[`${p}input_layernorm.weight`] = ones(D);
    tensors[`${p}post_attention_layernorm.weight`] = ones(D);
    tensors[`${p}self_attn.q_proj.weight`] = t([H * hd, D], 0.1);
    tensors[`${p}self_attn.k_proj.weight`] = t([KV * hd, D], 0.1);
    tensors[`${p}self_attn.v_proj.weight`] = t([KV * hd, D], 0.1);
    tensors[`${p}self_attn.o_proj.weight`] = t([D, H * hd], 0.1);
    tensors[`${p}block_sparse_moe.router.layer.weight`] = t([E, D], 0.5);
    tensors[`${p}block_sparse_moe.input_linear.weight`] = t([E, 2 * F, D], 0.1);
    tensors[`${p}block_sparse_moe.output_linear.weight`] = t([E, D, F], 0.1);
  }
  tensors['model.norm.weight'] = ones(D);
  const config = {
    ...JSON.parse(readFileSync(`${FIXTURE}/config.json`, 'utf8')),
    vocab_size: V,
    hidden_size: D,
    num_attention_heads: H,
    num_key_value_heads: KV,
    num_hidden_layers: L,
    num_local_experts: E,
    num_experts_per_tok: k,
    intermediate_size: F,
    max_position_embeddings: 4096,
  };
  // The fixture's byte-level BPE, its vocabulary filled up to V with synthetic words (decodable,
  // never produced by the merges), so next-token lists and generation range over all V ids.
  const tok = JSON.parse(readFileSync(`${FIXTURE}/tokenizer.json`, 'utf8'));
  const vocab = tok.model.vocab as Record<string, number>;
  for (let id = Object.keys(vocab).length, n = 0; id < V; n++) {
    const w = `Ġ${word(n)}`;
    if (!(w in vocab)) vocab[w] = id++;
  }
  const enc = new TextEncoder();
  return new Map([
    ['config.json', enc.encode(JSON.stringify(config, null, 2))],
    ['model.safetensors', writeSafetensors(tensors)],
    ['tokenizer.json', enc.encode(JSON.stringify(tok))],
    ['tokenizer_config.json', new Uint8Array(readFileSync(`${FIXTURE}/tokenizer_config.json`))],
  ]);
}
