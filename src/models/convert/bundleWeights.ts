// Weights read back from a bundle's own split graphs, so the fused benchmark graph can be built
// from any bundle (shipped bundles leave fused.onnx out to stay small).
import onnxProto from 'onnx-proto';
import type { LoadedBundle } from '../loader';
import { fusedGraph, type GraphWeights, type MixtralDims } from './mixtral';
import { f16ToF32 } from '../safetensors';

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
  if (out.size === 0) throw new Error(`${file}: no float initializers`);
  return out;
}

export function bundleWeights(bundle: LoadedBundle): GraphWeights {
  const m = bundle.manifest;
  const inits = new Map<string, { data: Float32Array; dims: number[] }>();
  for (const f of [m.graphs.embed, ...m.graphs.attn, ...m.graphs.moe, m.graphs.head]) for (const [k, v] of initializers(bundle.files.get(f)!, f)) inits.set(k, v);
  const get = (name: string) => {
    const t = inits.get(name);
    if (!t) throw new Error(`bundle ${m.id}: no initializer "${name}" in its graphs (not a bundle written by this converter?)`);
    return t;
  };
  const E = m.layers[0].numExperts;
  const I = m.intermediateSize ?? get('l0_w1').dims[1] / E;
  // inv_freq[1] = θ^(−2/hd) → θ = inv_freq[1]^(−hd/2)
  const theta = m.ropeTheta ?? (() => {
    const name = [...inits.keys()].find((k) => k.startsWith('rope_inv_freq_'))!;
    return Math.round(Math.pow(get(name).data[1], -m.headDim / 2));
  })();
  const d: MixtralDims = { V: m.vocabSize, D: m.hiddenSize, L: m.numLayers, H: m.numHeads, Hkv: m.numKvHeads, hd: m.headDim, I, E, k: m.router.topK, eps: m.rmsNormEps, theta, maxContext: m.maxContext };
  return {
    d,
    embed: () => get('embed_tokens').data,
    inputNorm: (i) => get(`l${i}_input_norm`).data,
    postNorm: (i) => get(`l${i}_post_norm`).data,
    attn: (i) => ({ q: get(`l${i}_q`).data, k: get(`l${i}_k`).data, v: get(`l${i}_v`).data, o: get(`l${i}_o`).data }),
    routerT: (i) => get(`l${i}_router`).data,
    experts: (i) => ({ w1: get(`l${i}_w1`).data, w3: get(`l${i}_w3`).data, w2: get(`l${i}_w2`).data }),
    finalNorm: () => get('final_norm').data,
    lmHeadT: () => get('lm_head').data,
  };
}

/** The whole model as one graph, rebuilt from a bundle's split graphs (for `moe-lab bench`). */
export function fusedFromBundle(bundle: LoadedBundle): Uint8Array {
  if (bundle.manifest.architecture !== 'mixtral') throw new Error(`fused graph rebuild supports mixtral bundles, not ${bundle.manifest.architecture}`);
  return fusedGraph(bundleWeights(bundle), bundle.manifest.dtype === 'fp16' ? 'fp16' : 'fp32');
}
