// Generic split-bundle writer for HF MoE decoder families (DESIGN.md §2). A family file reads its
// config.json into a DecoderSpec and its tensors into DecoderWeights; this file turns them into
// embed / layer{i}.attn / layer{i}.moe / head graphs, routers.bin and the manifest. Every family
// multiplier lives inside the graphs so the engine stays generic:
//   embed:  hidden = embed_tokens[ids] · embeddingMultiplier
//   attn:   hidden_mid = hidden + attn(norm(hidden)) · residualMultiplier; moe_in = norm(hidden_mid)
//   moe:    moe_out = (Σ gates·experts(moe_in) + shared) · residualMultiplier   (engine adds hidden_mid)
//   head:   logits = (norm(hidden) @ lm_head + bias) / logitsScaling
// Dense layers (no router) get an attention graph without router_logits and a moe graph that is
// the plain MLP: moe_in → moe_out, no gates input, no expert_norms output.
// Mixtral goes through here too, with its own embed / attn / head writers (mixtralGraphs.ts).
import { GraphBuilder } from '../onnx/builder';
import { GRAPH_IO as IO } from '../onnx/graphIO';
import { routedExperts, expertWeights } from '../onnx/routedExperts';
import { attention, layerNorm, linear, rmsNorm, swiglu, transpose2d, type AttentionOptions } from '../onnx/blocks';
import type { Manifest } from '../manifest';
import type { NativeRouter } from '../../routing/types';
import type { Checkpoint } from './checkpoint';
import type { Bundle, ConvertOptions, ModelDims, WeightType } from './types';
import { finishBundle } from './finishBundle';
import { BundleWriter } from './streamingWriter';

export type LayerPlan =
  | { kind: 'moe'; E: number; k: number; I: number; shared?: { I: number; gated: boolean; /** experts fused into width I (DeepSeek n_shared_experts), 1 if absent */ count?: number } }
  | { kind: 'dense'; I: number };

export interface DecoderSpec extends ModelDims {
  architecture: string;
  norm: 'rms' | 'layer';
  router: NativeRouter;
  layers: LayerPlan[];
  /** RMSNorm on q/k: per head (Qwen3-MoE) or over the whole projection (OLMoE) */
  qkNorm?: 'head' | 'full';
  clipQkv?: number;
  embeddingMultiplier?: number;
  /** replaces 1/√head_dim as the attention score scale (Granite) */
  attentionMultiplier?: number;
  residualMultiplier?: number;
  /** logits are divided by this (Granite) */
  logitsScaling?: number;
}

export interface NormWeights {
  w: Float32Array;
  /** LayerNorm bias */
  b?: Float32Array;
}

/** Tensors in graph layout: linear weights as [in × out]. */
export interface DecoderWeights {
  /** [V × D] */
  embed(): Float32Array;
  inputNorm(i: number): NormWeights;
  postNorm(i: number): NormWeights;
  finalNorm(): NormWeights;
  attn(i: number): {
    q: Float32Array;
    k: Float32Array;
    v: Float32Array;
    o: Float32Array;
    bias?: { q?: Float32Array; k?: Float32Array; v?: Float32Array; o?: Float32Array };
    qNorm?: Float32Array;
    kNorm?: Float32Array;
  };
  /** [E × D] router rows as stored in the checkpoint */
  router(i: number): Float32Array;
  /** [E] the router's selection bias (DeepSeek-V3 e_score_correction_bias), stored in routers.bin */
  correctionBias?(i: number): Float32Array | undefined;
  /** [E] router bias, for routers that have one (gpt-oss) */
  routerBias?(i: number): Float32Array;
  /** stacked experts: w1ᵀ/w3ᵀ [D × E·I], w2ᵀ [E × I × D] */
  experts(i: number): { w1: Float32Array; w3: Float32Array; w2: Float32Array };
  /** shared expert [D × Is], [D × Is], [Is × D] and its sigmoid gate [D × 1] */
  shared(i: number): { gate: Float32Array; up: Float32Array; down: Float32Array; gateW?: Float32Array };
  /** the MLP of a dense layer */
  dense(i: number): { gate: Float32Array; up: Float32Array; down: Float32Array };
  /** [D × V] and bias [V] */
  lmHead(): { w: Float32Array; b?: Float32Array };
}

/** Layer i's plan when it is a MoE layer. */
export function moePlan(s: DecoderSpec, i: number): Extract<LayerPlan, { kind: 'moe' }> {
  const p = s.layers[i];
  if (p.kind !== 'moe') throw new Error(`layer ${i} is dense: it has no router or experts`);
  return p;
}

function addNorm(g: GraphBuilder, s: DecoderSpec, x: string, name: string, n: NormWeights): string {
  const w = g.init(`${name}`, n.w, [s.D]);
  if (s.norm === 'rms') return rmsNorm(g, x, w, s.eps);
  if (!n.b) throw new Error(`${name}: LayerNorm without a bias`);
  return layerNorm(g, x, w, g.init(`${name}_bias`, n.b, [s.D]), s.eps);
}

function scaled(g: GraphBuilder, x: string, m: number | undefined): string {
  return m === undefined || m === 1 ? x : g.o('Mul', [x, g.scalar(m)]);
}

export function embedGraph(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array {
  const g = new GraphBuilder('embed', wt);
  const ids = g.input(IO.inputIds, 'int64', ['B', 'T']);
  const table = g.weight('embed_tokens', w.embed(), [s.V, s.D]);
  const h = g.o('Gather', [table, ids], { axis: 0 });
  g.o('Identity', [scaled(g, h, s.embeddingMultiplier)], {}, IO.hidden);
  g.output(IO.hidden, 'float32', ['B', 'T', s.D]);
  return g.build('token embedding');
}

export function attnGraph(s: DecoderSpec, w: DecoderWeights, i: number, wt: WeightType): Uint8Array {
  const g = new GraphBuilder(`layer${i}.attn`, wt);
  const plan = s.layers[i];
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', s.D]);
  const positions = g.input(IO.positionIds, 'int64', ['B', 'T']);
  const pk = g.input(IO.pastKey, 'float32', ['B', s.Hkv, 'P', s.hd]);
  const pv = g.input(IO.pastValue, 'float32', ['B', s.Hkv, 'P', s.hd]);
  const a = w.attn(i);
  const qd = s.H * s.hd;
  const kd = s.Hkv * s.hd;
  const names = {
    q: g.weight(`l${i}_q`, a.q, [s.D, qd]),
    k: g.weight(`l${i}_k`, a.k, [s.D, kd]),
    v: g.weight(`l${i}_v`, a.v, [s.D, kd]),
    o: g.weight(`l${i}_o`, a.o, [qd, s.D]),
  };
  const opts: AttentionOptions = {};
  if (a.bias) {
    const b = a.bias;
    opts.bias = {
      ...(b.q ? { q: g.init(`l${i}_q_bias`, b.q, [qd]) } : {}),
      ...(b.k ? { k: g.init(`l${i}_k_bias`, b.k, [kd]) } : {}),
      ...(b.v ? { v: g.init(`l${i}_v_bias`, b.v, [kd]) } : {}),
      ...(b.o ? { o: g.init(`l${i}_o_bias`, b.o, [s.D]) } : {}),
    };
  }
  if (s.qkNorm) {
    const head = s.qkNorm === 'head';
    opts.qkNorm = { mode: s.qkNorm, q: g.init(`l${i}_q_norm`, a.qNorm!, [head ? s.hd : qd]), k: g.init(`l${i}_k_norm`, a.kNorm!, [head ? s.hd : kd]), eps: s.eps };
  }
  if (s.clipQkv !== undefined) opts.clip = s.clipQkv;
  if (s.attentionMultiplier !== undefined) opts.scale = s.attentionMultiplier;
  const x = addNorm(g, s, hidden, `l${i}_input_norm`, w.inputNorm(i));
  const att = attention(g, x, positions, names, { numHeads: s.H, numKvHeads: s.Hkv, headDim: s.hd, ropeTheta: s.rope ?? s.theta }, { key: pk, value: pv }, opts);
  g.o('Add', [hidden, scaled(g, att.out, s.residualMultiplier)], {}, IO.hiddenMid);
  const moeIn = addNorm(g, s, IO.hiddenMid, `l${i}_post_norm`, w.postNorm(i));
  g.o('Identity', [moeIn], {}, IO.moeIn);
  g.o('Identity', [att.key], {}, IO.presentKey);
  g.o('Identity', [att.value], {}, IO.presentValue);
  g.output(IO.hiddenMid, 'float32', ['B', 'T', s.D]);
  g.output(IO.moeIn, 'float32', ['B', 'T', s.D]);
  if (plan.kind === 'moe') {
    // float32 in every dtype: routing must stay faithful (E·D values)
    const router = g.weight(`l${i}_router`, transpose2d(w.router(i), plan.E, s.D), [s.D, plan.E], { exact: true });
    g.o('Identity', [linear(g, IO.moeIn, router)], {}, IO.routerLogits);
    g.output(IO.routerLogits, 'float32', ['B', 'T', plan.E]);
  }
  g.output(IO.presentKey, 'float32', ['B', s.Hkv, 'S', s.hd]);
  g.output(IO.presentValue, 'float32', ['B', s.Hkv, 'S', s.hd]);
  return g.build(`layer ${i}: attention + residual + post-attention norm${plan.kind === 'moe' ? ' + router logits' : ''}`);
}

/** Layer i's routed experts on `moeIn`, weighted by the dense `gates`: `out` [B,T,D] and `norms` [B,T,E]. */
export function routedMoe(g: GraphBuilder, s: DecoderSpec, w: DecoderWeights, i: number, moeIn: string, gates: string) {
  const plan = moePlan(s, i);
  return routedExperts(g, moeIn, gates, expertWeights(g, `l${i}`, w.experts(i), plan.E, plan.I, s.D), s.D);
}

function mlpNames(g: GraphBuilder, prefix: string, m: { gate: Float32Array; up: Float32Array; down: Float32Array }, D: number, I: number) {
  return {
    gate: g.weight(`${prefix}_gate`, m.gate, [D, I]),
    up: g.weight(`${prefix}_up`, m.up, [D, I]),
    down: g.weight(`${prefix}_down`, m.down, [I, D]),
  };
}

export function moeGraph(s: DecoderSpec, w: DecoderWeights, i: number, wt: WeightType): Uint8Array {
  const g = new GraphBuilder(`layer${i}.moe`, wt);
  const plan = s.layers[i];
  const moeIn = g.input(IO.moeIn, 'float32', ['B', 'T', s.D]);
  if (plan.kind === 'dense') {
    const y = swiglu(g, moeIn, mlpNames(g, `l${i}_mlp`, w.dense(i), s.D, plan.I));
    g.o('Identity', [scaled(g, y, s.residualMultiplier)], {}, IO.moeOut);
    g.output(IO.moeOut, 'float32', ['B', 'T', s.D]);
    return g.build(`layer ${i}: dense SwiGLU MLP (no router)`);
  }
  const gates = g.input(IO.gates, 'float32', ['B', 'T', plan.E]);
  const r = routedMoe(g, s, w, i, moeIn, gates);
  let out = r.out;
  if (plan.shared) {
    // Qwen2-MoE: shared expert always on, weighted by sigmoid(shared_expert_gate · x)
    const sw = w.shared(i);
    let y = swiglu(g, moeIn, mlpNames(g, `l${i}_shared`, sw, s.D, plan.shared.I));
    if (plan.shared.gated) y = g.o('Mul', [g.o('Sigmoid', [g.o('MatMul', [moeIn, g.init(`l${i}_shared_gate_w`, sw.gateW!, [s.D, 1])])]), y]);
    out = g.o('Add', [out, y]);
  }
  g.o('Identity', [scaled(g, out, s.residualMultiplier)], {}, IO.moeOut);
  g.o('Identity', [r.norms], {}, IO.expertNorms);
  g.output(IO.moeOut, 'float32', ['B', 'T', s.D]);
  g.output(IO.expertNorms, 'float32', ['B', 'T', plan.E]);
  return g.build(`layer ${i}: SwiGLU experts on their routed tokens${plan.shared ? ' + shared expert' : ''}`);
}

export function headGraph(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array {
  const g = new GraphBuilder('head', wt);
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', s.D]);
  const lm = w.lmHead();
  const x = addNorm(g, s, hidden, 'final_norm', w.finalNorm());
  let y = linear(g, x, g.weight('lm_head', lm.w, [s.D, s.V]), lm.b ? g.init('lm_head_bias', lm.b, [s.V]) : undefined);
  if (s.logitsScaling !== undefined && s.logitsScaling !== 1) y = g.o('Div', [y, g.scalar(s.logitsScaling)]);
  g.o('Identity', [y], {}, IO.logits);
  g.output(IO.logits, 'float32', ['B', 'T', s.V]);
  return g.build('final norm + LM head');
}

/** The graph writers of a bundle; a family whose graphs differ in layout (Mixtral) swaps some. */
export interface GraphWriters {
  embed(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array;
  attn(s: DecoderSpec, w: DecoderWeights, i: number, wt: WeightType): Uint8Array;
  moe(s: DecoderSpec, w: DecoderWeights, i: number, wt: WeightType): Uint8Array;
  head(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array;
  /** the whole model as one graph (fused.onnx, the benchmark floor), written unless opts.fused is false */
  fused?(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array;
}

export const DECODER_GRAPHS: GraphWriters = { embed: embedGraph, attn: attnGraph, moe: moeGraph, head: headGraph };

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Build the bundle of a decoder family: one graph at a time, each written (to opts.sink, if given) before the next is made. */
export async function convertDecoder(ck: Checkpoint, s: DecoderSpec, w: DecoderWeights, opts: ConvertOptions, graphs: GraphWriters = DECODER_GRAPHS): Promise<Bundle> {
  const unwatch = ck.watch({ signal: opts.signal, onTensor: (name, bytes, read, total) => opts.onBytes?.({ kind: 'tensor', name, bytes, read, total }) });
  try {
    return await writeDecoder(ck, s, w, opts, graphs);
  } finally {
    unwatch();
  }
}

async function writeDecoder(ck: Checkpoint, s: DecoderSpec, w: DecoderWeights, opts: ConvertOptions, graphs: GraphWriters): Promise<Bundle> {
  const wt: WeightType = opts.dtype ?? 'fp32';
  const out = new BundleWriter(opts);
  const fused = opts.fused === false ? undefined : graphs.fused;
  const steps = 3 + 2 * s.L + (fused ? 1 : 0);
  let step = 0;
  const progress = (name: string) => {
    out.check();
    opts.onProgress?.(name, step++, steps);
  };
  progress('embed.onnx');
  await out.put('embed.onnx', graphs.embed(s, w, wt));
  const attn: string[] = [];
  const moe: string[] = [];
  for (let i = 0; i < s.L; i++) {
    progress(`layer${i}.attn.onnx`);
    await out.put(`layer${i}.attn.onnx`, graphs.attn(s, w, i, wt));
    attn.push(`layer${i}.attn.onnx`);
    progress(`layer${i}.moe.onnx`);
    await out.put(`layer${i}.moe.onnx`, graphs.moe(s, w, i, wt));
    moe.push(`layer${i}.moe.onnx`);
  }
  progress('head.onnx');
  await out.put('head.onnx', graphs.head(s, w, wt));
  if (fused) {
    progress('fused.onnx');
    await out.put('fused.onnx', fused(s, w, wt));
  }

  // routers.bin, per layer: W_r [E × D] (nothing for a dense layer), post-attention norm weight [D]
  // and, for LayerNorm models, its bias [D]; float32 little-endian.
  progress('routers.bin');
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const put = (a: Float32Array) => {
    const at = offset;
    chunks.push(bytesOf(a));
    offset += a.byteLength;
    return at;
  };
  const layersIdx: Manifest['routerWeights']['layers'] = [];
  for (let i = 0; i < s.L; i++) {
    const plan = s.layers[i];
    const weight = put(plan.kind === 'moe' ? w.router(i) : new Float32Array(0));
    const rb = plan.kind === 'moe' ? w.routerBias?.(i) : undefined;
    const bias = rb ? put(rb) : undefined;
    const n = w.postNorm(i);
    const norm = put(n.w);
    const cb = plan.kind === 'moe' ? w.correctionBias?.(i) : undefined;
    layersIdx.push({ weight, ...(bias !== undefined ? { bias } : {}), norm, ...(s.norm === 'layer' ? { normBias: put(n.b!) } : {}), ...(cb ? { correctionBias: put(cb) } : {}) });
  }
  const routers = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    routers.set(c, at);
    at += c.byteLength;
  }
  const firstMoe = s.layers.find((p) => p.kind === 'moe');
  return finishBundle(ck, out, opts, wt, {
    architecture: s.architecture,
    dims: s,
    layers: s.layers.map((p) =>
      p.kind === 'moe' ? { kind: 'moe', numExperts: p.E, topK: p.k, sharedExperts: p.shared ? (p.shared.count ?? 1) : 0 } : { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    ),
    router: s.router,
    norm: s.norm,
    ...(firstMoe ? { intermediateSize: firstMoe.I } : {}),
    graphs: { embed: 'embed.onnx', attn, moe, head: 'head.onnx', ...(fused ? { fused: 'fused.onnx' } : {}) },
    routers,
    routerLayers: layersIdx,
  });
}
