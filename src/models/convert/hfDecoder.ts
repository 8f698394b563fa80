// Reading a Llama-style HF MoE checkpoint (model.embed_tokens, model.layers.{i}.self_attn.*,
// input_layernorm / post_attention_layernorm, model.norm, lm_head) into DecoderWeights. A family
// passes its spec and how its feed-forward tensors are named; optional tensors (attention and
// norm biases, q/k norms, lm_head bias) are read when the checkpoint has them.
import { transpose2d } from '../onnx/blocks';
import type { Checkpoint } from './checkpoint';
import { configNumber } from './checkpoint';
import { moePlan, type DecoderSpec, type DecoderWeights, type NormWeights } from './decoder';
import { ropeParams } from './ropeScaling';

/** Fused expert tensors: gate rows [0, I) then up rows [I, 2I) of each expert's [2I × D] block; down [E, D, I]. */
export interface FusedExperts {
  gateUp: Float32Array;
  down: Float32Array;
}

/**
 * Stacked expert weights: w1ᵀ/w3ᵀ as [D × E·I], w2ᵀ as [E × I × D]; from the fused tensors or, per
 * expert e, from the tensors `names(e)` = [gate [I × D], up [I × D], down [D × I]].
 */
export function stackExperts(
  ck: Checkpoint,
  { E, I, D }: { E: number; I: number; D: number },
  fused: FusedExperts | undefined,
  names: (e: number) => [string, string, string],
): { w1: Float32Array; w3: Float32Array; w2: Float32Array } {
  const w1 = new Float32Array(D * E * I);
  const w3 = new Float32Array(D * E * I);
  const w2 = new Float32Array(E * I * D);
  for (let e = 0; e < E; e++) {
    const [gn, un, dn] = names(e);
    // Row-major [I × D] gate and up projections of expert e.
    const g = fused ? fused.gateUp.subarray(e * 2 * I * D, e * 2 * I * D + I * D) : ck.get(gn, [I, D]);
    const u = fused ? fused.gateUp.subarray(e * 2 * I * D + I * D, (e + 1) * 2 * I * D) : ck.get(un, [I, D]);
    const d = fused ? fused.down.subarray(e * D * I, (e + 1) * D * I) : ck.get(dn, [D, I]);
    // In bands of 64 rows: each output row segment is written contiguously while the band's 64
    // input rows stream through the cache (a plain row-by-row copy missed on every write).
    for (let r0 = 0; r0 < I; r0 += 64) {
      const r1 = Math.min(I, r0 + 64);
      for (let c = 0; c < D; c++) {
        const o = c * E * I + e * I;
        for (let r = r0; r < r1; r++) {
          w1[o + r] = g[r * D + c];
          w3[o + r] = u[r * D + c];
        }
      }
    }
    w2.set(transpose2d(d, D, I), e * I * D);
  }
  return { w1, w3, w2 };
}

export type ExpertLayout =
  /** experts.{j}.gate_proj / up_proj / down_proj, or the fused experts.gate_up_proj [E,2I,D] + experts.down_proj [E,D,I] */
  | 'proj'
  /** experts.{j}.w1 (gate) / w3 (up) / w2 (down): PhiMoE */
  | 'w123'
  /** 'w123', or the fused experts.gate_up_proj [E,2I,D] + experts.down_proj [E,D,I] of transformers v5: Mixtral */
  | 'mixtral'
  /** input_linear.weight [E, 2I, D] (gate rows first) + output_linear.weight [E, D, I]: Granite */
  | 'granite';

export interface FfnNaming {
  /** prefix of layer i's feed-forward block, e.g. `model.layers.${i}.mlp` */
  prefix(i: number): string;
  /** router weight name relative to the prefix, e.g. `gate.weight` */
  router: string;
  experts: ExpertLayout;
}

export class HfDecoderWeights implements DecoderWeights {
  constructor(
    readonly ck: Checkpoint,
    readonly s: DecoderSpec,
    readonly ffn: FfnNaming,
    /** lm_head shares the embedding matrix (tie_word_embeddings) */
    readonly tied: boolean,
  ) {}

  private opt(name: string, shape: number[]): Float32Array | undefined {
    return this.ck.has(name) ? this.ck.get(name, shape) : undefined;
  }

  /** PyTorch Linear.weight [out × in] → [in × out] */
  linearT(name: string, out: number, inp: number): Float32Array {
    return transpose2d(this.ck.get(name, [out, inp]), out, inp);
  }

  embed(): Float32Array {
    return this.ck.get('model.embed_tokens.weight', [this.s.V, this.s.D]);
  }

  private norm(name: string): NormWeights {
    const w = this.ck.get(`${name}.weight`, [this.s.D]);
    if (this.s.norm === 'rms') return { w };
    return { w, b: this.ck.get(`${name}.bias`, [this.s.D]) };
  }

  inputNorm(i: number): NormWeights {
    return this.norm(`model.layers.${i}.input_layernorm`);
  }

  postNorm(i: number): NormWeights {
    return this.norm(`model.layers.${i}.post_attention_layernorm`);
  }

  finalNorm(): NormWeights {
    return this.norm('model.norm');
  }

  attn(i: number) {
    const { D, H, Hkv, hd } = this.s;
    const p = `model.layers.${i}.self_attn`;
    const qd = H * hd;
    const kd = Hkv * hd;
    const bias = {
      q: this.opt(`${p}.q_proj.bias`, [qd]),
      k: this.opt(`${p}.k_proj.bias`, [kd]),
      v: this.opt(`${p}.v_proj.bias`, [kd]),
      o: this.opt(`${p}.o_proj.bias`, [D]),
    };
    const head = this.s.qkNorm === 'head';
    return {
      q: this.linearT(`${p}.q_proj.weight`, qd, D),
      k: this.linearT(`${p}.k_proj.weight`, kd, D),
      v: this.linearT(`${p}.v_proj.weight`, kd, D),
      o: this.linearT(`${p}.o_proj.weight`, D, qd),
      ...(Object.values(bias).some((b) => b) ? { bias } : {}),
      ...(this.s.qkNorm
        ? { qNorm: this.ck.get(`${p}.q_norm.weight`, [head ? hd : qd]), kNorm: this.ck.get(`${p}.k_norm.weight`, [head ? hd : kd]) }
        : {}),
    };
  }

  router(i: number): Float32Array {
    return this.ck.get(`${this.ffn.prefix(i)}.${this.ffn.router}`, [moePlan(this.s, i).E, this.s.D]);
  }

  experts(i: number): { w1: Float32Array; w3: Float32Array; w2: Float32Array } {
    const { E, I } = moePlan(this.s, i);
    const D = this.s.D;
    const p = this.ffn.prefix(i);
    let fused: FusedExperts | undefined;
    if (this.ffn.experts === 'granite') fused = { gateUp: this.ck.get(`${p}.input_linear.weight`, [E, 2 * I, D]), down: this.ck.get(`${p}.output_linear.weight`, [E, D, I]) };
    else if ((this.ffn.experts === 'proj' || this.ffn.experts === 'mixtral') && this.ck.has(`${p}.experts.gate_up_proj`))
      fused = { gateUp: this.ck.get(`${p}.experts.gate_up_proj`, [E, 2 * I, D]), down: this.ck.get(`${p}.experts.down_proj`, [E, D, I]) };
    const names = this.ffn.experts === 'w123' || this.ffn.experts === 'mixtral' ? ['w1', 'w3', 'w2'] : ['gate_proj', 'up_proj', 'down_proj'];
    return stackExperts(this.ck, { E, I, D }, fused, (e) => names.map((n) => `${p}.experts.${e}.${n}.weight`) as [string, string, string]);
  }

  private mlp(p: string, I: number) {
    const D = this.s.D;
    return { gate: this.linearT(`${p}.gate_proj.weight`, I, D), up: this.linearT(`${p}.up_proj.weight`, I, D), down: this.linearT(`${p}.down_proj.weight`, D, I) };
  }

  shared(i: number) {
    const sh = moePlan(this.s, i).shared;
    if (!sh) throw new Error(`layer ${i} has no shared expert`);
    const p = this.ffn.prefix(i);
    return { ...this.mlp(`${p}.shared_expert`, sh.I), ...(sh.gated ? { gateW: this.ck.get(`${p}.shared_expert_gate.weight`, [1, this.s.D]) } : {}) };
  }

  dense(i: number) {
    const p = this.s.layers[i];
    if (p.kind !== 'dense') throw new Error(`layer ${i} is not dense`);
    return this.mlp(`model.layers.${i}.mlp`, p.I);
  }

  lmHead(): { w: Float32Array; b?: Float32Array } {
    const { D, V } = this.s;
    // Tied checkpoints usually omit lm_head.weight; when it is there it equals the embedding.
    const w = this.tied && !this.ck.has('lm_head.weight') ? transpose2d(this.embed(), V, D) : this.linearT('lm_head.weight', V, D);
    const b = this.opt('lm_head.bias', [V]);
    return b ? { w, b } : { w };
  }
}

/** Fields every family reads the same way; `headDimKey` names an explicit head size (Qwen3-MoE: head_dim). */
export function baseDims(config: Record<string, unknown>, epsDefault: number, headDimKey?: string) {
  const D = configNumber(config, 'hidden_size');
  const H = configNumber(config, 'num_attention_heads');
  const hd = headDimKey ? configNumber(config, headDimKey, D / H) : D / H;
  const rope = ropeParams(config, hd, 10000);
  const dims = {
    V: configNumber(config, 'vocab_size'),
    D,
    L: configNumber(config, 'num_hidden_layers'),
    H,
    Hkv: configNumber(config, 'num_key_value_heads', H),
    hd,
    eps: configNumber(config, 'rms_norm_eps', epsDefault),
    theta: rope.theta,
    maxContext: configNumber(config, 'max_position_embeddings'),
    rope,
  };
  if (dims.H % dims.Hkv !== 0) throw new Error(`config.json: num_attention_heads ${dims.H} is not a multiple of num_key_value_heads ${dims.Hkv}`);
  return dims;
}

export function checkModelType(config: Record<string, unknown>, want: string): void {
  if (config.model_type !== want) throw new Error(`config.json: model_type ${JSON.stringify(config.model_type)} is not supported by the ${want} converter`);
}

export function checkTopK(E: number, k: number, expertsKey: string): void {
  if (k > E) throw new Error(`config.json: num_experts_per_tok ${k} exceeds ${expertsKey} ${E}`);
}

/** Qwen-MoE layer kinds: sparse when not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0. */
export function qwenLayerKinds(config: Record<string, unknown>, L: number, E: number): ('moe' | 'dense')[] {
  const step = configNumber(config, 'decoder_sparse_step', 1);
  const only = config.mlp_only_layers ?? [];
  if (!Array.isArray(only) || !only.every((x) => Number.isInteger(x))) throw new Error(`config.json: "mlp_only_layers" must be a list of layer indices, got ${JSON.stringify(only)}`);
  return Array.from({ length: L }, (_, i) => (!only.includes(i) && E > 0 && (i + 1) % step === 0 ? 'moe' : 'dense'));
}
