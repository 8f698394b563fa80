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

  /** RMSNorm of [T × D] states with the layer's post-attention norm weight. */
  norm(layer: number, h: Float32Array, T: number, eps: number): Float32Array {
    const D = this.manifest.hiddenSize;
    const w = this.view(this.manifest.routerWeights.layers[layer].norm, D, `layer ${layer} norm weight`);
    const out = new Float32Array(T * D);
    for (let t = 0; t < T; t++) {
      let ss = 0;
      for (let i = 0; i < D; i++) ss += h[t * D + i] * h[t * D + i];
      const inv = 1 / Math.sqrt(ss / D + eps);
      for (let i = 0; i < D; i++) out[t * D + i] = h[t * D + i] * inv * w[i];
    }
    return out;
  }

  /** [T × E] router logits of [T × D] normalised states. */
  logits(layer: number, x: Float32Array, T: number): Float32Array {
    const D = this.manifest.hiddenSize;
    const E = this.manifest.layers[layer].numExperts;
    const W = this.weight(layer);
    const out = new Float32Array(T * E);
    for (let t = 0; t < T; t++)
      for (let e = 0; e < E; e++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += x[t * D + i] * W[e * D + i];
        out[t * E + e] = s;
      }
    return out;
  }
}
