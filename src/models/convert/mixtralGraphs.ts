// Mixtral's embed / attn / head graphs and the fused whole-model graph, composed from the same
// blocks. They compute what decoder.ts's graphs compute for a Mixtral spec (its moe graph is
// decoder.ts's), but place their nodes and initialisers in another order, and that order is part
// of the bytes and sha256s of every Mixtral bundle written so far: so Mixtral keeps these writers.
import { GraphBuilder } from '../onnx/builder';
import { GRAPH_IO as IO } from '../onnx/graphIO';
import { attention, linear, rmsNorm, transpose2d } from '../onnx/blocks';
import { DECODER_GRAPHS, moePlan, routedMoe, type DecoderSpec, type DecoderWeights, type GraphWriters } from './decoder';
import type { WeightType } from './types';

function addAttnBlock(g: GraphBuilder, s: DecoderSpec, w: DecoderWeights, i: number, hidden: string, positions: string, past?: { key: string; value: string }) {
  const { E } = moePlan(s, i);
  const inNorm = g.init(`l${i}_input_norm`, w.inputNorm(i).w, [s.D]);
  const postNorm = g.init(`l${i}_post_norm`, w.postNorm(i).w, [s.D]);
  const a = w.attn(i);
  const q = g.weight(`l${i}_q`, a.q, [s.D, s.H * s.hd]);
  const k = g.weight(`l${i}_k`, a.k, [s.D, s.Hkv * s.hd]);
  const v = g.weight(`l${i}_v`, a.v, [s.D, s.Hkv * s.hd]);
  const o = g.weight(`l${i}_o`, a.o, [s.H * s.hd, s.D]);
  // Router logits decide the routing the lab is about: float32 in every dtype (E·D values).
  const router = g.weight(`l${i}_router`, transpose2d(w.router(i), E, s.D), [s.D, E], { exact: true });
  const att = attention(g, rmsNorm(g, hidden, inNorm, s.eps), positions, { q, k, v, o }, { numHeads: s.H, numKvHeads: s.Hkv, headDim: s.hd, ropeTheta: s.rope ?? s.theta }, past);
  const mid = g.o('Add', [hidden, att.out]);
  const moeIn = rmsNorm(g, mid, postNorm, s.eps);
  return { mid, moeIn, logits: linear(g, moeIn, router), key: att.key, value: att.value };
}

function embedGraph(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array {
  const g = new GraphBuilder('embed', wt);
  const ids = g.input(IO.inputIds, 'int64', ['B', 'T']);
  const table = g.weight('embed_tokens', w.embed(), [s.V, s.D]);
  g.o('Gather', [table, ids], { axis: 0 }, IO.hidden);
  g.output(IO.hidden, 'float32', ['B', 'T', s.D]);
  return g.build('token embedding');
}

function attnGraph(s: DecoderSpec, w: DecoderWeights, i: number, wt: WeightType): Uint8Array {
  const g = new GraphBuilder(`layer${i}.attn`, wt);
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', s.D]);
  const positions = g.input(IO.positionIds, 'int64', ['B', 'T']);
  const pk = g.input(IO.pastKey, 'float32', ['B', s.Hkv, 'P', s.hd]);
  const pv = g.input(IO.pastValue, 'float32', ['B', s.Hkv, 'P', s.hd]);
  const r = addAttnBlock(g, s, w, i, hidden, positions, { key: pk, value: pv });
  g.o('Identity', [r.mid], {}, IO.hiddenMid);
  g.o('Identity', [r.moeIn], {}, IO.moeIn);
  g.o('Identity', [r.logits], {}, IO.routerLogits);
  g.o('Identity', [r.key], {}, IO.presentKey);
  g.o('Identity', [r.value], {}, IO.presentValue);
  g.output(IO.hiddenMid, 'float32', ['B', 'T', s.D]);
  g.output(IO.moeIn, 'float32', ['B', 'T', s.D]);
  g.output(IO.routerLogits, 'float32', ['B', 'T', moePlan(s, i).E]);
  g.output(IO.presentKey, 'float32', ['B', s.Hkv, 'S', s.hd]);
  g.output(IO.presentValue, 'float32', ['B', s.Hkv, 'S', s.hd]);
  return g.build(`layer ${i}: attention + residual + post-attention norm + router logits`);
}

function addHead(g: GraphBuilder, s: DecoderSpec, w: DecoderWeights, hidden: string, out: string) {
  const norm = g.init('final_norm', w.finalNorm().w, [s.D]);
  const lm = g.weight('lm_head', w.lmHead().w, [s.D, s.V]);
  g.o('MatMul', [rmsNorm(g, hidden, norm, s.eps), lm], {}, out);
}

function headGraph(s: DecoderSpec, w: DecoderWeights, wt: WeightType): Uint8Array {
  const g = new GraphBuilder('head', wt);
  const hidden = g.input(IO.hidden, 'float32', ['B', 'T', s.D]);
  addHead(g, s, w, hidden, IO.logits);
  g.output(IO.logits, 'float32', ['B', 'T', s.V]);
  return g.build('final norm + LM head');
}

/** The whole model as one graph with in-graph native routing: the benchmark floor. */
export function fusedGraph(s: DecoderSpec, w: DecoderWeights, wt: WeightType = 'fp32'): Uint8Array {
  const g = new GraphBuilder('fused', wt);
  const ids = g.input(IO.inputIds, 'int64', ['B', 'T']);
  const positions = g.input(IO.positionIds, 'int64', ['B', 'T']);
  const table = g.weight('embed_tokens', w.embed(), [s.V, s.D]);
  let h = g.o('Gather', [table, ids], { axis: 0 });
  for (let i = 0; i < s.L; i++) {
    const a = addAttnBlock(g, s, w, i, h, positions);
    // softmax → top-k → renormalise → scatter into a dense gate matrix
    const p = g.o('Softmax', [a.logits], { axis: -1 });
    const [vals, idx] = g.op('TopK', [p, g.ints([moePlan(s, i).k])], { axis: -1, largest: 1, sorted: 1 }, 2);
    const norm = g.o('Div', [vals, g.o('ReduceSum', [vals, g.ints([-1])], { keepdims: 1 })]);
    const gates = g.o('ScatterElements', [g.o('Mul', [p, g.scalar(0)]), idx, norm], { axis: -1 });
    h = g.o('Add', [a.mid, routedMoe(g, s, w, i, a.moeIn, gates).out]);
  }
  addHead(g, s, w, h, IO.logits);
  g.output(IO.logits, 'float32', ['B', 'T', s.V]);
  return g.build('whole model, native routing inside the graph (benchmark floor)');
}

/** Mixtral's writers: its own embed / attn / head layout, decoder.ts's moe graph, and the fused graph. */
export const MIXTRAL_GRAPHS: GraphWriters = { ...DECODER_GRAPHS, embed: embedGraph, attn: attnGraph, head: headGraph, fused: fusedGraph };
