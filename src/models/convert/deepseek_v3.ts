// HF DeepSeek-V3 (and DeepSeek-V2-style MLA checkpoints: Moonlight, DeepSeek-V2-Lite) → split bundle.
// Read from transformers' modeling_deepseek_v3 (DeepseekV3Attention, DeepseekV3TopkRouter, DeepseekV3MoE,
// DeepseekV3DecoderLayer) and modeling_deepseek_v2 (DeepseekV2MoEGate):
//  - multi-head latent attention (onnx/mla.ts): q_a_proj / q_a_layernorm / q_b_proj, or q_proj when
//    q_lora_rank is null; kv_a_proj_with_mqa / kv_a_layernorm / kv_b_proj; heads of qk_nope_head_dim +
//    qk_rope_head_dim for q and k, v_head_dim for v; the KV cache holds the decompressed keys and values
//    (manifest headDim = qk_nope + qk_rope, valueHeadDim = v_head_dim, numKvHeads = num_attention_heads);
//  - RoPE over the qk_rope_head_dim channels only, with rope_scaling as ropeScaling.ts reads it (YaRN:
//    inverse frequencies and the cos/sin attention factor); rope_interleave (default true; deepseek_v2's
//    complex rope is the same rotation) is folded into the weights as a permutation of the rope rows of
//    q_b_proj / q_proj and kv_a_proj_with_mqa;
//  - scores × 1/√(qk_nope + qk_rope), × mscale² with mscale = 0.1 · mscale_all_dim · ln(factor) + 1 when
//    rope_scaling sets mscale_all_dim (DeepSeek's own code does this for V2 as well; transformers' V2 port
//    omits it, and we follow DeepSeek);
//  - layer i is MoE iff i ≥ first_k_dense_replace and i % moe_layer_freq == 0 (DeepSeek's rule; HF V3
//    ignores moe_layer_freq, which every released config sets to 1), else an MLP of intermediate_size;
//  - MoE: experts.{j}.gate_proj/up_proj/down_proj (or the fused v5 tensors) of moe_intermediate_size and
//    shared_experts (n_shared_experts · moe_intermediate_size wide, ungated) inside the moe graph;
//  - deepseek_v3 router mlp.gate.weight + e_score_correction_bias: native `sigmoid_bias_grouped` (n_group,
//    topk_group, norm_topk_prob, routed_scaling_factor in the manifest; each layer's bias in routers.bin);
//    deepseek_v2 topk_method "greedy": softmax → top-k (`softmax_topk`).
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import {
  convertDecoder,
  DECODER_GRAPHS,
  moePlan,
  type DecoderSpec,
  type LayerPlan,
} from './decoder';
import { HfDecoderWeights, checkTopK } from './hfDecoder';
import { ropeParams, yarnGetMscale, type RopeParams } from './ropeScaling';
import type { Bundle, ConvertOptions, WeightType } from './types';
import { GraphBuilder } from '../onnx/builder';
import { GRAPH_IO as IO } from '../onnx/graphIO';
import { linear, rmsNorm, transpose2d } from '../onnx/blocks';
import { deinterleaveOrder, mlaAttention, type MlaWeights } from '../onnx/mla';
import type { NativeRouter } from '../../routing/types';

export interface MlaSpec {
  qLoraRank: number | null;
  kvLoraRank: number;
  dn: number;
  dr: number;
  dv: number;
  /** score scale (1/√(dn + dr) · mscale²) */
  scale: number;
  rope: RopeParams;
  /** rope channels are stored interleaved (x0 x1 = one pair), as DeepSeek ships them */
  interleaved: boolean;
}

export interface DeepseekSpec extends DecoderSpec {
  mla: MlaSpec;
}

type Obj = Record<string, unknown>;

function positiveInt(config: Obj, key: string, fallback?: number): number {
  const v = configNumber(config, key, fallback);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(
      `config.json: "${key}" must be a positive integer, got ${JSON.stringify(config[key])}`,
    );
  return v;
}

/** A field that may be null (HF: None) or absent: then `fallback`. */
function optionalInt(config: Obj, key: string, fallback: number | null): number | null {
  return config[key] === null || config[key] === undefined ? fallback : positiveInt(config, key);
}

function mlaSpec(config: Obj, family: string): MlaSpec {
  const dn = positiveInt(config, 'qk_nope_head_dim');
  const dr = positiveInt(config, 'qk_rope_head_dim');
  if (dr % 2 !== 0)
    throw new Error(`config.json: "qk_rope_head_dim" must be even (RoPE turns pairs), got ${dr}`);
  const rope = ropeParams(config, dr, 10000);
  if (rope.dynamic || rope.long || rope.dim !== dr)
    throw new Error(
      `config.json: rope_scaling type "${rope.type}"${rope.dim !== dr ? ' with partial_rotary_factor' : ''} is not supported for ${family} (default and yarn are)`,
    );
  let scale = 1 / Math.sqrt(dn + dr);
  const rs = (config.rope_scaling ?? config.rope_parameters) as Obj | undefined;
  // HF: softmax scale × mscale², mscale from mscale_all_dim and the YaRN factor
  if (rope.type !== 'default' && rs && typeof rs.mscale_all_dim === 'number' && rs.mscale_all_dim) {
    const m = yarnGetMscale(Number(rope.scaling?.factor ?? rs.factor), rs.mscale_all_dim);
    scale *= m * m;
  }
  const interleave = family === 'deepseek_v2' || config.rope_interleave !== false;
  return {
    qLoraRank: optionalInt(config, 'q_lora_rank', null),
    kvLoraRank: positiveInt(config, 'kv_lora_rank'),
    dn,
    dr,
    dv: positiveInt(config, 'v_head_dim'),
    scale,
    rope,
    interleaved: interleave,
  };
}

function router(config: Obj, family: string, E: number, k: number): NativeRouter {
  const str = (key: string, fallback: string) =>
    config[key] === undefined || config[key] === null ? fallback : config[key];
  if (family === 'deepseek_v2') {
    const method = str('topk_method', 'greedy');
    if (method !== 'greedy')
      throw new Error(
        `config.json: "topk_method" ${JSON.stringify(method)} is not supported for deepseek_v2 (supported: "greedy"; "noaux_tc" checkpoints are deepseek_v3)`,
      );
    const scoring = str('scoring_func', 'softmax');
    if (scoring !== 'softmax')
      throw new Error(
        `config.json: "scoring_func" ${JSON.stringify(scoring)} is not supported with topk_method "greedy" (supported: "softmax")`,
      );
    const rsf = configNumber(config, 'routed_scaling_factor', 1);
    if (rsf !== 1)
      throw new Error(
        `config.json: "routed_scaling_factor" ${rsf} is not supported with topk_method "greedy" (the softmax_topk router has no scaling; supported: 1)`,
      );
    return { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true };
  }
  const scoring = str('scoring_func', 'sigmoid');
  if (scoring !== 'sigmoid')
    throw new Error(
      `config.json: "scoring_func" ${JSON.stringify(scoring)} is not supported for deepseek_v3 (supported: "sigmoid")`,
    );
  const method = str('topk_method', 'noaux_tc');
  if (method !== 'noaux_tc')
    throw new Error(
      `config.json: "topk_method" ${JSON.stringify(method)} is not supported for deepseek_v3 (supported: "noaux_tc")`,
    );
  const nGroup = optionalInt(config, 'n_group', 1)!;
  const topkGroup = optionalInt(config, 'topk_group', 1)!;
  if (E % nGroup !== 0)
    throw new Error(
      `config.json: "n_routed_experts" ${E} does not split into "n_group" ${nGroup} groups`,
    );
  if (E / nGroup < 2)
    throw new Error(
      `config.json: "n_group" ${nGroup} leaves ${E / nGroup} expert per group; the group score sums each group's two best experts`,
    );
  if (topkGroup > nGroup)
    throw new Error(`config.json: "topk_group" ${topkGroup} exceeds "n_group" ${nGroup}`);
  return {
    type: 'sigmoid_bias_grouped',
    topK: k,
    nGroup,
    topkGroup,
    // HF DeepseekV3Config defaults: norm_topk_prob true, routed_scaling_factor 2.5
    normTopkProb: config.norm_topk_prob !== false,
    routedScalingFactor: configNumber(config, 'routed_scaling_factor', 2.5),
  };
}

export function deepseekSpec(config: Obj): DeepseekSpec {
  const family = config.model_type;
  if (family !== 'deepseek_v3' && family !== 'deepseek_v2')
    throw new Error(
      `config.json: model_type ${JSON.stringify(family)} is not supported by the deepseek_v3 converter`,
    );
  const q = config.quantization_config;
  if (q !== undefined && q !== null) {
    // DeepSeek-V3 ships FP8 weights with per-block weight_scale_inv tensors
    const method = typeof q === 'object' ? (q as Obj).quant_method : q;
    throw new Error(
      `config.json: "quantization_config.quant_method" ${JSON.stringify(method)} is not supported (${family}: convert a bf16 or fp32 copy of the checkpoint)`,
    );
  }
  const act = config.hidden_act ?? 'silu';
  if (act !== 'silu')
    throw new Error(
      `config.json: "hidden_act" ${JSON.stringify(act)} is not supported (supported: "silu")`,
    );
  const D = positiveInt(config, 'hidden_size');
  const H = positiveInt(config, 'num_attention_heads');
  const Hkv = optionalInt(config, 'num_key_value_heads', H);
  // HF repeats k/v num_attention_heads / num_key_value_heads times, but MLA already makes one per head
  if (Hkv !== H)
    throw new Error(
      `config.json: "num_key_value_heads" ${Hkv} must equal "num_attention_heads" ${H} (MLA makes one key/value head per query head)`,
    );
  const L = positiveInt(config, 'num_hidden_layers');
  const mla = mlaSpec(config, family);
  const E = optionalInt(config, 'n_routed_experts', null);
  if (E === null)
    throw new Error(
      `config.json: "n_routed_experts" is null: a model without routed experts is not a MoE (nothing to route)`,
    );
  const k = positiveInt(config, 'num_experts_per_tok');
  checkTopK(E, k, 'n_routed_experts');
  const I = positiveInt(config, 'moe_intermediate_size');
  const nShared = optionalInt(config, 'n_shared_experts', 0) ?? 0;
  const firstDense = configNumber(config, 'first_k_dense_replace', 0);
  const freq = positiveInt(config, 'moe_layer_freq', 1);
  const layers: LayerPlan[] = Array.from({ length: L }, (_, i) =>
    i >= firstDense && i % freq === 0
      ? {
          kind: 'moe',
          E,
          k,
          I,
          ...(nShared > 0 ? { shared: { I: I * nShared, gated: false, count: nShared } } : {}),
        }
      : { kind: 'dense', I: positiveInt(config, 'intermediate_size') },
  );
  if (!layers.some((p) => p.kind === 'moe'))
    throw new Error(
      `config.json: "first_k_dense_replace" ${firstDense} leaves no MoE layer among ${L} layers`,
    );
  return {
    architecture: family,
    V: positiveInt(config, 'vocab_size'),
    D,
    L,
    H,
    Hkv: H,
    hd: mla.dn + mla.dr,
    vhd: mla.dv,
    eps: configNumber(config, 'rms_norm_eps', 1e-6),
    theta: mla.rope.theta,
    maxContext: positiveInt(config, 'max_position_embeddings'),
    rope: mla.rope,
    norm: 'rms',
    router: router(config, family, E, k),
    layers,
    mla,
  };
}

/** Rows [at, at + dr) of each of `blocks` blocks of `stride` rows of a [rows × cols] matrix, de-interleaved. */
function deinterleaveRows(
  w: Float32Array,
  cols: number,
  blocks: number,
  stride: number,
  at: number,
  dr: number,
): Float32Array {
  const out = w.slice();
  const order = deinterleaveOrder(dr);
  for (let b = 0; b < blocks; b++)
    for (let j = 0; j < dr; j++)
      out.set(
        w.subarray((b * stride + at + order[j]) * cols, (b * stride + at + order[j] + 1) * cols),
        (b * stride + at + j) * cols,
      );
  return out;
}

/** MLA tensors in graph layout ([in × out]), rope rows de-interleaved when the checkpoint interleaves them. */
export interface MlaTensors {
  q:
    | { a: Float32Array; aBias?: Float32Array; norm: Float32Array; b: Float32Array }
    | { proj: Float32Array };
  kvA: Float32Array;
  kvABias?: Float32Array;
  kvNorm: Float32Array;
  kvB: Float32Array;
  o: Float32Array;
  oBias?: Float32Array;
}

export class DeepseekWeights extends HfDecoderWeights {
  constructor(
    ck: Checkpoint,
    readonly spec: DeepseekSpec,
  ) {
    super(
      ck,
      spec,
      { prefix: (i) => `model.layers.${i}.mlp`, router: 'gate.weight', experts: 'proj' },
      ck.config.tie_word_embeddings === true,
    );
  }

  private optional(name: string, shape: number[]): Float32Array | undefined {
    return this.ck.has(name) ? this.ck.get(name, shape) : undefined;
  }

  mla(i: number): MlaTensors {
    const { D, H } = this.spec;
    const { qLoraRank: rq, kvLoraRank: r, dn, dr, dv, interleaved } = this.spec.mla;
    const dq = dn + dr;
    const p = `model.layers.${i}.self_attn`;
    // [out × in] → de-interleave the rope rows → [in × out]
    const ropeRows = (w: Float32Array, cols: number, blocks: number, stride: number, at: number) =>
      interleaved ? deinterleaveRows(w, cols, blocks, stride, at, dr) : w;
    const qOut = (name: string, inp: number) =>
      transpose2d(ropeRows(this.ck.get(name, [H * dq, inp]), inp, H, dq, dn), H * dq, inp);
    const aBias = this.optional(`${p}.q_a_proj.bias`, [rq ?? 0]);
    const kvABias = this.optional(`${p}.kv_a_proj_with_mqa.bias`, [r + dr]);
    const oBias = this.optional(`${p}.o_proj.bias`, [D]);
    return {
      q:
        rq === null
          ? { proj: qOut(`${p}.q_proj.weight`, D) }
          : {
              a: this.linearT(`${p}.q_a_proj.weight`, rq, D),
              ...(aBias ? { aBias } : {}),
              norm: this.ck.get(`${p}.q_a_layernorm.weight`, [rq]),
              b: qOut(`${p}.q_b_proj.weight`, rq),
            },
      kvA: transpose2d(
        ropeRows(this.ck.get(`${p}.kv_a_proj_with_mqa.weight`, [r + dr, D]), D, 1, r + dr, r),
        r + dr,
        D,
      ),
      ...(kvABias ? { kvABias: ropeRows(kvABias, 1, 1, r + dr, r) } : {}),
      kvNorm: this.ck.get(`${p}.kv_a_layernorm.weight`, [r]),
      kvB: this.linearT(`${p}.kv_b_proj.weight`, H * (dn + dv), r),
      o: this.linearT(`${p}.o_proj.weight`, D, H * dv),
      ...(oBias ? { oBias } : {}),
    };
  }

  correctionBias(i: number): Float32Array | undefined {
    if (this.spec.router.type !== 'sigmoid_bias_grouped') return undefined;
    return this.ck.get(`${this.ffn.prefix(i)}.gate.e_score_correction_bias`, [
      moePlan(this.spec, i).E,
    ]);
  }

  override shared(i: number) {
    const sh = moePlan(this.spec, i).shared;
    if (!sh) throw new Error(`layer ${i} has no shared experts`);
    const p = `${this.ffn.prefix(i)}.shared_experts`;
    const D = this.spec.D;
    return {
      gate: this.linearT(`${p}.gate_proj.weight`, sh.I, D),
      up: this.linearT(`${p}.up_proj.weight`, sh.I, D),
      down: this.linearT(`${p}.down_proj.weight`, D, sh.I),
    };
  }
}

/** layer{i}.attn.onnx of an MLA model: the decoder contract with past_value [B,H,P,v_head_dim]. */
export function mlaAttnGraph(
  s: DeepseekSpec,
  w: DeepseekWeights,
  i: number,
  wt: WeightType,
): Uint8Array {
  const g = new GraphBuilder(`layer${i}.attn`, wt);
  const { H, D } = s;
  const { qLoraRank: rq, kvLoraRank: r, dn, dr, dv } = s.mla;
  const dq = dn + dr;
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', D]);
  const positions = g.input(IO.positionIds, 'int64', ['B', 'T']);
  const pk = g.input(IO.pastKey, 'float32', ['B', H, 'P', dq]);
  const pv = g.input(IO.pastValue, 'float32', ['B', H, 'P', dv]);
  const t = w.mla(i);
  const names: MlaWeights = {
    q:
      'proj' in t.q
        ? { proj: g.weight(`l${i}_q`, t.q.proj, [D, H * dq]) }
        : {
            a: g.weight(`l${i}_q_a`, t.q.a, [D, rq!]),
            ...(t.q.aBias ? { aBias: g.init(`l${i}_q_a_bias`, t.q.aBias, [rq!]) } : {}),
            norm: g.init(`l${i}_q_a_norm`, t.q.norm, [rq!]),
            b: g.weight(`l${i}_q_b`, t.q.b, [rq!, H * dq]),
          },
    kvA: g.weight(`l${i}_kv_a`, t.kvA, [D, r + dr]),
    ...(t.kvABias ? { kvABias: g.init(`l${i}_kv_a_bias`, t.kvABias, [r + dr]) } : {}),
    kvNorm: g.init(`l${i}_kv_a_norm`, t.kvNorm, [r]),
    kvB: g.weight(`l${i}_kv_b`, t.kvB, [r, H * (dn + dv)]),
    o: g.weight(`l${i}_o`, t.o, [H * dv, D]),
    ...(t.oBias ? { oBias: g.init(`l${i}_o_bias`, t.oBias, [D]) } : {}),
  };
  const x = rmsNorm(g, hidden, g.init(`l${i}_input_norm`, w.inputNorm(i).w, [D]), s.eps);
  const att = mlaAttention(
    g,
    x,
    positions,
    names,
    { numHeads: H, dn, dr, dv, kvLoraRank: r, scale: s.mla.scale, rope: s.mla.rope },
    { key: pk, value: pv },
  );
  g.o('Add', [hidden, att.out], {}, IO.hiddenMid);
  g.o(
    'Identity',
    [rmsNorm(g, IO.hiddenMid, g.init(`l${i}_post_norm`, w.postNorm(i).w, [D]), s.eps)],
    {},
    IO.moeIn,
  );
  g.o('Identity', [att.key], {}, IO.presentKey);
  g.o('Identity', [att.value], {}, IO.presentValue);
  g.output(IO.hiddenMid, 'float32', ['B', 'T', D]);
  g.output(IO.moeIn, 'float32', ['B', 'T', D]);
  const plan = s.layers[i];
  if (plan.kind === 'moe') {
    // float32 in every dtype: routing must stay faithful (E·D values)
    const W = g.weight(`l${i}_router`, transpose2d(w.router(i), plan.E, D), [D, plan.E], {
      exact: true,
    });
    g.o('Identity', [linear(g, IO.moeIn, W)], {}, IO.routerLogits);
    g.output(IO.routerLogits, 'float32', ['B', 'T', plan.E]);
  }
  g.output(IO.presentKey, 'float32', ['B', H, 'S', dq]);
  g.output(IO.presentValue, 'float32', ['B', H, 'S', dv]);
  return g.build(
    `layer ${i}: multi-head latent attention + residual + post-attention norm${plan.kind === 'moe' ? ' + router logits' : ''}`,
  );
}

export async function convertDeepseekV3(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = deepseekSpec(ck.config);
  const w = new DeepseekWeights(ck, s);
  return convertDecoder(ck, s, w, opts, {
    ...DECODER_GRAPHS,
    attn: (_s, _w, i, wt) => mlaAttnGraph(s, w, i, wt),
  });
}
