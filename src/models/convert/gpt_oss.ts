// HF gpt-oss → split bundle. Read from transformers' modeling_gpt_oss / configuration_gpt_oss and
// integrations/mxfp4.py:
//  - attention: q/k/v/o with biases (attention_bias), explicit head_dim, GQA, a learned sink logit per
//    head in the softmax denominator (self_attn.sinks [H]); layer_types[i] "sliding_attention" sees the
//    last sliding_window positions only (mask in the graph, so the engine's full KV cache stays exact);
//  - RoPE from rope_scaling / rope_parameters (YaRN with factor 32 and truncate false in the released
//    models; absent, HF's default is that same YaRN dict); rope_theta defaults to 150000;
//  - router: mlp.router.weight [E, D] + bias [E]; top-k of the logits, softmax over those k (topk_softmax);
//  - experts: mlp.experts.gate_up_proj [E, D, 2I] (gate = even columns, up = odd) + gate_up_proj_bias
//    [E, 2I], down_proj [E, I, D] + down_proj_bias [E, D]; out = ((clamp(up, ±limit) + 1) · g · σ(alpha · g))
//    with g = min(gate, limit), alpha = swiglu_alpha (1.702), limit = swiglu_limit (7.0);
//  - or the experts as shipped: *_blocks / *_scales (MXFP4, quantization_config.quant_method "mxfp4"),
//    dequantised on read (mxfp4.ts), then stored in the bundle's dtype like any other weight.
import { GraphBuilder } from '../onnx/builder';
import { GRAPH_IO as IO } from '../onnx/graphIO';
import { linear, rmsNorm } from '../onnx/blocks';
import { routedExperts } from '../onnx/routedExperts';
import { clampedSwiglu, sinkAttention } from '../onnx/gptOss';
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { convertDecoder, DECODER_GRAPHS, moePlan, type DecoderSpec } from './decoder';
import { baseDims, checkModelType, checkTopK, HfDecoderWeights } from './hfDecoder';
import { Mxfp4Tensor } from './mxfp4';
import type { RopeParams } from './ropeScaling';
import type { Bundle, ConvertOptions, WeightType } from './types';

export interface GptOssSpec extends DecoderSpec {
  rope: RopeParams;
  /** per layer: sliding-window attention (else full causal) */
  sliding: boolean[];
  /** sliding_window: positions a sliding layer sees, its own included */
  window: number;
  swigluAlpha: number;
  swigluLimit: number;
}

/** HF's rope when a gpt-oss config gives none (GptOssConfig.__post_init__). */
const DEFAULT_ROPE = {
  rope_type: 'yarn',
  factor: 32.0,
  beta_fast: 32.0,
  beta_slow: 1.0,
  truncate: false,
  original_max_position_embeddings: 4096,
};
const LAYER_TYPES = ['sliding_attention', 'full_attention'];

export function gptOssSpec(config: Record<string, unknown>): GptOssSpec {
  checkModelType(config, 'gpt_oss');
  const q = config.quantization_config as { quant_method?: unknown } | undefined | null;
  if (q !== undefined && q !== null && q.quant_method !== 'mxfp4')
    throw new Error(
      `config.json: "quantization_config.quant_method" ${JSON.stringify(q.quant_method)} is not supported (gpt_oss: "mxfp4" or unquantised)`,
    );
  const noRope =
    (config.rope_scaling ?? null) === null && (config.rope_parameters ?? null) === null;
  const b = baseDims(
    { rope_theta: 150000, ...config, ...(noRope ? { rope_scaling: DEFAULT_ROPE } : {}) },
    1e-5,
    'head_dim',
  );
  const E = configNumber(config, 'num_local_experts');
  const k =
    config.num_experts_per_tok !== undefined
      ? configNumber(config, 'num_experts_per_tok')
      : configNumber(config, 'experts_per_token', 4);
  checkTopK(E, k, 'num_local_experts');
  const I = configNumber(config, 'intermediate_size');
  const types = config.layer_types ?? Array.from({ length: b.L }, (_, i) => LAYER_TYPES[i % 2]);
  if (!Array.isArray(types) || types.length !== b.L || !types.every((t) => LAYER_TYPES.includes(t)))
    throw new Error(
      `config.json: "layer_types" must list ${b.L} entries (num_hidden_layers), each "sliding_attention" or "full_attention", got ${JSON.stringify(types)}`,
    );
  const sliding = types.map((t) => t === 'sliding_attention');
  const window = config.sliding_window ?? 128;
  if (
    sliding.some(Boolean) &&
    !(typeof window === 'number' && Number.isInteger(window) && window >= 1)
  )
    throw new Error(
      `config.json: "sliding_window" must be a positive integer for the "sliding_attention" layers, got ${JSON.stringify(config.sliding_window)}`,
    );
  const swigluLimit = configNumber(config, 'swiglu_limit', 7.0);
  if (!(swigluLimit > 0))
    throw new Error(`config.json: "swiglu_limit" must be > 0, got ${swigluLimit}`);
  return {
    architecture: 'gpt_oss',
    ...b,
    rope: b.rope,
    norm: 'rms',
    router: { type: 'topk_softmax', topK: k },
    layers: Array.from({ length: b.L }, () => ({ kind: 'moe', E, k, I })),
    sliding,
    window: window as number,
    swigluAlpha: configNumber(config, 'swiglu_alpha', 1.702),
    swigluLimit,
  };
}

/** One expert in graph layout: [D × I] gate and up, [I × D] down, and their biases. */
export interface GptOssExpert {
  gate: Float32Array;
  up: Float32Array;
  down: Float32Array;
  gateBias: Float32Array;
  upBias: Float32Array;
  downBias: Float32Array;
}

export class GptOssWeights extends HfDecoderWeights {
  constructor(
    ck: Checkpoint,
    readonly spec: GptOssSpec,
  ) {
    super(
      ck,
      spec,
      { prefix: (i) => `model.layers.${i}.mlp`, router: 'router.weight', experts: 'proj' },
      ck.config.tie_word_embeddings === true,
    );
  }

  /** [H] sink logits */
  sinks(i: number): Float32Array {
    return this.ck.get(`model.layers.${i}.self_attn.sinks`, [this.spec.H]);
  }

  routerBias(i: number): Float32Array {
    return this.ck.get(`model.layers.${i}.mlp.router.bias`, [moePlan(this.spec, i).E]);
  }

  override experts(i: number): never {
    throw new Error(
      `layer ${i}: gpt-oss experts carry biases and a clamped SwiGLU; read them with gptExperts(${i})`,
    );
  }

  /** Layer i's experts, from float gate_up_proj / down_proj or from their MXFP4 blocks and scales. */
  gptExperts(i: number): GptOssExpert[] {
    const { E, I } = moePlan(this.spec, i);
    const D = this.spec.D;
    const p = `model.layers.${i}.mlp.experts`;
    const gub = this.ck.get(`${p}.gate_up_proj_bias`, [E, 2 * I]);
    const db = this.ck.get(`${p}.down_proj_bias`, [E, D]);
    // gu(e)(d, c): column c of row d of expert e's [D × 2I] gate_up; dn(e): its [I × D] down
    let gu: (e: number) => (d: number, c: number) => number;
    let dn: (e: number) => Float32Array;
    if (this.ck.has(`${p}.gate_up_proj_blocks`)) {
      // stored transposed: [2I × D] and [D × I] per expert
      const gq = new Mxfp4Tensor(this.ck, `${p}.gate_up_proj`, E, 2 * I, D);
      const dq = new Mxfp4Tensor(this.ck, `${p}.down_proj`, E, D, I);
      gu = (e) => {
        const m = gq.expert(e);
        return (d, c) => m[c * D + d];
      };
      dn = (e) => {
        const m = dq.expert(e);
        const out = new Float32Array(I * D);
        for (let d = 0; d < D; d++) for (let r = 0; r < I; r++) out[r * D + d] = m[d * I + r];
        return out;
      };
    } else if (this.ck.has(`${p}.gate_up_proj`)) {
      const all = this.ck.get(`${p}.gate_up_proj`, [E, D, 2 * I]);
      const down = this.ck.get(`${p}.down_proj`, [E, I, D]);
      gu = (e) => (d, c) => all[e * D * 2 * I + d * 2 * I + c];
      dn = (e) => down.slice(e * I * D, (e + 1) * I * D);
    } else
      throw new Error(
        `tensor "${p}.gate_up_proj" not found in the checkpoint, nor its MXFP4 form "${p}.gate_up_proj_blocks" / "_scales"`,
      );
    return Array.from({ length: E }, (_, e) => {
      const at = gu(e);
      const gate = new Float32Array(D * I);
      const up = new Float32Array(D * I);
      for (let d = 0; d < D; d++)
        for (let j = 0; j < I; j++) {
          gate[d * I + j] = at(d, 2 * j);
          up[d * I + j] = at(d, 2 * j + 1);
        }
      const b = gub.subarray(e * 2 * I, (e + 1) * 2 * I);
      return {
        gate,
        up,
        down: dn(e),
        gateBias: Float32Array.from({ length: I }, (_, j) => b[2 * j]),
        upBias: Float32Array.from({ length: I }, (_, j) => b[2 * j + 1]),
        downBias: db.slice(e * D, (e + 1) * D),
      };
    });
  }
}

export function gptOssAttnGraph(
  s: GptOssSpec,
  w: GptOssWeights,
  i: number,
  wt: WeightType,
): Uint8Array {
  const g = new GraphBuilder(`layer${i}.attn`, wt);
  const { D, H, Hkv, hd } = s;
  const E = moePlan(s, i).E;
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', D]);
  const positions = g.input(IO.positionIds, 'int64', ['B', 'T']);
  const pk = g.input(IO.pastKey, 'float32', ['B', Hkv, 'P', hd]);
  const pv = g.input(IO.pastValue, 'float32', ['B', Hkv, 'P', hd]);
  const a = w.attn(i);
  const qd = H * hd;
  const kd = Hkv * hd;
  const names = {
    q: g.weight(`l${i}_q`, a.q, [D, qd]),
    k: g.weight(`l${i}_k`, a.k, [D, kd]),
    v: g.weight(`l${i}_v`, a.v, [D, kd]),
    o: g.weight(`l${i}_o`, a.o, [qd, D]),
  };
  const b = a.bias;
  const bias = {
    ...(b?.q ? { q: g.init(`l${i}_q_bias`, b.q, [qd]) } : {}),
    ...(b?.k ? { k: g.init(`l${i}_k_bias`, b.k, [kd]) } : {}),
    ...(b?.v ? { v: g.init(`l${i}_v_bias`, b.v, [kd]) } : {}),
    ...(b?.o ? { o: g.init(`l${i}_o_bias`, b.o, [D]) } : {}),
  };
  const sinks = g.init(`l${i}_sinks`, w.sinks(i), [1, Hkv, H / Hkv, 1, 1]);
  const x = rmsNorm(g, hidden, g.init(`l${i}_input_norm`, w.inputNorm(i).w, [D]), s.eps);
  const att = sinkAttention(
    g,
    x,
    positions,
    names,
    { numHeads: H, numKvHeads: Hkv, headDim: hd },
    s.rope,
    { key: pk, value: pv },
    {
      sinks,
      ...(s.sliding[i] ? { window: s.window } : {}),
      bias,
    },
  );
  g.o('Add', [hidden, att.out], {}, IO.hiddenMid);
  const moeIn = rmsNorm(g, IO.hiddenMid, g.init(`l${i}_post_norm`, w.postNorm(i).w, [D]), s.eps);
  g.o('Identity', [moeIn], {}, IO.moeIn);
  // float32 in every dtype: routing must stay faithful
  const router = g.weight(
    `l${i}_router`,
    w.linearT(`model.layers.${i}.mlp.router.weight`, E, D),
    [D, E],
    { exact: true },
  );
  g.o(
    'Identity',
    [linear(g, IO.moeIn, router, g.init(`l${i}_router_bias`, w.routerBias(i), [E]))],
    {},
    IO.routerLogits,
  );
  g.o('Identity', [att.key], {}, IO.presentKey);
  g.o('Identity', [att.value], {}, IO.presentValue);
  g.output(IO.hiddenMid, 'float32', ['B', 'T', D]);
  g.output(IO.moeIn, 'float32', ['B', 'T', D]);
  g.output(IO.routerLogits, 'float32', ['B', 'T', E]);
  g.output(IO.presentKey, 'float32', ['B', Hkv, 'S', hd]);
  g.output(IO.presentValue, 'float32', ['B', Hkv, 'S', hd]);
  const kind = s.sliding[i] ? `sliding-window (${s.window}) attention` : 'full attention';
  return g.build(
    `layer ${i}: ${kind} with sinks + residual + post-attention norm + router logits (with bias)`,
  );
}

export function gptOssMoeGraph(
  s: GptOssSpec,
  w: GptOssWeights,
  i: number,
  wt: WeightType,
): Uint8Array {
  const g = new GraphBuilder(`layer${i}.moe`, wt);
  const { E, I } = moePlan(s, i);
  const D = s.D;
  const moeIn = g.input(IO.moeIn, 'float32', ['B', 'T', D]);
  const gates = g.input(IO.gates, 'float32', ['B', 'T', E]);
  const experts = w.gptExperts(i).map((x, e) => ({
    gate: g.weight(`l${i}_w1_e${e}`, x.gate, [D, I]),
    up: g.weight(`l${i}_w3_e${e}`, x.up, [D, I]),
    down: g.weight(`l${i}_w2_e${e}`, x.down, [I, D]),
    gateBias: g.init(`l${i}_b1_e${e}`, x.gateBias, [I]),
    upBias: g.init(`l${i}_b3_e${e}`, x.upBias, [I]),
    downBias: g.init(`l${i}_b2_e${e}`, x.downBias, [D]),
  }));
  const r = routedExperts(g, moeIn, gates, experts, D, (gb, xe, e) =>
    clampedSwiglu(gb, xe, experts[e], s.swigluAlpha, s.swigluLimit),
  );
  g.o('Identity', [r.out], {}, IO.moeOut);
  g.o('Identity', [r.norms], {}, IO.expertNorms);
  g.output(IO.moeOut, 'float32', ['B', 'T', D]);
  g.output(IO.expertNorms, 'float32', ['B', 'T', E]);
  return g.build(
    `layer ${i}: clamped-SwiGLU experts with biases (alpha ${s.swigluAlpha}, limit ${s.swigluLimit}) on their routed tokens`,
  );
}

export async function convertGptOss(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const s = gptOssSpec(ck.config);
  const w = new GptOssWeights(ck, s);
  return convertDecoder(ck, s, w, opts, {
    ...DECODER_GRAPHS,
    attn: (_s, _w, i, wt) => gptOssAttnGraph(s, w, i, wt),
    moe: (_s, _w, i, wt) => gptOssMoeGraph(s, w, i, wt),
  });
}
