// Multi-head latent attention (DeepSeek-V2/V3, transformers' DeepseekV3Attention) as an ONNX subgraph.
// Queries come from a low-rank path (q_a_proj → RMSNorm → q_b_proj) or a plain q_proj; keys and values
// from one compressed projection: kv_a_proj_with_mqa x = [c (kvLoraRank) | k_rot (dr, one head shared
// by all)], then kv_b_proj(RMSNorm c) = per head [k_nope (dn) | v (dv)]. RoPE turns only the rope
// parts (the last dr channels of each query and key head). The cache holds the decompressed keys
// [B,H,P,dn+dr] and values [B,H,P,dv]: the engine's past_key / past_value, with values narrower than
// keys (manifest valueHeadDim). DeepSeek's interleaved rope layout is folded into the weights by the
// converter (a permutation of the rope rows), so this block rotates with rotate_half as Llama does.
import type { GraphBuilder } from './builder';
import { applyRope, linear, rmsNorm, ropeTables } from './blocks';
import type { RopeParams } from '../convert/ropeScaling';

/** HF builds q_a_layernorm / kv_a_layernorm with the RMSNorm default eps, not rms_norm_eps. */
export const MLA_LORA_NORM_EPS = 1e-6;

export interface MlaWeights {
  /** names of [in × out] initialisers: the low-rank query path, or q_proj when q_lora_rank is null */
  q: { a: string; aBias?: string; norm: string; b: string } | { proj: string };
  /** [D × (kvLoraRank + dr)] kv_a_proj_with_mqa and its bias (attention_bias) */
  kvA: string;
  kvABias?: string;
  /** [kvLoraRank] kv_a_layernorm weight */
  kvNorm: string;
  /** [kvLoraRank × H·(dn + dv)] kv_b_proj */
  kvB: string;
  /** [H·dv × D] o_proj and its bias */
  o: string;
  oBias?: string;
}

export interface MlaDims {
  numHeads: number;
  /** qk_nope_head_dim, qk_rope_head_dim, v_head_dim, kv_lora_rank */
  dn: number;
  dr: number;
  dv: number;
  kvLoraRank: number;
  /** score scale: 1/√(dn + dr), × mscale² under YaRN with mscale_all_dim */
  scale: number;
  /** θ of plain RoPE over dr channels, or scaled RoPE (YaRN: inverse frequencies, cos/sin factor) */
  rope: number | RopeParams;
}

/**
 * Causal MLA over x [B,T,D] at absolute positions [B,T], appending to past key [B,H,P,dn+dr] and
 * value [B,H,P,dv]. Returns the projected output [B,T,D] and the whole key / value [B,H,S,·].
 */
export function mlaAttention(
  g: GraphBuilder,
  x: string,
  positions: string,
  w: MlaWeights,
  d: MlaDims,
  past: { key: string; value: string },
): { out: string; key: string; value: string } {
  const { numHeads: H, dn, dr, dv, kvLoraRank: r } = d;
  const dq = dn + dr;
  const slice = (t: string, from: number, to: number) =>
    g.o('Slice', [t, g.ints([from]), g.ints([to]), g.ints([-1])]);
  const heads = (t: string, hd: number) =>
    g.o('Transpose', [g.o('Reshape', [t, g.ints([0, 0, H, hd])])], { perm: [0, 2, 1, 3] }); // [B,H,T,hd]

  const q =
    'proj' in w.q
      ? linear(g, x, w.q.proj)
      : linear(g, rmsNorm(g, linear(g, x, w.q.a, w.q.aBias), w.q.norm, MLA_LORA_NORM_EPS), w.q.b);
  const q4 = heads(q, dq);
  const ckv = linear(g, x, w.kvA, w.kvABias); // [B,T,r+dr]
  const kv4 = heads(
    linear(g, rmsNorm(g, slice(ckv, 0, r), w.kvNorm, MLA_LORA_NORM_EPS), w.kvB),
    dn + dv,
  );
  const kPass = slice(kv4, 0, dn);
  const v4 = slice(kv4, dn, dn + dv);

  const { cos, sin } = ropeTables(g, positions, dr, d.rope); // [B,T,dr]
  const cos4 = g.o('Unsqueeze', [cos, g.ints([1])]); // [B,1,T,dr]
  const sin4 = g.o('Unsqueeze', [sin, g.ints([1])]);
  const qRot = applyRope(g, slice(q4, dn, dq), cos4, sin4, dr);
  const kRot = applyRope(g, g.o('Unsqueeze', [slice(ckv, r, r + dr), g.ints([1])]), cos4, sin4, dr); // [B,1,T,dr]
  // the one rope key head serves every head: expand to [B,H,T,dr]
  const kRotShape = g.o(
    'Concat',
    [g.o('Slice', [g.o('Shape', [kPass]), g.ints([0]), g.ints([3]), g.ints([0])]), g.ints([dr])],
    { axis: 0 },
  );
  const qAll = g.o('Concat', [slice(q4, 0, dn), qRot], { axis: -1 }); // [B,H,T,dq]
  const k = g.o('Concat', [kPass, g.o('Expand', [kRot, kRotShape])], { axis: -1 });

  const kAll = g.o('Concat', [past.key, k], { axis: 2 }); // [B,H,S,dq]
  const vAll = g.o('Concat', [past.value, v4], { axis: 2 }); // [B,H,S,dv]
  const scores = g.o('Mul', [
    g.o('MatMul', [qAll, g.o('Transpose', [kAll], { perm: [0, 1, 3, 2] })]),
    g.scalar(d.scale),
  ]); // [B,H,T,S]

  // Causal mask from absolute positions: key j is hidden from query position p when j > p.
  const S = g.o('Squeeze', [
    g.o('Gather', [g.o('Shape', [kAll]), g.ints([2])], { axis: 0 }),
    g.ints([0]),
  ]);
  const keyPos = g.o('Range', [g.intScalar(0), S, g.intScalar(1)]); // [S]
  const qPos = g.o('Unsqueeze', [positions, g.ints([1, 3])]); // [B,1,T,1]
  const probs = g.o(
    'Softmax',
    [g.o('Where', [g.o('Less', [qPos, keyPos]), g.scalar(-Infinity), scores])],
    { axis: -1 },
  );

  const ctx = g.o('MatMul', [probs, vAll]); // [B,H,T,dv]
  const merged = g.o('Reshape', [
    g.o('Transpose', [ctx], { perm: [0, 2, 1, 3] }),
    g.ints([0, 0, H * dv]),
  ]);
  return { out: linear(g, merged, w.o, w.oBias), key: kAll, value: vAll };
}

/** Row order of a rope block that de-interleaves it: x0 x2 x4 … x1 x3 … (HF apply_rotary_pos_emb_interleave). */
export function deinterleaveOrder(dr: number): number[] {
  return Array.from({ length: dr }, (_, j) => (j < dr / 2 ? 2 * j : 2 * (j - dr / 2) + 1));
}
