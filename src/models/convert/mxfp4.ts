// MXFP4 weights as gpt-oss ships its experts (OCP microscaling, read from transformers'
// integrations/mxfp4.py): a `<name>_blocks` U8 tensor [..., G, 16] holds 32 FP4 (e2m1) codes per
// block, two per byte, low nibble first; `<name>_scales` U8 [..., G] holds one e8m0 exponent per
// block, value 2^(s − 127). Dequantised values are exact in float32.
import type { Checkpoint } from './checkpoint';

/** The 16 e2m1 values by code: sign bit 3, then 1 exponent bit pair and 1 mantissa bit. */
export const FP4_E2M1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];

/** Decode `rows` rows of G blocks each: blocks [rows × G × 16] bytes, scales [rows × G] → [rows × G·32]. */
export function dequantMxfp4(blocks: Uint8Array, scales: Uint8Array, what: string): Float32Array {
  if (blocks.length !== scales.length * 16)
    throw new Error(
      `${what}: ${blocks.length} block bytes for ${scales.length} scales (expected 16 per scale)`,
    );
  const out = new Float32Array(scales.length * 32);
  for (let b = 0; b < scales.length; b++) {
    // e8m0: 255 is NaN; every other byte is a power of two (2^-127 … 2^127)
    if (scales[b] === 255) throw new Error(`${what}: scale of block ${b} is 255 (NaN in e8m0)`);
    const s = Math.pow(2, scales[b] - 127);
    for (let j = 0; j < 16; j++) {
      const byte = blocks[b * 16 + j];
      out[b * 32 + 2 * j] = FP4_E2M1[byte & 0x0f] * s;
      out[b * 32 + 2 * j + 1] = FP4_E2M1[byte >> 4] * s;
    }
  }
  return out;
}

/**
 * A checkpoint's MXFP4 tensor `<name>_blocks` / `<name>_scales` for a weight of logical shape
 * [E, rows, cols] (the transpose of the HF parameter, as stored), one expert at a time: expert e's
 * [rows × cols] float32 values.
 */
export class Mxfp4Tensor {
  private blocks: Uint8Array;
  private scales: Uint8Array;
  readonly G: number;

  constructor(
    ck: Checkpoint,
    readonly name: string,
    readonly E: number,
    readonly rows: number,
    readonly cols: number,
  ) {
    if (cols % 32 !== 0)
      throw new Error(
        `${name}_blocks: MXFP4 needs a multiple of 32 values per row, the checkpoint's rows have ${cols}`,
      );
    this.G = cols / 32;
    for (const [suffix, shape] of [
      ['_blocks', [E, rows, this.G, 16]],
      ['_scales', [E, rows, this.G]],
    ] as const) {
      const t = ck.info(`${name}${suffix}`);
      if (t.dtype !== 'U8')
        throw new Error(`tensor "${name}${suffix}" has dtype ${t.dtype}, expected U8 (MXFP4)`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        throw new Error(
          `tensor "${name}${suffix}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`,
        );
    }
    this.blocks = ck.raw(`${name}_blocks`);
    this.scales = ck.raw(`${name}_scales`);
  }

  /** Expert e as [rows × cols] float32. */
  expert(e: number): Float32Array {
    const n = this.rows * this.G;
    return dequantMxfp4(
      this.blocks.subarray(e * n * 16, (e + 1) * n * 16),
      this.scales.subarray(e * n, (e + 1) * n),
      `tensor "${this.name}_scales" (expert ${e})`,
    );
  }
}
