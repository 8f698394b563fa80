// A random-weight GraniteMoE checkpoint with granite-3.0-1b-a400m's routing shape and vocabulary
// (24 layers × 32 experts, top-8, 49 155 tokens) but a small hidden size, so a browser test can
// convert and run it in seconds: what grows with layers, experts and vocabulary (the next-token
// list, interventions on 32 experts, generation over 49k logits) is exercised as on the real model.
// Seeded; tensor names and config fields are the family's own (transformers' modeling_granitemoe).
import { readFileSync } from 'node:fs';
import { safetensorsHeader, writeSafetensors } from '../../src/models/safetensors';
import { createRng, mixSeed } from '../../src/routing/rng';

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

// ---------------------------------------------------------------------------------------------
// Real-size checkpoints, written streaming: the exact config.json and tensor names/shapes of
// ibm-granite/granite-3.0-1b-a400m (one 2.67 GB bf16 model.safetensors, as it ships) and of
// allenai/OLMoE-1B-7B-0924 (bf16, sharded at 5 GB like the real one), with seeded random weights,
// plus scaled-down versions of both for tests. One tensor is generated and written at a time, in
// chunks, so writing 14 GB takes a few MB of memory.

export type RealShape = 'granite-1b-a400m' | 'olmoe-1b-7b' | 'granite-mini' | 'olmoe-mini';
export const REAL_SHAPES: RealShape[] = ['granite-1b-a400m', 'olmoe-1b-7b', 'granite-mini', 'olmoe-mini'];

/** One tensor to generate: uniform values of standard deviation `std`, or all ones (norm weights). */
interface PlannedTensor {
  name: string;
  shape: number[];
  std: number | 'ones';
}

interface CheckpointPlan {
  config: Record<string, unknown>;
  tensors: PlannedTensor[];
  /** tokenizer fixture whose vocabulary is filled up to vocab_size */
  tokenizerFixture: string;
  /** largest shard in bytes (HF's default max_shard_size "5GB"); undefined: one model.safetensors */
  shardBytes?: number;
  dtype: 'BF16' | 'F32';
}

/** granite-3.0-1b-a400m's config.json (transformers' GraniteMoeConfig fields as the model card ships them). */
const GRANITE_1B_CONFIG = {
  architectures: ['GraniteMoeForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.1,
  attention_multiplier: 0.015625,
  bos_token_id: 0,
  embedding_multiplier: 12.0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 512,
  logits_scaling: 6.0,
  max_position_embeddings: 4096,
  model_type: 'granitemoe',
  num_attention_heads: 16,
  num_experts_per_tok: 8,
  num_hidden_layers: 24,
  num_key_value_heads: 8,
  num_local_experts: 32,
  output_router_logits: false,
  pad_token_id: 0,
  residual_multiplier: 0.22,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 10000,
  router_aux_loss_coef: 0.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.45.0.dev0',
  use_cache: true,
  vocab_size: 49155,
};

/** OLMoE-1B-7B-0924's config.json. */
const OLMOE_1B_7B_CONFIG = {
  architectures: ['OlmoeForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  clip_qkv: null,
  eos_token_id: 50279,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 1024,
  max_position_embeddings: 4096,
  model_type: 'olmoe',
  norm_topk_prob: false,
  num_attention_heads: 16,
  num_experts: 64,
  num_experts_per_tok: 8,
  num_hidden_layers: 16,
  num_key_value_heads: 16,
  output_router_logits: false,
  pad_token_id: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  router_aux_loss_coef: 0.01,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.43.0.dev0',
  use_cache: true,
  vocab_size: 50304,
};

function granitePlan(config: Record<string, unknown>): CheckpointPlan['tensors'] {
  const c = config as typeof GRANITE_1B_CONFIG;
  const D = c.hidden_size;
  const hd = D / c.num_attention_heads;
  const out: PlannedTensor[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, D], std: 0.05 }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      { name: `${p}block_sparse_moe.input_linear.weight`, shape: [c.num_local_experts, 2 * c.intermediate_size, D], std: 0.05 },
      { name: `${p}block_sparse_moe.output_linear.weight`, shape: [c.num_local_experts, D, c.intermediate_size], std: 0.05 },
      { name: `${p}block_sparse_moe.router.layer.weight`, shape: [c.num_local_experts, D], std: 0.1 },
      { name: `${p}input_layernorm.weight`, shape: [D], std: 'ones' },
      { name: `${p}post_attention_layernorm.weight`, shape: [D], std: 'ones' },
      { name: `${p}self_attn.k_proj.weight`, shape: [c.num_key_value_heads * hd, D], std: 0.05 },
      { name: `${p}self_attn.o_proj.weight`, shape: [D, c.num_attention_heads * hd], std: 0.05 },
      { name: `${p}self_attn.q_proj.weight`, shape: [c.num_attention_heads * hd, D], std: 0.05 },
      { name: `${p}self_attn.v_proj.weight`, shape: [c.num_key_value_heads * hd, D], std: 0.05 },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [D], std: 'ones' });
  return out;
}

function olmoePlan(config: Record<string, unknown>): CheckpointPlan['tensors'] {
  const c = config as typeof OLMOE_1B_7B_CONFIG;
  const D = c.hidden_size;
  const hd = D / c.num_attention_heads;
  const I = c.intermediate_size;
  const out: PlannedTensor[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, D], std: 0.05 }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      { name: `${p}self_attn.q_proj.weight`, shape: [c.num_attention_heads * hd, D], std: 0.05 },
      { name: `${p}self_attn.k_proj.weight`, shape: [c.num_key_value_heads * hd, D], std: 0.05 },
      { name: `${p}self_attn.v_proj.weight`, shape: [c.num_key_value_heads * hd, D], std: 0.05 },
      { name: `${p}self_attn.o_proj.weight`, shape: [D, c.num_attention_heads * hd], std: 0.05 },
      { name: `${p}self_attn.q_norm.weight`, shape: [c.num_attention_heads * hd], std: 'ones' },
      { name: `${p}self_attn.k_norm.weight`, shape: [c.num_key_value_heads * hd], std: 'ones' },
      { name: `${p}mlp.gate.weight`, shape: [c.num_experts, D], std: 0.1 },
    );
    for (let e = 0; e < c.num_experts; e++)
      out.push(
        { name: `${p}mlp.experts.${e}.gate_proj.weight`, shape: [I, D], std: 0.05 },
        { name: `${p}mlp.experts.${e}.up_proj.weight`, shape: [I, D], std: 0.05 },
        { name: `${p}mlp.experts.${e}.down_proj.weight`, shape: [D, I], std: 0.05 },
      );
    out.push({ name: `${p}input_layernorm.weight`, shape: [D], std: 'ones' }, { name: `${p}post_attention_layernorm.weight`, shape: [D], std: 'ones' });
  }
  out.push({ name: 'model.norm.weight', shape: [D], std: 'ones' }, { name: 'lm_head.weight', shape: [c.vocab_size, D], std: 0.05 });
  return out;
}

export function checkpointPlan(shape: RealShape): CheckpointPlan {
  switch (shape) {
    case 'granite-1b-a400m':
      return { config: GRANITE_1B_CONFIG, tensors: granitePlan(GRANITE_1B_CONFIG), tokenizerFixture: FIXTURE, dtype: 'BF16' };
    case 'olmoe-1b-7b':
      return { config: OLMOE_1B_7B_CONFIG, tensors: olmoePlan(OLMOE_1B_7B_CONFIG), tokenizerFixture: 'training/fixtures/tiny-olmoe/hf', shardBytes: 5e9, dtype: 'BF16' };
    case 'granite-mini': {
      // same names and config fields, every size small; odd sizes so tensors end mid-read-buffer
      const config = { ...GRANITE_1B_CONFIG, hidden_size: 48, intermediate_size: 20, num_hidden_layers: 3, num_local_experts: 6, num_experts_per_tok: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 331 };
      return { config, tensors: granitePlan(config), tokenizerFixture: FIXTURE, dtype: 'BF16' };
    }
    case 'olmoe-mini': {
      const config = { ...OLMOE_1B_7B_CONFIG, hidden_size: 32, intermediate_size: 12, num_hidden_layers: 2, num_experts: 8, num_experts_per_tok: 2, num_attention_heads: 4, num_key_value_heads: 4, vocab_size: 307, eos_token_id: 2 };
      // shards of ~40 KB, so the index and several shard files are exercised
      return { config, tensors: olmoePlan(config), tokenizerFixture: 'training/fixtures/tiny-olmoe/hf', shardBytes: 40_000, dtype: 'BF16' };
    }
  }
}

/** xorshift32 uniform in [−a, a): fast enough for 7 billion values, seeded per tensor. */
function fillUniform(out: Float32Array, seed: number, a: number, state: { s: number }): void {
  let s = state.s || seed || 1;
  const k = (2 * a) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) * k - a;
  }
  state.s = s;
}

const CHUNK = 1 << 20;

/**
 * Write a planned checkpoint through `open(file)` → write(bytes)/close(): each tensor generated
 * in 1M-value chunks and converted to bf16 (truncation) as it goes.
 */
export function writeRealCheckpoint(shape: RealShape, open: (file: string) => { write(b: Uint8Array): void; close(): void }, seed = 1): { files: string[]; bytes: number } {
  const plan = checkpointPlan(shape);
  const elemBytes = plan.dtype === 'BF16' ? 2 : 4;
  const size = (t: PlannedTensor) => t.shape.reduce((a, b) => a * b, 1) * elemBytes;
  // shards: consecutive tensors while under shardBytes (HF's split), named model-0000i-of-0000n
  const groups: PlannedTensor[][] = [[]];
  let acc = 0;
  for (const t of plan.tensors) {
    if (plan.shardBytes && acc + size(t) > plan.shardBytes && groups[groups.length - 1].length) {
      groups.push([]);
      acc = 0;
    }
    groups[groups.length - 1].push(t);
    acc += size(t);
  }
  const n = groups.length;
  const shardName = (i: number) => (plan.shardBytes ? `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors` : 'model.safetensors');
  const files: string[] = [];
  let total = 0;
  const enc = new TextEncoder();
  const put = (file: string, bytes: Uint8Array) => {
    const f = open(file);
    f.write(bytes);
    f.close();
    files.push(file);
    total += bytes.byteLength;
  };
  put('config.json', enc.encode(JSON.stringify(plan.config, null, 2) + '\n'));
  const values = new Float32Array(CHUNK);
  const bits = new Uint32Array(values.buffer);
  const half = new Uint16Array(CHUNK);
  let tensorIndex = 0;
  const weightMap: Record<string, string> = {};
  groups.forEach((group, gi) => {
    const name = shardName(gi);
    const { head } = safetensorsHeader(group.map((t) => ({ name: t.name, dtype: plan.dtype, shape: t.shape })));
    const f = open(name);
    f.write(head);
    let bytes = head.byteLength;
    for (const t of group) {
      weightMap[t.name] = name;
      const count = t.shape.reduce((a, b) => a * b, 1);
      const state = { s: 0 };
      const tSeed = mixSeed(seed, tensorIndex++) || 1;
      for (let i = 0; i < count; i += CHUNK) {
        const m = Math.min(CHUNK, count - i);
        const v = values.subarray(0, m);
        if (t.std === 'ones') v.fill(1);
        else fillUniform(v, tSeed, t.std * Math.sqrt(3), state);
        if (plan.dtype === 'BF16') {
          for (let j = 0; j < m; j++) half[j] = bits[j] >>> 16;
          f.write(new Uint8Array(half.buffer, 0, 2 * m));
        } else f.write(new Uint8Array(values.buffer, 0, 4 * m));
        bytes += m * elemBytes;
      }
    }
    f.close();
    files.push(name);
    total += bytes;
  });
  if (plan.shardBytes) {
    const totalSize = plan.tensors.reduce((a, t) => a + size(t), 0);
    put('model.safetensors.index.json', enc.encode(JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n'));
  }
  const V = plan.config.vocab_size as number;
  const tok = JSON.parse(readFileSync(`${plan.tokenizerFixture}/tokenizer.json`, 'utf8'));
  const vocab = tok.model.vocab as Record<string, number>;
  for (let id = Object.keys(vocab).length, k = 0; id < V; k++) {
    const w = `Ġ${word(k)}`;
    if (!(w in vocab)) vocab[w] = id++;
  }
  put('tokenizer.json', enc.encode(JSON.stringify(tok)));
  put('tokenizer_config.json', new Uint8Array(readFileSync(`${plan.tokenizerFixture}/tokenizer_config.json`)));
  return { files, bytes: total };
}

/** A scaled-down real-shape checkpoint in memory (tests). */
export function realCheckpointInMemory(shape: RealShape, seed = 1): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  writeRealCheckpoint(
    shape,
    (file) => {
      const parts: Uint8Array[] = [];
      return {
        write: (b) => parts.push(b.slice()),
        close: () => {
          const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
          let at = 0;
          for (const p of parts) {
            out.set(p, at);
            at += p.byteLength;
          }
          files.set(file, out);
        },
      };
    },
    seed,
  );
  return files;
}
