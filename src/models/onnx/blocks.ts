// Transformer building blocks as ONNX subgraphs, matching Hugging Face Mixtral semantics:
// RMSNorm in float32, RoPE with rotate_half, grouped-query attention with a KV cache, and
// SwiGLU experts weighted by a dense gate matrix. Each function adds nodes to a GraphBuilder
// and returns the names of its outputs. Shapes use B (batch), T (new tokens), P (past), S = P+T.
import type { GraphBuilder } from './builder';
import type { RopeParams } from '../convert/ropeScaling';

/** [out × in] row-major (PyTorch Linear.weight) → [in × out] for MatMul. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  // In 32 × 32 tiles, so that reads and writes both stay in cache (a 1B model's matrices are MBs).
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B)
    for (let c0 = 0; c0 < cols; c0 += B) {
      const r1 = Math.min(rows, r0 + B);
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = w[r * cols + c];
    }
  return out;
}

/** x * rsqrt(mean(x², -1) + eps) * weight over the last axis. */
export function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const sq = g.o('Mul', [x, x]);
  const mean = g.o('ReduceMean', [sq], { axes: [-1], keepdims: 1 });
  const rms = g.o('Sqrt', [g.o('Add', [mean, g.scalar(eps)])]);
  return g.o('Mul', [g.o('Div', [x, rms]), weight]);
}

/** x @ W where W is stored as [in × out]. */
export function linear(g: GraphBuilder, x: string, weightT: string, bias?: string): string {
  const y = g.o('MatMul', [x, weightT]);
  return bias ? g.o('Add', [y, bias]) : y;
}

/**
 * cos/sin tables [B, T, dim] for integer positions [B, T] (HF: emb = cat(freqs, freqs)). `rope` is θ (plain RoPE
 * over headDim) or RopeParams (convert/ropeScaling.ts): its dim rotated channels, scaled inverse frequencies, the
 * attention factor on cos/sin, and for dynamic / longrope the per-call choice from max(positions) + 1.
 */
export function ropeTables(g: GraphBuilder, positions: string, headDim: number, rope: number | RopeParams): { cos: string; sin: string } {
  const pos = g.o('Cast', [positions], { to: 1 });
  // Plain RoPE keeps its original initializer name and values: bundles written before scaling stay byte-identical.
  const plain = typeof rope === 'number' || (rope.type === 'default' && rope.dim === headDim && rope.attentionFactor === 1);
  const theta = typeof rope === 'number' ? rope : rope.theta;
  let inv: string;
  let useLong: string | undefined;
  if (plain) {
    const half = headDim / 2;
    // HF: inv_freq = 1 / theta ** (arange(0, d, 2) / d)
    inv = g.initOnce(`rope_inv_freq_${headDim}_${theta}`, () => Float32Array.from({ length: half }, (_, i) => 1 / Math.pow(theta, (2 * i) / headDim)), [half]);
  } else {
    const r = rope as RopeParams;
    const half = r.dim / 2;
    inv = r.dynamic ? '' : g.initOnce(`rope_inv_freq_${r.type}_${r.dim}_${theta}`, () => r.invFreq, [half]);
    if (r.dynamic || r.long) {
      const seqLen = g.o('Add', [g.o('ReduceMax', [pos], { keepdims: 0 }), g.scalar(1)]); // max(position_ids) + 1
      if (r.long) {
        // longrope: long factors once the call reaches past the original context
        const long = g.initOnce(`rope_inv_freq_long_${r.dim}_${theta}`, () => r.long!.invFreq, [half]);
        useLong = g.o('Greater', [seqLen, g.scalar(r.long.originalMaxPositions)]);
        inv = g.o('Where', [useLong, long, inv]);
      } else {
        // dynamic NTK: base · (factor · L / max − (factor − 1))^(dim / (dim − 2)) with L = max(seqLen, max)
        const { factor, maxPositions } = r.dynamic!;
        const L = g.o('Max', [seqLen, g.scalar(maxPositions)]);
        const ratio = g.o('Sub', [g.o('Div', [g.o('Mul', [L, g.scalar(factor)]), g.scalar(maxPositions)]), g.scalar(factor - 1)]);
        const base = g.o('Mul', [g.scalar(theta), g.o('Pow', [ratio, g.scalar(r.dim / (r.dim - 2))])]);
        const exps = g.initOnce(`rope_exponents_${r.dim}`, () => Float32Array.from({ length: half }, (_, i) => (2 * i) / r.dim), [half]);
        inv = g.o('Reciprocal', [g.o('Pow', [base, exps])]);
      }
    }
  }
  const freqs = g.o('Mul', [g.o('Unsqueeze', [pos, g.ints([-1])]), inv]);
  const emb = g.o('Concat', [freqs, freqs], { axis: -1 });
  let cos = g.o('Cos', [emb]);
  let sin = g.o('Sin', [emb]);
  const r = rope as RopeParams;
  const longAf = plain ? undefined : r.long?.attentionFactor;
  if (!plain && (r.attentionFactor !== 1 || (longAf !== undefined && longAf !== 1))) {
    // HF multiplies cos and sin by the rotary embedding's attention_scaling (yarn, longrope; PhiMoE: the
    // short or long mscale of the call)
    const af =
      longAf !== undefined && longAf !== r.attentionFactor
        ? g.o('Where', [useLong!, g.scalar(longAf), g.scalar(r.attentionFactor)])
        : g.scalar(r.attentionFactor);
    cos = g.o('Mul', [cos, af]);
    sin = g.o('Mul', [sin, af]);
  }
  return { cos, sin };
}

/**
 * x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1) on the last axis, over the first `rotDim`
 * channels; channels rotDim … fullDim − 1 pass through (partial_rotary_factor < 1).
 */
export function applyRope(g: GraphBuilder, x: string, cos: string, sin: string, rotDim: number, fullDim = rotDim): string {
  const half = rotDim / 2;
  const xr = fullDim > rotDim ? g.o('Slice', [x, g.ints([0]), g.ints([rotDim]), g.ints([-1])]) : x;
  const x1 = g.o('Slice', [xr, g.ints([0]), g.ints([half]), g.ints([-1])]);
  const x2 = g.o('Slice', [xr, g.ints([half]), g.ints([rotDim]), g.ints([-1])]);
  const rot = g.o('Concat', [g.o('Neg', [x2]), x1], { axis: -1 });
  const y = g.o('Add', [g.o('Mul', [xr, cos]), g.o('Mul', [rot, sin])]);
  return fullDim > rotDim ? g.o('Concat', [y, g.o('Slice', [x, g.ints([rotDim]), g.ints([fullDim]), g.ints([-1])])], { axis: -1 }) : y;
}

export interface AttentionWeights {
  /** names of [in × out] initializers */
  q: string;
  k: string;
  v: string;
  o: string;
}

/** Family variations of attention; all optional, absent = Mixtral/Llama behaviour. */
export interface AttentionOptions {
  /** [out] bias initializers of the projections (Qwen2-MoE q/k/v, PhiMoE all four) */
  bias?: { q?: string; k?: string; v?: string; o?: string };
  /** RMSNorm on q and k: per head over head_dim (Qwen3-MoE) or over the whole projection (OLMoE) */
  qkNorm?: { mode: 'head' | 'full'; q: string; k: string; eps: number };
  /** clamp q, k, v to [−clip, clip] after the norms (OLMoE clip_qkv) */
  clip?: number;
  /** score scale, default 1/√head_dim (Granite: attention_multiplier) */
  scale?: number;
}

export interface AttentionDims {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** θ of plain RoPE, or scaled RoPE (convert/ropeScaling.ts) */
  ropeTheta: number | RopeParams;
}

/**
 * Causal grouped-query attention. Queries are laid out [B, Hkv, rep, T, hd] so that each KV head
 * serves its `rep` query heads through MatMul broadcasting (HF repeat_kv: head = g·rep + r).
 * With past keys/values ([B, Hkv, P, hd]) the new keys are appended; positions are absolute and
 * the cache holds positions 0..P-1, so key j is visible to a query at position p iff j ≤ p.
 */
export function attention(
  g: GraphBuilder,
  x: string,
  positions: string,
  w: AttentionWeights,
  dims: AttentionDims,
  past?: { key: string; value: string },
  opts: AttentionOptions = {},
): { out: string; key: string; value: string } {
  const { numHeads: H, numKvHeads: Hkv, headDim: hd, ropeTheta } = dims;
  const rep = H / Hkv;
  const { bias, qkNorm, clip } = opts;
  let q = linear(g, x, w.q, bias?.q);
  let k = linear(g, x, w.k, bias?.k);
  let v = linear(g, x, w.v, bias?.v);
  if (qkNorm?.mode === 'full') {
    // OLMoE: RMSNorm over the whole q (H·hd) and k (Hkv·hd) projections, before the head split
    q = rmsNorm(g, q, qkNorm.q, qkNorm.eps);
    k = rmsNorm(g, k, qkNorm.k, qkNorm.eps);
  }
  if (clip !== undefined) {
    // OLMoE clip_qkv: clamp after the norms, before RoPE
    const lo = g.scalar(-clip);
    const hi = g.scalar(clip);
    [q, k, v] = [q, k, v].map((t) => g.o('Clip', [t, lo, hi]));
  }
  let q5 = g.o('Reshape', [q, g.ints([0, 0, Hkv, rep, hd])]);
  let k4 = g.o('Reshape', [k, g.ints([0, 0, Hkv, hd])]);
  if (qkNorm?.mode === 'head') {
    // Qwen3-MoE: RMSNorm over head_dim of every head (weights [hd]), before RoPE
    q5 = rmsNorm(g, q5, qkNorm.q, qkNorm.eps);
    k4 = rmsNorm(g, k4, qkNorm.k, qkNorm.eps);
  }
  q5 = g.o('Transpose', [q5], { perm: [0, 2, 3, 1, 4] });
  k4 = g.o('Transpose', [k4], { perm: [0, 2, 1, 3] });
  const v4 = g.o('Transpose', [g.o('Reshape', [v, g.ints([0, 0, Hkv, hd])])], { perm: [0, 2, 1, 3] });

  const { cos, sin } = ropeTables(g, positions, hd, ropeTheta);
  const rotDim = typeof ropeTheta === 'number' ? hd : ropeTheta.dim;
  const cos4 = g.o('Unsqueeze', [cos, g.ints([1])]); // [B,1,T,hd]
  const sin4 = g.o('Unsqueeze', [sin, g.ints([1])]);
  const cos5 = g.o('Unsqueeze', [cos4, g.ints([1])]); // [B,1,1,T,hd]
  const sin5 = g.o('Unsqueeze', [sin4, g.ints([1])]);
  const qr = applyRope(g, q5, cos5, sin5, rotDim, hd);
  const kr = applyRope(g, k4, cos4, sin4, rotDim, hd);

  const kAll = past ? g.o('Concat', [past.key, kr], { axis: 2 }) : kr; // [B,Hkv,S,hd]
  const vAll = past ? g.o('Concat', [past.value, v4], { axis: 2 }) : v4;

  const kT = g.o('Unsqueeze', [g.o('Transpose', [kAll], { perm: [0, 1, 3, 2] }), g.ints([2])]); // [B,Hkv,1,hd,S]
  const scores = g.o('Mul', [g.o('MatMul', [qr, kT]), g.scalar(opts.scale ?? 1 / Math.sqrt(hd))]); // [B,Hkv,rep,T,S]

  // Causal mask from absolute positions: key j is hidden from query position p when j > p.
  const S = g.o('Gather', [g.o('Shape', [kAll]), g.ints([2])], { axis: 0 });
  const S0 = g.o('Squeeze', [S, g.ints([0])]);
  const keyPos = g.o('Range', [g.intScalar(0), S0, g.intScalar(1)]); // [S]
  const qPos = g.o('Unsqueeze', [positions, g.ints([1, 2, 4])]); // [B,1,1,T,1]
  const hidden = g.o('Less', [qPos, keyPos]); // [B,1,1,T,S]
  const masked = g.o('Where', [hidden, g.scalar(-Infinity), scores]);
  const probs = g.o('Softmax', [masked], { axis: -1 });

  const vB = g.o('Unsqueeze', [vAll, g.ints([2])]); // [B,Hkv,1,S,hd]
  const ctx = g.o('MatMul', [probs, vB]); // [B,Hkv,rep,T,hd]
  const merged = g.o('Reshape', [g.o('Transpose', [ctx], { perm: [0, 3, 1, 2, 4] }), g.ints([0, 0, H * hd])]);
  return { out: linear(g, merged, w.o, bias?.o), key: kAll, value: vAll };
}

export interface ExpertWeights {
  /** [D × E·I] all experts' gate projections side by side (w1ᵀ) */
  w1: string;
  /** [D × E·I] all experts' up projections (w3ᵀ) */
  w3: string;
  /** [E × I × D] down projections (w2ᵀ per expert) */
  w2: string;
}

/**
 * SwiGLU experts applied to every token, mixed by a dense gate matrix [B,T,E] (zero = not
 * selected). Returns the mixture [B,T,D] and each expert's output L2 norm [B,T,E].
 * Every expert runs on every token: it keeps the graph static (routing happens outside) and
 * gives the per-expert norms the coupling analyses need.
 */
export function denseExperts(g: GraphBuilder, x: string, gates: string, w: ExpertWeights, E: number, I: number, D: number): { out: string; norms: string } {
  const h1 = g.o('MatMul', [x, w.w1]); // [B,T,E·I]
  const h3 = g.o('MatMul', [x, w.w3]);
  const act = g.o('Mul', [g.o('Mul', [h1, g.o('Sigmoid', [h1])]), h3]); // silu(h1) * h3
  const perExpert = g.o('Transpose', [g.o('Reshape', [act, g.ints([-1, E, I])])], { perm: [1, 0, 2] }); // [E,N,I]
  const y = g.o('MatMul', [perExpert, w.w2]); // [E,N,D]
  const shapeBT = g.o('Slice', [g.o('Shape', [x]), g.ints([0]), g.ints([2]), g.ints([0])]); // [B,T]
  const yShape = g.o('Concat', [shapeBT, g.ints([E, D])], { axis: 0 });
  const yBTED = g.o('Reshape', [g.o('Transpose', [y], { perm: [1, 0, 2] }), yShape]); // [B,T,E,D]
  const norms = g.o('Sqrt', [g.o('ReduceSumSquare', [yBTED], { axes: [-1], keepdims: 0 })]);
  const mixed = g.o('MatMul', [g.o('Unsqueeze', [gates, g.ints([2])]), yBTED]); // [B,T,1,D]
  return { out: g.o('Squeeze', [mixed, g.ints([2])]), norms };
}

/** nn.LayerNorm over the last axis: (x − mean) / sqrt(var + eps) · weight + bias (biased variance). */
export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, eps: number): string {
  const c = g.o('Sub', [x, g.o('ReduceMean', [x], { axes: [-1], keepdims: 1 })]);
  const v = g.o('ReduceMean', [g.o('Mul', [c, c])], { axes: [-1], keepdims: 1 });
  const std = g.o('Sqrt', [g.o('Add', [v, g.scalar(eps)])]);
  return g.o('Add', [g.o('Mul', [g.o('Div', [c, std]), weight]), bias]);
}

export interface MlpWeights {
  /** [D × I] gate_proj (transposed) */
  gate: string;
  /** [D × I] up_proj (transposed) */
  up: string;
  /** [I × D] down_proj (transposed) */
  down: string;
}

/** One SwiGLU MLP: down(silu(gate x) · up x) — dense layers and shared experts. */
export function swiglu(g: GraphBuilder, x: string, w: MlpWeights): string {
  const h1 = g.o('MatMul', [x, w.gate]);
  const act = g.o('Mul', [g.o('Mul', [h1, g.o('Sigmoid', [h1])]), g.o('MatMul', [x, w.up])]);
  return g.o('MatMul', [act, w.down]);
}
