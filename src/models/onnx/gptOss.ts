// gpt-oss blocks (transformers modeling_gpt_oss, eager path): attention with a learned sink logit
// per head and an optional sliding window (RoPE as the config gives it, YaRN for the real models),
// and the experts' clamped SwiGLU with biases. Shapes as in blocks.ts: B batch, T new tokens,
// P past, S = P + T.
import type { GraphBuilder } from './builder';
import { applyRope, linear, ropeTables, type AttentionWeights } from './blocks';
import type { RopeParams } from '../convert/ropeScaling';

export interface SinkAttentionOptions {
  /** per-head sink logits as an initializer of shape [1, Hkv, rep, 1, 1] (head h = g·rep + r) */
  sinks: string;
  /** sliding window: key j is visible to the query at position p iff p − window < j ≤ p */
  window?: number;
  /** [out] projection biases */
  bias?: { q?: string; k?: string; v?: string; o?: string };
}

/**
 * Causal GQA with attention sinks: softmax over [scores, sink] per head, the sink's share dropped,
 * so the probabilities of a row sum to less than one. The mask is built from absolute positions
 * over the whole cache, so a window stays exact however far the cache grows past it.
 */
export function sinkAttention(
  g: GraphBuilder,
  x: string,
  positions: string,
  w: AttentionWeights,
  dims: { numHeads: number; numKvHeads: number; headDim: number },
  rope: RopeParams,
  past: { key: string; value: string },
  opts: SinkAttentionOptions,
): { out: string; key: string; value: string } {
  const { numHeads: H, numKvHeads: Hkv, headDim: hd } = dims;
  const rep = H / Hkv;
  const { bias } = opts;
  const q5 = g.o(
    'Transpose',
    [g.o('Reshape', [linear(g, x, w.q, bias?.q), g.ints([0, 0, Hkv, rep, hd])])],
    { perm: [0, 2, 3, 1, 4] },
  ); // [B,Hkv,rep,T,hd]
  const k4 = g.o(
    'Transpose',
    [g.o('Reshape', [linear(g, x, w.k, bias?.k), g.ints([0, 0, Hkv, hd])])],
    { perm: [0, 2, 1, 3] },
  ); // [B,Hkv,T,hd]
  const v4 = g.o(
    'Transpose',
    [g.o('Reshape', [linear(g, x, w.v, bias?.v), g.ints([0, 0, Hkv, hd])])],
    { perm: [0, 2, 1, 3] },
  );
  const { cos, sin } = ropeTables(g, positions, hd, rope);
  const cos4 = g.o('Unsqueeze', [cos, g.ints([1])]); // [B,1,T,dim]
  const sin4 = g.o('Unsqueeze', [sin, g.ints([1])]);
  const qr = applyRope(
    g,
    q5,
    g.o('Unsqueeze', [cos4, g.ints([1])]),
    g.o('Unsqueeze', [sin4, g.ints([1])]),
    rope.dim,
    hd,
  );
  const kr = applyRope(g, k4, cos4, sin4, rope.dim, hd);
  const kAll = g.o('Concat', [past.key, kr], { axis: 2 }); // [B,Hkv,S,hd]
  const vAll = g.o('Concat', [past.value, v4], { axis: 2 });
  const kT = g.o('Unsqueeze', [g.o('Transpose', [kAll], { perm: [0, 1, 3, 2] }), g.ints([2])]); // [B,Hkv,1,hd,S]
  const scores = g.o('Mul', [g.o('MatMul', [qr, kT]), g.scalar(1 / Math.sqrt(hd))]); // [B,Hkv,rep,T,S]

  const S = g.o('Squeeze', [
    g.o('Gather', [g.o('Shape', [kAll]), g.ints([2])], { axis: 0 }),
    g.ints([0]),
  ]);
  const keyPos = g.o('Range', [g.intScalar(0), S, g.intScalar(1)]); // [S]
  const qPos = g.o('Unsqueeze', [positions, g.ints([1, 2, 4])]); // [B,1,1,T,1]
  let hidden = g.o('Less', [qPos, keyPos]); // future keys
  // HF sliding_window_overlay: visible iff j > p − window, so hidden iff j < p − window + 1
  if (opts.window !== undefined)
    hidden = g.o('Or', [
      hidden,
      g.o('Less', [keyPos, g.o('Sub', [qPos, g.intScalar(opts.window - 1)])]),
    ]);
  const masked = g.o('Where', [hidden, g.scalar(-Infinity), scores]);

  // softmax over the row and its sink: m = max(row, sink); p_j = e^(s_j − m) / (Σ e^(s − m) + e^(sink − m))
  const m = g.o('Max', [g.o('ReduceMax', [masked], { axes: [-1], keepdims: 1 }), opts.sinks]);
  const e = g.o('Exp', [g.o('Sub', [masked, m])]);
  const denom = g.o('Add', [
    g.o('ReduceSum', [e, g.ints([-1])], { keepdims: 1 }),
    g.o('Exp', [g.o('Sub', [opts.sinks, m])]),
  ]);
  const probs = g.o('Div', [e, denom]);

  const ctx = g.o('MatMul', [probs, g.o('Unsqueeze', [vAll, g.ints([2])])]); // [B,Hkv,rep,T,hd]
  const merged = g.o('Reshape', [
    g.o('Transpose', [ctx], { perm: [0, 3, 1, 2, 4] }),
    g.ints([0, 0, H * hd]),
  ]);
  return { out: linear(g, merged, w.o, bias?.o), key: kAll, value: vAll };
}

export interface BiasedExpert {
  /** [D × I] gate (the even columns of gate_up_proj) */
  gate: string;
  /** [D × I] up (the odd columns) */
  up: string;
  /** [I × D] */
  down: string;
  /** [I], [I], [D] */
  gateBias: string;
  upBias: string;
  downBias: string;
}

/**
 * One gpt-oss expert on its rows xe [n, D]: gate = min(x·Wg + bg, limit), up = clamp(x·Wu + bu, ±limit),
 * out = ((up + 1) · gate · σ(alpha · gate)) · Wd + bd.
 */
export function clampedSwiglu(
  g: GraphBuilder,
  xe: string,
  w: BiasedExpert,
  alpha: number,
  limit: number,
): string {
  const gate = g.o('Min', [linear(g, xe, w.gate, w.gateBias), g.scalar(limit)]);
  const up = g.o('Clip', [linear(g, xe, w.up, w.upBias), g.scalar(-limit), g.scalar(limit)]);
  const glu = g.o('Mul', [gate, g.o('Sigmoid', [g.o('Mul', [gate, g.scalar(alpha)])])]);
  return linear(g, g.o('Mul', [g.o('Add', [up, g.scalar(1)]), glu]), w.down, w.downBias);
}
