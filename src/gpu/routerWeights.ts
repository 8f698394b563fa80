// Router weights read from the bundle's routers.bin: W_r rows for policies that need them
// (cosine, kmeans, upcycling) and the post-attention norm so a repeated block can re-route in JS.
import type { Manifest } from '../models/manifest';

export class RouterWeights {
  private bytes: Uint8Array;

  constructor(
    private manifest: Manifest,
    bytes: Uint8Array,
  ) {
    // Copy into an aligned buffer so Float32Array views are possible at any offset multiple of 4.
    this.bytes = new Uint8Array(bytes);
  }

  private view(offset: number, n: number, what: string): Float32Array {
    if (offset % 4 !== 0 || offset + n * 4 > this.bytes.byteLength)
      throw new Error(`${this.manifest.routerWeights.file}: ${what} at byte ${offset} (${n} floats) lies outside the file (${this.bytes.byteLength} bytes)`);
    return new Float32Array(this.bytes.buffer, offset, n);
  }

  /** [E × D] router rows of a layer */
  weight(layer: number): Float32Array {
    const E = this.manifest.layers[layer].numExperts;
    return this.view(this.manifest.routerWeights.layers[layer].weight, E * this.manifest.hiddenSize, `layer ${layer} router weight`);
  }

  /** The layer's post-attention norm of [T × D] states: RMSNorm, or LayerNorm with bias (manifest `norm`). */
  norm(layer: number, h: Float32Array, T: number, eps: number): Float32Array {
    const D = this.manifest.hiddenSize;
    const idx = this.manifest.routerWeights.layers[layer];
    const w = this.view(idx.norm, D, `layer ${layer} norm weight`);
    const layerNorm = this.manifest.norm === 'layer';
    if (layerNorm && idx.normBias === undefined) throw new Error(`${this.manifest.routerWeights.file}: layer ${layer} has a LayerNorm but no normBias offset`);
    const b = layerNorm ? this.view(idx.normBias!, D, `layer ${layer} norm bias`) : undefined;
    const out = new Float32Array(T * D);
    for (let t = 0; t < T; t++) {
      let mean = 0;
      if (b) for (let i = 0; i < D; i++) mean += h[t * D + i] / D;
      let ss = 0;
      for (let i = 0; i < D; i++) ss += (h[t * D + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(ss / D + eps);
      for (let i = 0; i < D; i++) out[t * D + i] = (h[t * D + i] - mean) * inv * w[i] + (b ? b[i] : 0);
    }
    return out;
  }

  /** [E] router bias of a layer (gpt-oss), or undefined when its router has none */
  bias(layer: number): Float32Array | undefined {
    const at = this.manifest.routerWeights.layers[layer].bias;
    return at === undefined ? undefined : this.view(at, this.manifest.layers[layer].numExperts, `layer ${layer} router bias`);
  }

  /** [E] selection bias of the layer's sigmoid_bias_grouped router (DeepSeek-V3 e_score_correction_bias), if stored */
  correctionBias(layer: number): Float32Array | undefined {
    const at = this.manifest.routerWeights.layers[layer].correctionBias;
    return at === undefined ? undefined : this.view(at, this.manifest.layers[layer].numExperts, `layer ${layer} correction bias`);
  }

  /** [T × E] router logits of [T × D] normalised states (plus the router bias, if any). */
  logits(layer: number, x: Float32Array, T: number): Float32Array {
    const D = this.manifest.hiddenSize;
    const E = this.manifest.layers[layer].numExperts;
    const W = this.weight(layer);
    const b = this.bias(layer);
    const out = new Float32Array(T * E);
    for (let t = 0; t < T; t++)
      for (let e = 0; e < E; e++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += x[t * D + i] * W[e * D + i];
        out[t * E + e] = b ? s + b[e] : s;
      }
    return out;
  }
}
