// HF Mixtral checkpoint → split bundle (DESIGN.md §2). Semantics follow transformers'
// modeling_mixtral: RMSNorm (float32), RoPE with rotate_half, GQA, router = Linear without bias,
// softmax → top-k → renormalise, experts w2(silu(w1 x) · w3 x). Accepts per-expert tensors
// (block_sparse_moe.experts.{j}.w1/w2/w3) and the fused layout (mlp.experts.gate_up_proj
// [E, 2I, H] with gate rows first, mlp.experts.down_proj [E, H, I]).
import { GraphBuilder, type WeightDtype } from '../onnx/builder';
import { routedExperts, expertWeights } from '../onnx/routedExperts';
import { attention, linear, rmsNorm, transpose2d } from '../onnx/blocks';
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import type { Manifest } from '../manifest';
import { finishBundle, type ModelDims } from './finishBundle';
import { stackExperts } from './hfDecoder';

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
  const dims: MixtralDims = {
    V: configNumber(config, 'vocab_size'),
    D,
    L: configNumber(config, 'num_hidden_layers'),
    H,
    Hkv: configNumber(config, 'num_key_value_heads', H),
    hd: configNumber(config, 'head_dim', D / H),
    I: configNumber(config, 'intermediate_size'),
    E: configNumber(config, 'num_local_experts'),
    k: configNumber(config, 'num_experts_per_tok'),
    eps: configNumber(config, 'rms_norm_eps', 1e-5),
    theta: configNumber(config, 'rope_theta', 1e6),
    maxContext: configNumber(config, 'max_position_embeddings'),
  };
  if (dims.H % dims.Hkv !== 0) throw new Error(`config.json: num_attention_heads ${dims.H} is not a multiple of num_key_value_heads ${dims.Hkv}`);
  if (dims.k > dims.E) throw new Error(`config.json: num_experts_per_tok ${dims.k} exceeds num_local_experts ${dims.E}`);
  if (config.tie_word_embeddings === true) throw new Error('config.json: tie_word_embeddings=true is not supported for mixtral yet');
  return dims;
}

/** Weights in the graphs' layout (linear layers as [in × out]); from a checkpoint or a bundle. */
export interface GraphWeights {
  d: MixtralDims;
  /** [V × D] */
  embed(): Float32Array;
  inputNorm(i: number): Float32Array;
  postNorm(i: number): Float32Array;
  /** attention projections as [in × out] */
  attn(i: number): { q: Float32Array; k: Float32Array; v: Float32Array; o: Float32Array };
  /** [D × E] */
  routerT(i: number): Float32Array;
  experts(i: number): { w1: Float32Array; w3: Float32Array; w2: Float32Array };
  finalNorm(): Float32Array;
  /** [D × V] */
  lmHeadT(): Float32Array;
}

/** Reads a Mixtral checkpoint's weights, in either the classic or the fused expert layout. */
export class MixtralWeights implements GraphWeights {
  constructor(
    readonly ck: Checkpoint,
    readonly d: MixtralDims,
  ) {}

  embed(): Float32Array {
    return this.ck.get('model.embed_tokens.weight', [this.d.V, this.d.D]);
  }

  inputNorm(i: number): Float32Array {
    return this.ck.get(`model.layers.${i}.input_layernorm.weight`, [this.d.D]);
  }

  postNorm(i: number): Float32Array {
    return this.ck.get(`model.layers.${i}.post_attention_layernorm.weight`, [this.d.D]);
  }

  attn(i: number) {
    const { d } = this;
    const pre = `model.layers.${i}.self_attn`;
    return {
      q: this.linearT(`${pre}.q_proj.weight`, d.H * d.hd, d.D),
      k: this.linearT(`${pre}.k_proj.weight`, d.Hkv * d.hd, d.D),
      v: this.linearT(`${pre}.v_proj.weight`, d.Hkv * d.hd, d.D),
      o: this.linearT(`${pre}.o_proj.weight`, d.D, d.H * d.hd),
    };
  }

  routerT(i: number): Float32Array {
    return transpose2d(this.router(i), this.d.E, this.d.D);
  }

  finalNorm(): Float32Array {
    return this.ck.get('model.norm.weight', [this.d.D]);
  }

  lmHeadT(): Float32Array {
    return this.linearT('lm_head.weight', this.d.V, this.d.D);
  }

  private moePrefix(i: number): string {
    for (const p of [`model.layers.${i}.block_sparse_moe`, `model.layers.${i}.mlp`]) if (this.ck.has(`${p}.gate.weight`)) return p;
    throw new Error(`layer ${i}: no router weight (looked for model.layers.${i}.block_sparse_moe.gate.weight and model.layers.${i}.mlp.gate.weight)`);
  }

  linearT(name: string, out: number, inp: number): Float32Array {
    return transpose2d(this.ck.get(name, [out, inp]), out, inp);
  }

  router(i: number): Float32Array {
    return this.ck.get(`${this.moePrefix(i)}.gate.weight`, [this.d.E, this.d.D]);
  }

  /** Stacked expert weights: w1ᵀ/w3ᵀ as [D × E·I], w2ᵀ as [E × I × D]. */
  experts(i: number): { w1: Float32Array; w3: Float32Array; w2: Float32Array } {
    const { D, I, E } = this.d;
    const p = this.moePrefix(i);
    const fused = this.ck.has(`${p}.experts.gate_up_proj`)
      ? { gateUp: this.ck.get(`${p}.experts.gate_up_proj`, [E, 2 * I, D]), down: this.ck.get(`${p}.experts.down_proj`, [E, D, I]) }
      : undefined;
    return stackExperts(this.ck, { E, I, D }, fused, (e) => [`${p}.experts.${e}.w1.weight`, `${p}.experts.${e}.w3.weight`, `${p}.experts.${e}.w2.weight`]);
  }
}

function addAttnBlock(g: GraphBuilder, w: GraphWeights, i: number, hidden: string, positions: string, past?: { key: string; value: string }) {
  const { d } = w;
  const inNorm = g.init(`l${i}_input_norm`, w.inputNorm(i), [d.D]);
  const postNorm = g.init(`l${i}_post_norm`, w.postNorm(i), [d.D]);
  const a = w.attn(i);
  const q = g.weight(`l${i}_q`, a.q, [d.D, d.H * d.hd]);
  const k = g.weight(`l${i}_k`, a.k, [d.D, d.Hkv * d.hd]);
  const v = g.weight(`l${i}_v`, a.v, [d.D, d.Hkv * d.hd]);
  const o = g.weight(`l${i}_o`, a.o, [d.H * d.hd, d.D]);
  // Router logits decide the routing the lab is about: float32 in every dtype (E·D values).
  const router = g.weight(`l${i}_router`, w.routerT(i), [d.D, d.E], { exact: true });
  const att = attention(g, rmsNorm(g, hidden, inNorm, d.eps), positions, { q, k, v, o }, { numHeads: d.H, numKvHeads: d.Hkv, headDim: d.hd, ropeTheta: d.theta }, past);
  const mid = g.o('Add', [hidden, att.out]);
  const moeIn = rmsNorm(g, mid, postNorm, d.eps);
  return { mid, moeIn, logits: linear(g, moeIn, router), key: att.key, value: att.value };
}

function addMoeBlock(g: GraphBuilder, w: GraphWeights, i: number, moeIn: string, gates: string) {
  const { d } = w;
  return routedExperts(g, moeIn, gates, expertWeights(g, `l${i}`, w.experts(i), d.E, d.I, d.D), d.D);
}

function embedGraph(w: GraphWeights, wt: WeightType): Uint8Array {
  const { d } = w;
  const g = new GraphBuilder('embed', wt);
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const table = g.weight('embed_tokens', w.embed(), [d.V, d.D]);
  g.o('Gather', [table, ids], { axis: 0 }, 'hidden');
  g.output('hidden', 'float32', ['B', 'T', d.D]);
  return g.build('token embedding');
}

function attnGraph(w: GraphWeights, i: number, wt: WeightType): Uint8Array {
  const { d } = w;
  const g = new GraphBuilder(`layer${i}.attn`, wt);
  const hidden = g.input('hidden', 'float32', ['B', 'T', d.D]);
  const positions = g.input('position_ids', 'int64', ['B', 'T']);
  const pk = g.input('past_key', 'float32', ['B', d.Hkv, 'P', d.hd]);
  const pv = g.input('past_value', 'float32', ['B', d.Hkv, 'P', d.hd]);
  const r = addAttnBlock(g, w, i, hidden, positions, { key: pk, value: pv });
  g.o('Identity', [r.mid], {}, 'hidden_mid');
  g.o('Identity', [r.moeIn], {}, 'moe_in');
  g.o('Identity', [r.logits], {}, 'router_logits');
  g.o('Identity', [r.key], {}, 'present_key');
  g.o('Identity', [r.value], {}, 'present_value');
  g.output('hidden_mid', 'float32', ['B', 'T', d.D]);
  g.output('moe_in', 'float32', ['B', 'T', d.D]);
  g.output('router_logits', 'float32', ['B', 'T', d.E]);
  g.output('present_key', 'float32', ['B', d.Hkv, 'S', d.hd]);
  g.output('present_value', 'float32', ['B', d.Hkv, 'S', d.hd]);
  return g.build(`layer ${i}: attention + residual + post-attention norm + router logits`);
}

function moeGraph(w: GraphWeights, i: number, wt: WeightType): Uint8Array {
  const { d } = w;
  const g = new GraphBuilder(`layer${i}.moe`, wt);
  const moeIn = g.input('moe_in', 'float32', ['B', 'T', d.D]);
  const gates = g.input('gates', 'float32', ['B', 'T', d.E]);
  const r = addMoeBlock(g, w, i, moeIn, gates);
  g.o('Identity', [r.out], {}, 'moe_out');
  g.o('Identity', [r.norms], {}, 'expert_norms');
  g.output('moe_out', 'float32', ['B', 'T', d.D]);
  g.output('expert_norms', 'float32', ['B', 'T', d.E]);
  return g.build(`layer ${i}: SwiGLU experts on their routed tokens`);
}

function addHead(g: GraphBuilder, w: GraphWeights, hidden: string, out: string) {
  const { d } = w;
  const norm = g.init('final_norm', w.finalNorm(), [d.D]);
  const lm = g.weight('lm_head', w.lmHeadT(), [d.D, d.V]);
  g.o('MatMul', [rmsNorm(g, hidden, norm, d.eps), lm], {}, out);
}

function headGraph(w: GraphWeights, wt: WeightType): Uint8Array {
  const g = new GraphBuilder('head', wt);
  const hidden = g.input('hidden', 'float32', ['B', 'T', w.d.D]);
  addHead(g, w, hidden, 'logits');
  g.output('logits', 'float32', ['B', 'T', w.d.V]);
  return g.build('final norm + LM head');
}

/** The whole model as one graph with in-graph native routing: the benchmark floor. */
export function fusedGraph(w: GraphWeights, wt: WeightType = 'fp32'): Uint8Array {
  const { d } = w;
  const g = new GraphBuilder('fused', wt);
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const positions = g.input('position_ids', 'int64', ['B', 'T']);
  const table = g.weight('embed_tokens', w.embed(), [d.V, d.D]);
  let h = g.o('Gather', [table, ids], { axis: 0 });
  for (let i = 0; i < d.L; i++) {
    const a = addAttnBlock(g, w, i, h, positions);
    // softmax → top-k → renormalise → scatter into a dense gate matrix
    const p = g.o('Softmax', [a.logits], { axis: -1 });
    const [vals, idx] = g.op('TopK', [p, g.ints([d.k])], { axis: -1, largest: 1, sorted: 1 }, 2);
    const norm = g.o('Div', [vals, g.o('ReduceSum', [vals, g.ints([-1])], { keepdims: 1 })]);
    const gates = g.o('ScatterElements', [g.o('Mul', [p, g.scalar(0)]), idx, norm], { axis: -1 });
    h = g.o('Add', [a.mid, addMoeBlock(g, w, i, a.moeIn, gates).out]);
  }
  addHead(g, w, h, 'logits');
  g.output('logits', 'float32', ['B', 'T', d.V]);
  return g.build('whole model, native routing inside the graph (benchmark floor)');
}

export type WeightType = WeightDtype;

export interface ConvertOptions {
  /** storage of large weight matrices: fp32, fp16 (float32 compute) or q8/q4 (MatMulNBits) */
  dtype?: WeightType;
  id: string;
  name?: string;
  fused?: boolean;
  license?: string;
  source?: string;
  languages?: string[];
  /** probe files (<lang>.json → bytes), stored under probes/ */
  probes?: Map<string, Uint8Array>;
  onProgress?: (step: string, index: number, count: number) => void;
}

export interface Bundle {
  manifest: Manifest;
  /** path → bytes, every file listed in the manifest */
  files: Map<string, Uint8Array>;
}

export async function convertMixtral(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  const d = mixtralDims(ck.config);
  const w = new MixtralWeights(ck, d);
  const wt: WeightType = opts.dtype ?? 'fp32';
  const files = new Map<string, Uint8Array>();
  const steps = 3 + 2 * d.L + (opts.fused === false ? 0 : 1);
  let step = 0;
  const progress = (s: string) => opts.onProgress?.(s, step++, steps);

  progress('embed.onnx');
  files.set('embed.onnx', embedGraph(w, wt));
  const attn: string[] = [];
  const moe: string[] = [];
  for (let i = 0; i < d.L; i++) {
    progress(`layer${i}.attn.onnx`);
    files.set(`layer${i}.attn.onnx`, attnGraph(w, i, wt));
    attn.push(`layer${i}.attn.onnx`);
    progress(`layer${i}.moe.onnx`);
    files.set(`layer${i}.moe.onnx`, moeGraph(w, i, wt));
    moe.push(`layer${i}.moe.onnx`);
  }
  progress('head.onnx');
  files.set('head.onnx', headGraph(w, wt));
  if (opts.fused !== false) {
    progress('fused.onnx');
    files.set('fused.onnx', fusedGraph(w, wt));
  }

  // routers.bin: per layer W_r [E × D] then the post-attention norm weight [D], float32 LE.
  progress('routers.bin');
  const perLayer = (d.E * d.D + d.D) * 4;
  const routers = new Uint8Array(perLayer * d.L);
  const layersIdx: Manifest['routerWeights']['layers'] = [];
  for (let i = 0; i < d.L; i++) {
    const base = i * perLayer;
    const wr = w.router(i);
    const nrm = ck.get(`model.layers.${i}.post_attention_layernorm.weight`, [d.D]);
    routers.set(new Uint8Array(wr.buffer, wr.byteOffset, wr.byteLength), base);
    routers.set(new Uint8Array(nrm.buffer, nrm.byteOffset, nrm.byteLength), base + d.E * d.D * 4);
    layersIdx.push({ weight: base, norm: base + d.E * d.D * 4 });
  }
  return finishBundle(ck, files, opts, wt, {
    architecture: 'mixtral',
    dims: d,
    layers: Array.from({ length: d.L }, () => ({ kind: 'moe', numExperts: d.E, topK: d.k, sharedExperts: 0 })),
    router: { type: 'softmax_topk', topK: d.k, normTopkProb: true },
    intermediateSize: d.I,
    graphs: { embed: 'embed.onnx', attn, moe, head: 'head.onnx', ...(opts.fused === false ? {} : { fused: 'fused.onnx' }) },
    routers,
    routerLayers: layersIdx,
  });
}
