// Block-wise weight quantisation in the layout of onnxruntime's com.microsoft.MatMulNBits:
// a MatMul weight W [K × N] (in × out) is quantised per output column n, in blocks of
// `blockSize` consecutive K values, each block with its own float32 scale and unsigned zero
// point: w ≈ (q − zp) · scale. Rounding is to nearest, ties to even (as numpy/ORT's quantiser).
// Every block's range includes 0 (min ≤ 0 ≤ max, as ORT's asymmetric quantiser does), so zero
// is exact, the zero point lies in [0, 2^bits − 1], and K padding (zeros) is lossless.
//
// ORT layout (contrib op docs, MatMulNBits):
//   B           uint8 [N, nBlocks, blobSize], blobSize = blockSize · bits / 8; for 4 bits the
//               element k = 2j of a block sits in the low nibble of byte j, k = 2j + 1 in the high.
//   scales      float [N · nBlocks] (row n's blocks consecutive)
//   zero_points uint8 [N · ceil(nBlocks · bits / 8)], packed like B per row (4 bits: block 2i
//               low nibble, block 2i + 1 high nibble; an odd last block leaves the high nibble 0).

export type QuantBits = 4 | 8;

export interface BlockQuantized {
  bits: QuantBits;
  blockSize: number;
  /** input features (rows of W) */
  K: number;
  /** output features (columns of W) */
  N: number;
  nBlocks: number;
  /** bytes per block in `packed` */
  blobSize: number;
  /** uint8 [N, nBlocks, blobSize] */
  packed: Uint8Array;
  /** float32 [N · nBlocks] */
  scales: Float32Array;
  /** uint8 [N · zpBytesPerRow], packed */
  zeroPoints: Uint8Array;
}

/** Round half to even (numpy's rint), so quantisation matches reference quantisers. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; move ties that landed on an odd integer down to the even one.
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * roundHalfEven for |x| < 2^31 (every quantised value): Math.round rounds ties up, so a tie is
 * exactly r − x = 0.5, and an odd r moves down to the even neighbour.
 */
function roundHalfEvenSmall(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** Scale and zero point of one block: range [min(0, lo), max(0, hi)] over 2^bits − 1 steps. */
export function blockParams(values: ArrayLike<number>, bits: QuantBits): { scale: number; zeroPoint: number } {
  const qmax = (1 << bits) - 1;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  if (hi === lo) return { scale: 1, zeroPoint: 0 }; // an all-zero block
  const scale = Math.fround((hi - lo) / qmax);
  const zeroPoint = Math.min(qmax, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/** q = clamp(round(x / scale) + zp, 0, 2^bits − 1). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, bits: QuantBits): number {
  return Math.min((1 << bits) - 1, Math.max(0, roundHalfEven(x / scale) + zeroPoint));
}

export function zeroPointBytesPerRow(nBlocks: number, bits: QuantBits): number {
  return Math.ceil((nBlocks * bits) / 8);
}

/** Quantise W [K × N] row-major (the builder's MatMul weight layout) into MatMulNBits inputs. */
export function quantizeMatMulWeight(w: Float32Array, K: number, N: number, bits: QuantBits, blockSize = 32): BlockQuantized {
  if (w.length !== K * N) throw new Error(`quantize: ${w.length} values do not fill [${K} × ${N}]`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new Error(`quantize: block size ${blockSize} must be a power of 2 and at least 16 (MatMulNBits)`);
  const nBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const zpRow = zeroPointBytesPerRow(nBlocks, bits);
  const packed = new Uint8Array(N * nBlocks * blobSize);
  const scales = new Float32Array(N * nBlocks);
  const zeroPoints = new Uint8Array(N * zpRow);
  const qmax = (1 << bits) - 1;
  // Columns are quantised from a transposed chunk of CHUNK columns: reading w down a column
  // (stride N) missed the cache on every value. The per-block maths is blockParams and
  // quantizeValue written inline (same operations, same bits): a 1B model has ~1.3 G weights, and
  // the calls and their result objects were most of a q4 conversion's time.
  const CHUNK = 64;
  const cols = new Float32Array(CHUNK * K);
  for (let n = 0; n < N; n++) {
    const c = n % CHUNK;
    if (c === 0) {
      const n1 = Math.min(N, n + CHUNK);
      for (let k = 0; k < K; k++) {
        const row = k * N;
        for (let m = n; m < n1; m++) cols[(m - n) * K + k] = w[row + m];
      }
    }
    const col = c * K;
    for (let b = 0; b < nBlocks; b++) {
      const k0 = b * blockSize;
      const len = Math.min(blockSize, K - k0); // K padding quantises to the zero point, i.e. exactly 0
      let lo = 0;
      let hi = 0;
      for (let j = 0; j < len; j++) {
        const v = cols[col + k0 + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale = 1;
      let zeroPoint = 0;
      if (hi !== lo) {
        scale = Math.fround((hi - lo) / qmax);
        zeroPoint = Math.min(qmax, Math.max(0, roundHalfEvenSmall(-lo / scale)));
      }
      scales[n * nBlocks + b] = scale;
      if (bits === 8) zeroPoints[n * zpRow + b] = zeroPoint;
      else zeroPoints[n * zpRow + (b >> 1)] |= zeroPoint << (4 * (b & 1));
      const base = (n * nBlocks + b) * blobSize;
      for (let j = 0; j < blockSize; j++) {
        const x = j < len ? cols[col + k0 + j] : 0;
        const q0 = roundHalfEvenSmall(x / scale) + zeroPoint;
        const q = q0 < 0 ? 0 : q0 > qmax ? qmax : q0;
        if (bits === 8) packed[base + j] = q;
        else packed[base + (j >> 1)] |= q << (4 * (j & 1));
      }
    }
  }
  return { bits, blockSize, K, N, nBlocks, blobSize, packed, scales, zeroPoints };
}

/** The integer code of element k of column n. */
export function codeAt(q: BlockQuantized, n: number, k: number): number {
  const b = Math.floor(k / q.blockSize);
  const j = k % q.blockSize;
  const byte = q.packed[(n * q.nBlocks + b) * q.blobSize + (q.bits === 8 ? j : j >> 1)];
  return q.bits === 8 ? byte : (byte >> (4 * (j & 1))) & 0xf;
}

/** Zero point of block b of column n. */
export function zeroPointAt(q: BlockQuantized, n: number, b: number): number {
  const row = zeroPointBytesPerRow(q.nBlocks, q.bits);
  if (q.bits === 8) return q.zeroPoints[n * row + b];
  return (q.zeroPoints[n * row + (b >> 1)] >> (4 * (b & 1))) & 0xf;
}

/** W [K × N] as MatMulNBits computes with it: (q − zp) · scale, in float32. */
export function dequantizeMatMulWeight(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.K * q.N);
  for (let n = 0; n < q.N; n++)
    for (let k = 0; k < q.K; k++) {
      const b = Math.floor(k / q.blockSize);
      out[k * q.N + n] = Math.fround((codeAt(q, n, k) - zeroPointAt(q, n, b)) * q.scales[n * q.nBlocks + b]);
    }
  return out;
}

/** Storage bytes of a quantised [K × N] weight (codes + float32 scales + zero points). */
export function quantizedBytes(K: number, N: number, bits: QuantBits, blockSize = 32): number {
  const nBlocks = Math.ceil(K / blockSize);
  return N * nBlocks * ((blockSize * bits) / 8) + N * nBlocks * 4 + N * zeroPointBytesPerRow(nBlocks, bits);
}

/**
 * What to do when a backend cannot load a quantised graph: appended to the engine's load error
 * (and so to the page's "fell back to WASM" note). Empty unless the failure is about MatMulNBits.
 */
export function matMulNBitsHint(dtype: string, backend: string, ortMessage: string): string {
  if ((dtype !== 'q8' && dtype !== 'q4') || !/MatMulNBits/.test(ortMessage)) return '';
  const bits = dtype === 'q8' ? 8 : 4;
  return `; this ${dtype} bundle multiplies by ${bits}-bit weights with com.microsoft.MatMulNBits, which the ${backend} backend's onnxruntime does not run: use another backend or convert the model with --dtype fp16`;
}
