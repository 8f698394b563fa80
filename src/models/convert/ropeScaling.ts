/**
 * ropeParams(config: Record<string, unknown>, headDim: number, defaultTheta = 10000, opts?: { mscales?: boolean }): RopeParams — config.json's
 * rope_theta + rope_scaling (or transformers v5 rope_parameters) → what ropeTables(g, positions, headDim, rope) in
 * onnx/blocks.ts builds cos/sin from; refuses unknown types and bad fields naming config.json and the field.
 */
// Semantics follow transformers' modeling_rope_utils.py (v5: RotaryEmbeddingConfigMixin.standardize_rope_params,
// _compute_{linear_scaling,dynamic_ntk,yarn,longrope,llama3}_parameters and the dynamic_rope_update decorator):
//  - the parameters come from rope_scaling when set, else rope_parameters; rope_type (or the older `type`);
//    rope_theta inside that dict wins over the top-level one; a top-level partial_rotary_factor wins over the dict's;
//  - llama3 / yarn / longrope read original_max_position_embeddings from the top level when it is there (Phi-3
//    keeps it there), else from the dict, else max_position_embeddings;
//  - cos and sin are multiplied by attentionFactor (yarn, longrope), as the rotary embedding's attention_scaling;
//  - dynamic (NTK) and longrope depend on the sequence length, which HF takes per forward call as
//    max(position_ids) + 1: the graph does the same from its positions input (ropeTables), so a full pass and every
//    KV-cache step pick the frequencies HF picks for that call (keys already cached keep their rotation, as in HF).
//    For dynamic this equals HF's cached growth as long as positions only grow, which is how the engine decodes.
// Arithmetic is float64, rounded to float32 at the end (HF computes in float32: the gap is a few ulp).

export type RopeType = 'default' | 'linear' | 'dynamic' | 'yarn' | 'llama3' | 'longrope';

export const ROPE_TYPES: readonly RopeType[] = [
  'default',
  'linear',
  'dynamic',
  'yarn',
  'llama3',
  'longrope',
];

/** The rope parameters a bundle records (HF field names, sources resolved): enough to rebuild RopeParams. */
export interface RopeScaling {
  rope_type: RopeType;
  [field: string]: number | boolean | number[] | string;
}

export interface RopeParams {
  type: RopeType;
  /** rope_theta */
  theta: number;
  /** rotated channels of each head: int(headDim · partial_rotary_factor); the rest pass through */
  dim: number;
  /** [dim/2] inverse frequencies (longrope: the short factors; dynamic: sequences ≤ max_position_embeddings) */
  invFreq: Float32Array;
  /** cos and sin are multiplied by this (yarn, longrope; 1 otherwise) */
  attentionFactor: number;
  /** dynamic NTK: past maxPositions the graph rescales θ from max(positions) + 1 */
  dynamic?: { factor: number; maxPositions: number };
  /** longrope: these inverse frequencies (and this factor, PhiMoE's long_mscale) when max(positions) + 1 > originalMaxPositions */
  long?: { invFreq: Float32Array; originalMaxPositions: number; attentionFactor?: number };
  /** what the manifest records (absent for plain full-width RoPE, so older bundles stay byte-identical) */
  scaling?: RopeScaling;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** 1/θ^(2i/dim) for i < dim/2 (HF: inv_freq = 1 / base ** (arange(0, dim, 2) / dim)), float64. */
function defaultInvFreq(theta: number, dim: number): number[] {
  return Array.from({ length: dim / 2 }, (_, i) => 1 / Math.pow(theta, (2 * i) / dim));
}

/** YaRN's magnitude correction (get_mscale): 0.1 · mscale · ln(scale) + 1, or 1 when scale ≤ 1. */
export function yarnGetMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** The rope dict of a config (rope_scaling wins over rope_parameters, as in HF) and its field path for errors. */
function ropeDict(config: Obj): { dict: Obj; key: string } | undefined {
  for (const key of ['rope_scaling', 'rope_parameters']) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    if (!isObj(v))
      throw new Error(`config.json: "${key}" must be an object, got ${JSON.stringify(v)}`);
    // transformers also allows one dict per layer type (sliding_attention / full_attention …)
    if (Object.values(v).some(isObj))
      throw new Error(
        `config.json: "${key}" holds one entry per layer type (${Object.keys(v).join(', ')}): per-layer RoPE is not supported`,
      );
    return { dict: v, key };
  }
  return undefined;
}

/**
 * Compute the RoPE inverse frequencies and attention factor of a config (see the comment at the top).
 * `mscales`: PhiMoE's rotary embedding (modeling_phimoe.PhimoeRotaryEmbedding) scales cos/sin by
 * rope_scaling.short_mscale / long_mscale, chosen per call like the factors, instead of the attention factor.
 */
export function ropeParams(
  config: Obj,
  headDim: number,
  defaultTheta = 10000,
  opts: { mscales?: boolean } = {},
): RopeParams {
  const found = ropeDict(config);
  const dict = found?.dict ?? {};
  const where = found?.key ?? 'rope_scaling';
  const field = (name: string) => `config.json: "${where}.${name}"`;
  const num = (
    name: string,
    opts: { fallback?: number; min?: number; positive?: boolean } = {},
  ): number => {
    const v = dict[name];
    if ((v === undefined || v === null) && opts.fallback !== undefined) return opts.fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`${field(name)} must be a number, got ${JSON.stringify(v)}`);
    if (opts.positive && !(v > 0)) throw new Error(`${field(name)} must be > 0, got ${v}`);
    return v;
  };
  const topNum = (name: string): number | undefined => {
    const v = config[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`config.json: "${name}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };

  const rawType = dict.rope_type ?? dict.type ?? 'default';
  if (typeof rawType !== 'string' || !(ROPE_TYPES as readonly string[]).includes(rawType))
    throw new Error(
      `${field(dict.rope_type !== undefined ? 'rope_type' : 'type')} ${JSON.stringify(rawType)} is not supported (${ROPE_TYPES.join(', ')})`,
    );
  const type = rawType as RopeType;

  const theta =
    dict.rope_theta !== undefined && dict.rope_theta !== null
      ? num('rope_theta', { positive: true })
      : (topNum('rope_theta') ?? defaultTheta);
  const partial =
    topNum('partial_rotary_factor') ??
    num('partial_rotary_factor', { fallback: 1, positive: true });
  if (partial > 1)
    throw new Error(`config.json: "partial_rotary_factor" must be ≤ 1, got ${partial}`);
  const dim = Math.floor(headDim * partial);
  if (dim < 2 || dim % 2 !== 0)
    throw new Error(
      `config.json: head dim ${headDim} × partial_rotary_factor ${partial} = ${dim} rotary channels: must be even and ≥ 2`,
    );
  const maxPositions = topNum('max_position_embeddings');
  const needMax = (why: string) => {
    if (maxPositions === undefined)
      throw new Error(`config.json: "max_position_embeddings" is needed by ${why} and is missing`);
    return maxPositions;
  };
  // standardize_rope_params: llama3 / yarn / longrope take the top-level value first (Phi-3), then the dict's
  const originalMax = () =>
    topNum('original_max_position_embeddings') ??
    num('original_max_position_embeddings', {
      fallback: needMax(`rope_type "${type}"`),
      positive: true,
    });

  const base = defaultInvFreq(theta, dim);
  let inv = base;
  let attentionFactor = 1;
  const scaling: RopeScaling = { rope_type: type };
  const out: Partial<RopeParams> = {};

  switch (type) {
    case 'default':
      break;
    case 'linear': {
      const factor = num('factor', { positive: true });
      inv = base.map((f) => f / factor);
      scaling.factor = factor;
      break;
    }
    case 'dynamic': {
      const factor = num('factor', { positive: true });
      out.dynamic = { factor, maxPositions: needMax('rope_type "dynamic"') };
      scaling.factor = factor;
      break;
    }
    case 'yarn': {
      const orig = originalMax();
      // an explicit factor wins; null falls back to max_position_embeddings / original (DeepSeek-V3)
      const factor =
        dict.factor === null
          ? needMax('rope_type "yarn" without "factor"') / orig
          : num('factor', { positive: true });
      const mscale = num('mscale', { fallback: 0 });
      const mscaleAllDim = num('mscale_all_dim', { fallback: 0 });
      if (dict.attention_factor !== undefined && dict.attention_factor !== null)
        attentionFactor = num('attention_factor', { positive: true });
      else
        attentionFactor =
          mscale && mscaleAllDim
            ? yarnGetMscale(factor, mscale) / yarnGetMscale(factor, mscaleAllDim)
            : yarnGetMscale(factor);
      // `or`: a zero falls back to the default too, as in HF
      const betaFast = num('beta_fast', { fallback: 32 }) || 32;
      const betaSlow = num('beta_slow', { fallback: 1 }) || 1;
      const truncate = dict.truncate ?? true;
      if (typeof truncate !== 'boolean')
        throw new Error(
          `${field('truncate')} must be true or false, got ${JSON.stringify(truncate)}`,
        );
      // the channel pair that turns `rotations` times over the original context
      const correctionDim = (rotations: number) =>
        (dim * Math.log(orig / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
      let low = correctionDim(betaFast);
      let high = correctionDim(betaSlow);
      if (truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
      low = Math.max(low, 0);
      high = Math.min(high, dim - 1);
      if (low === high) high += 0.001; // HF: prevent a division by zero
      inv = base.map((f, i) => {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolation = 1 - ramp; // 1: keep the original frequency, 0: interpolate (÷ factor)
        return (f / factor) * (1 - extrapolation) + f * extrapolation;
      });
      Object.assign(scaling, {
        factor,
        original_max_position_embeddings: orig,
        beta_fast: betaFast,
        beta_slow: betaSlow,
        truncate,
        attention_factor: attentionFactor,
      });
      break;
    }
    case 'llama3': {
      const factor = num('factor', { positive: true });
      const lowFreq = num('low_freq_factor');
      const highFreq = num('high_freq_factor');
      if (!(highFreq > lowFreq))
        throw new Error(
          `${field('high_freq_factor')} ${highFreq} must exceed low_freq_factor ${lowFreq}`,
        );
      const orig = originalMax();
      const lowWavelen = orig / lowFreq;
      const highWavelen = orig / highFreq;
      inv = base.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f; // high frequencies: kept
        if (wavelen > lowWavelen) return f / factor; // low frequencies: interpolated
        const smooth = (orig / wavelen - lowFreq) / (highFreq - lowFreq);
        return ((1 - smooth) * f) / factor + smooth * f;
      });
      Object.assign(scaling, {
        factor,
        low_freq_factor: lowFreq,
        high_freq_factor: highFreq,
        original_max_position_embeddings: orig,
      });
      break;
    }
    case 'longrope': {
      const orig = originalMax();
      const factors = (name: 'short_factor' | 'long_factor') => {
        const v = dict[name];
        if (
          !Array.isArray(v) ||
          !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)
        )
          throw new Error(
            `${field(name)} must be a list of positive numbers, got ${JSON.stringify(v)?.slice(0, 80)}`,
          );
        if (v.length !== dim / 2)
          throw new Error(
            `${field(name)} has ${v.length} entries, expected ${dim / 2} (rotary dim ${dim} / 2)`,
          );
        return v as number[];
      };
      const short = factors('short_factor');
      const long = factors('long_factor');
      // the factor defaults to max_position_embeddings / original_max_position_embeddings (Phi-3)
      const factor =
        dict.factor === undefined || dict.factor === null
          ? needMax('rope_type "longrope"') / orig
          : num('factor', { positive: true });
      if (dict.attention_factor !== undefined && dict.attention_factor !== null)
        attentionFactor = num('attention_factor', { positive: true });
      else attentionFactor = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
      // HF: 1 / (ext_factors · base^(2i/dim)), ext_factors in float32
      const f32 = (x: number) => Math.fround(x);
      inv = base.map((f, i) => f / f32(short[i]));
      out.long = {
        invFreq: Float32Array.from(base, (f, i) => f / f32(long[i])),
        originalMaxPositions: orig,
      };
      Object.assign(scaling, {
        short_factor: short,
        long_factor: long,
        factor,
        original_max_position_embeddings: orig,
        attention_factor: attentionFactor,
      });
      if (opts.mscales) {
        // an absent mscale falls back to the attention factor, as HF's `attention_scaling if mscale is None`
        const longAf = num('long_mscale', { fallback: attentionFactor, positive: true });
        attentionFactor = num('short_mscale', { fallback: attentionFactor, positive: true });
        out.long.attentionFactor = longAf;
        Object.assign(scaling, { short_mscale: attentionFactor, long_mscale: longAf });
      }
      break;
    }
  }
  if (partial !== 1) scaling.partial_rotary_factor = partial;
  return {
    type,
    theta,
    dim,
    invFreq: Float32Array.from(inv),
    attentionFactor,
    ...out,
    ...(type !== 'default' || dim !== headDim ? { scaling } : {}),
  };
}

/** RoPE of a bundle: its manifest's ropeTheta, maxContext and ropeScaling back through ropeParams. */
export function ropeFromManifest(
  m: { ropeTheta?: number; maxContext: number; headDim: number; ropeScaling?: RopeScaling },
  theta: number,
): RopeParams {
  const { partial_rotary_factor: partial, ...scaling } = m.ropeScaling ?? { rope_type: 'default' };
  return ropeParams(
    {
      rope_theta: m.ropeTheta ?? theta,
      max_position_embeddings: m.maxContext,
      rope_scaling: scaling,
      ...(partial !== undefined ? { partial_rotary_factor: partial } : {}),
    },
    m.headDim,
    10000,
    { mscales: 'long_mscale' in scaling },
  );
}
