// Weights read back from a bundle's own split graphs, so the fused benchmark graph can be built
// from any bundle (shipped bundles leave fused.onnx out to stay small), and a bundle can be
// converted again (to another dtype) through an in-memory HF checkpoint.
import onnxProto from 'onnx-proto';
import type { LoadedBundle } from '../loader';
import { mixtralSpec, type MixtralDims } from './mixtral';
import { fusedGraph } from './mixtralGraphs';
import { moePlan, type DecoderSpec, type DecoderWeights } from './decoder';
import { f16ToF32, writeSafetensors } from '../safetensors';
import { transpose2d } from '../onnx/blocks';
import { sideBySide } from '../onnx/routedExperts';
import { Checkpoint } from './checkpoint';
import { dequantizeMatMulWeight, type QuantBits } from '../onnx/quant';
import { ropeFromManifest, type RopeScaling } from './ropeScaling';

const { onnx } = onnxProto;

function initializers(bytes: Uint8Array, file: string): Map<string, { data: Float32Array; dims: number[] }> {
  const model = onnx.ModelProto.decode(bytes);
  const out = new Map<string, { data: Float32Array; dims: number[] }>();
  for (const t of model.graph?.initializer ?? []) {
    if (!t.rawData || !t.name) continue;
    const raw = t.rawData;
    const dims = (t.dims ?? []).map(Number);
    if (t.dataType === onnx.TensorProto.DataType.FLOAT) {
      const data = new Float32Array(raw.byteLength / 4);
      new Uint8Array(data.buffer).set(raw);
      out.set(t.name, { data, dims });
    } else if (t.dataType === onnx.TensorProto.DataType.FLOAT16 && t.name.endsWith('__f16')) {
      // fp16-stored weight: the graph casts it back to float32 under the name without the suffix.
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const data = Float32Array.from({ length: raw.byteLength / 2 }, (_, i) => f16ToF32(view.getUint16(2 * i, true)));
      out.set(t.name.slice(0, -'__f16'.length), { data, dims });
    }
  }
  dequantizedWeights(model, out);
  if (out.size === 0) throw new Error(`${file}: no float initializers`);
  return out;
}

/**
 * q8/q4 weights, dequantised from their MatMulNBits nodes: <name>__q<bits> ([K × N]) or
 * <name>__e<e>__q<bits> (expert e of an [E × K × N] weight), as the builder writes them.
 */
function dequantizedWeights(model: onnxProto.onnx.IModelProto, out: Map<string, { data: Float32Array; dims: number[] }>): void {
  const raw = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t.rawData ?? new Uint8Array(0)]));
  const experts = new Map<string, { parts: Float32Array[]; KN: number[] }>();
  for (const node of model.graph?.node ?? []) {
    if (node.opType !== 'MatMulNBits') continue;
    const attr = Object.fromEntries((node.attribute ?? []).map((a) => [a.name, Number(a.i)]));
    const [, bName, sName, zName] = node.input ?? [];
    const m = /^(.*?)(?:__e(\d+))?__q[48]$/.exec(bName ?? '');
    if (!m) continue;
    const scalesRaw = raw.get(sName)!;
    const scales = new Float32Array(scalesRaw.byteLength / 4);
    new Uint8Array(scales.buffer).set(scalesRaw);
    const bits = attr.bits as QuantBits;
    const nBlocks = Math.ceil(attr.K / attr.block_size);
    const w = dequantizeMatMulWeight({ bits, blockSize: attr.block_size, K: attr.K, N: attr.N, nBlocks, blobSize: (attr.block_size * bits) / 8, packed: raw.get(bName)!, scales, zeroPoints: raw.get(zName)! });
    if (m[2] === undefined) out.set(m[1], { data: w, dims: [attr.K, attr.N] });
    else (experts.get(m[1]) ?? experts.set(m[1], { parts: [], KN: [attr.K, attr.N] }).get(m[1])!).parts[Number(m[2])] = w;
  }
  for (const [name, { parts, KN }] of experts) {
    const data = new Float32Array(parts.length * KN[0] * KN[1]);
    parts.forEach((p, e) => data.set(p, e * p.length));
    out.set(name, { data, dims: [parts.length, ...KN] });
  }
}

/** A mixtral bundle's spec and its weights, read back from its graphs. */
export function bundleWeights(bundle: LoadedBundle): { s: DecoderSpec; w: DecoderWeights } {
  const m = bundle.manifest;
  const inits = new Map<string, { data: Float32Array; dims: number[] }>();
  for (const f of [m.graphs.embed, ...m.graphs.attn, ...m.graphs.moe, m.graphs.head]) for (const [k, v] of initializers(bundle.files.get(f)!, f)) inits.set(k, v);
  const get = (name: string) => {
    const t = inits.get(name);
    if (!t) throw new Error(`bundle ${m.id}: no initializer "${name}" in its graphs (not a bundle written by this converter?)`);
    return t;
  };
  const E = m.layers[0].numExperts;
  const I = m.intermediateSize ?? (inits.has('l0_w1') ? get('l0_w1').dims[1] / E : get('l0_w1_e0').dims[1]);
  // inv_freq[1] = θ^(−2/hd) → θ = inv_freq[1]^(−hd/2)
  const theta = m.ropeTheta ?? (() => {
    const name = [...inits.keys()].find((k) => k.startsWith('rope_inv_freq_'))!;
    return Math.round(Math.pow(get(name).data[1], -m.headDim / 2));
  })();
  // Bundles since routed experts store each expert's matrices apart (l<i>_w1_e<e> …).
  const perExpert = (i: number) => {
    const part = (w: string) => Array.from({ length: E }, (_, e) => get(`l${i}_${w}_e${e}`).data);
    const w2 = new Float32Array(E * I * m.hiddenSize);
    part('w2').forEach((b, e) => w2.set(b, e * b.length));
    return { w1: sideBySide(part('w1'), I, m.hiddenSize), w3: sideBySide(part('w3'), I, m.hiddenSize), w2 };
  };
  const d: MixtralDims = { V: m.vocabSize, D: m.hiddenSize, L: m.numLayers, H: m.numHeads, Hkv: m.numKvHeads, hd: m.headDim, I, E, k: m.router.topK, eps: m.rmsNormEps, theta, maxContext: m.maxContext };
  // scaled RoPE, rebuilt from what the manifest records (plain RoPE keeps theta alone, as before)
  if (m.ropeScaling) d.rope = ropeFromManifest(m, theta);
  const w: DecoderWeights = {
    embed: () => get('embed_tokens').data,
    inputNorm: (i) => ({ w: get(`l${i}_input_norm`).data }),
    postNorm: (i) => ({ w: get(`l${i}_post_norm`).data }),
    attn: (i) => ({ q: get(`l${i}_q`).data, k: get(`l${i}_k`).data, v: get(`l${i}_v`).data, o: get(`l${i}_o`).data }),
    // the graphs hold W_rᵀ [D × E]; DecoderWeights gives the checkpoint's rows [E × D]
    router: (i) => transpose2d(get(`l${i}_router`).data, d.D, d.E),
    experts: (i) => (inits.has(`l${i}_w1`) ? { w1: get(`l${i}_w1`).data, w3: get(`l${i}_w3`).data, w2: get(`l${i}_w2`).data } : perExpert(i)),
    shared: () => {
      throw new Error(`bundle ${m.id}: mixtral has no shared experts`);
    },
    dense: () => {
      throw new Error(`bundle ${m.id}: mixtral has no dense layers`);
    },
    finalNorm: () => ({ w: get('final_norm').data }),
    lmHead: () => ({ w: get('lm_head').data }),
  };
  return { s: mixtralSpec(d), w };
}

/** The whole model as one graph, rebuilt from a bundle's split graphs (for `moe-lab bench`). */
export function fusedFromBundle(bundle: LoadedBundle): Uint8Array {
  if (bundle.manifest.architecture !== 'mixtral') throw new Error(`fused graph rebuild supports mixtral bundles, not ${bundle.manifest.architecture}`);
  const { s, w } = bundleWeights(bundle);
  return fusedGraph(s, w, bundle.manifest.dtype);
}

/**
 * A mixtral bundle as the HF checkpoint it came from (config.json, model.safetensors with HF
 * tensor names, tokenizer files), so `convert` can re-emit it in another dtype. The router rows
 * come from routers.bin (float32 in every dtype); fp16/q8/q4 weights come back dequantised.
 */
export function checkpointFromBundle(bundle: LoadedBundle): Checkpoint {
  const m = bundle.manifest;
  if (m.architecture !== 'mixtral') throw new Error(`bundle ${m.id}: re-converting a ${m.architecture} bundle is not supported (mixtral only)`);
  const { s, w } = bundleWeights(bundle);
  const d = { ...s, ...moePlan(s, 0) }; // (every layer has the same experts)
  const t: Record<string, { data: Float32Array; shape: number[] }> = {};
  // [in × out] (graph layout) → [out × in] (PyTorch Linear.weight)
  const lin = (name: string, wt: Float32Array, inp: number, out: number) => (t[name] = { data: transpose2d(wt, inp, out), shape: [out, inp] });
  t['model.embed_tokens.weight'] = { data: w.embed(), shape: [d.V, d.D] };
  const routers = bundle.files.get(m.routerWeights.file)!;
  for (let i = 0; i < d.L; i++) {
    const p = `model.layers.${i}`;
    t[`${p}.input_layernorm.weight`] = { data: w.inputNorm(i).w, shape: [d.D] };
    t[`${p}.post_attention_layernorm.weight`] = { data: w.postNorm(i).w, shape: [d.D] };
    const a = w.attn(i);
    lin(`${p}.self_attn.q_proj.weight`, a.q, d.D, d.H * d.hd);
    lin(`${p}.self_attn.k_proj.weight`, a.k, d.D, d.Hkv * d.hd);
    lin(`${p}.self_attn.v_proj.weight`, a.v, d.D, d.Hkv * d.hd);
    lin(`${p}.self_attn.o_proj.weight`, a.o, d.H * d.hd, d.D);
    const off = routers.byteOffset + m.routerWeights.layers[i].weight;
    t[`${p}.block_sparse_moe.gate.weight`] = { data: new Float32Array(routers.buffer.slice(off, off + d.E * d.D * 4)), shape: [d.E, d.D] };
    const ex = w.experts(i);
    for (let e = 0; e < d.E; e++) {
      // w1ᵀ/w3ᵀ hold expert e in columns e·I … e·I + I − 1 of [D × E·I]
      const g = new Float32Array(d.I * d.D);
      const u = new Float32Array(d.I * d.D);
      for (let r = 0; r < d.I; r++)
        for (let c = 0; c < d.D; c++) {
          g[r * d.D + c] = ex.w1[c * d.E * d.I + e * d.I + r];
          u[r * d.D + c] = ex.w3[c * d.E * d.I + e * d.I + r];
        }
      t[`${p}.block_sparse_moe.experts.${e}.w1.weight`] = { data: g, shape: [d.I, d.D] };
      t[`${p}.block_sparse_moe.experts.${e}.w3.weight`] = { data: u, shape: [d.I, d.D] };
      lin(`${p}.block_sparse_moe.experts.${e}.w2.weight`, ex.w2.subarray(e * d.I * d.D, (e + 1) * d.I * d.D), d.I, d.D);
    }
  }
  t['model.norm.weight'] = { data: w.finalNorm().w, shape: [d.D] };
  lin('lm_head.weight', w.lmHead().w, d.D, d.V);
  const config = {
    model_type: 'mixtral',
    vocab_size: d.V,
    hidden_size: d.D,
    intermediate_size: d.I,
    num_hidden_layers: d.L,
    num_attention_heads: d.H,
    num_key_value_heads: d.Hkv,
    head_dim: d.hd,
    max_position_embeddings: d.maxContext,
    rms_norm_eps: d.eps,
    rope_theta: d.theta,
    ...(m.ropeScaling ? ropeConfig(m.ropeScaling) : {}),
    num_local_experts: d.E,
    num_experts_per_tok: d.k,
    tie_word_embeddings: false,
    ...(m.bosTokenId !== undefined ? { bos_token_id: m.bosTokenId } : {}),
    ...(m.eosTokenId !== undefined ? { eos_token_id: m.eosTokenId } : {}),
  };
  const files = new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['model.safetensors', writeSafetensors(t)],
    ['tokenizer.json', bundle.files.get(m.tokenizer)!],
  ]);
  if (m.tokenizerConfig) files.set('tokenizer_config.json', bundle.files.get(m.tokenizerConfig)!);
  return Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });
}

/** config.json fields that give back a recorded RoPE scaling (partial_rotary_factor sits at the top level). */
function ropeConfig(scaling: RopeScaling): Record<string, unknown> {
  const { partial_rotary_factor: partial, ...rest } = scaling;
  return { ...(rest.rope_type !== 'default' ? { rope_scaling: rest } : {}), ...(partial !== undefined ? { partial_rotary_factor: partial } : {}) };
}
