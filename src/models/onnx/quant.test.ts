// Block-wise quantisation (MatMulNBits layout) on hand-computed matrices, and onnxruntime's
// MatMulNBits agreeing with our dequantisation on the graphs the builder writes.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { GraphBuilder } from './builder';
import { blockParams, codeAt, dequantizeMatMulWeight, matMulNBitsHint, quantizeMatMulWeight, quantizedBytes, roundHalfEven, zeroPointAt } from './quant';

const { onnx } = onnxProto;

/** W [K × N] row-major from its columns. */
function fromColumns(cols: number[][], K: number): Float32Array {
  const w = new Float32Array(K * cols.length);
  cols.forEach((c, n) => c.forEach((v, k) => (w[k * cols.length + n] = v)));
  return w;
}

const pad = (xs: number[], K: number) => [...xs, ...Array<number>(K - xs.length).fill(0)];

describe('quantisation maths', () => {
  it('rounds half to even like numpy', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it('takes each block’s range with zero included', () => {
    // [-1.5, 6]: 7.5 / 15 = 0.5, zp = round(1.5 / 0.5) = 3
    expect(blockParams([-1.5, 6, 0.25], 4)).toEqual({ scale: 0.5, zeroPoint: 3 });
    // all positive [2, 4]: the range still starts at 0, so zp = 0 and scale = 4 / 15
    expect(blockParams([2, 4], 4)).toEqual({ scale: Math.fround(4 / 15), zeroPoint: 0 });
    // an all-zero block
    expect(blockParams([0, 0], 8)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  // K = 20 with blocks of 16: two blocks per column, the second padded with 12 zeros.
  const K = 20;
  const col0 = pad([-1.5, 6, 0, 0.5, 1, 1.2, 0.75, 0.25], 16).concat([-3, 0, -1.5, -0.75]);
  const col1 = pad([], 16).concat([-0.5, 7, 0, 0]);
  const q4 = quantizeMatMulWeight(fromColumns([col0, col1], K), K, 2, 4, 16);

  it('4-bit: scales, zero points and nibble order as MatMulNBits reads them', () => {
    expect([q4.nBlocks, q4.blobSize]).toEqual([2, 8]);
    // col 0: block 0 [-1.5, 6] → 0.5, zp 3; block 1 [-3, 0] → 3/15, zp 15; col 1: zeros → 1, 0; [-0.5, 7] → 0.5, zp 1
    expect(Array.from(q4.scales)).toEqual([0.5, Math.fround(0.2), 1, 0.5]);
    // zero points, one byte per column: block 0 in the low nibble, block 1 in the high one
    expect(Array.from(q4.zeroPoints)).toEqual([0xf3, 0x10]);
    expect([zeroPointAt(q4, 0, 0), zeroPointAt(q4, 0, 1), zeroPointAt(q4, 1, 0), zeroPointAt(q4, 1, 1)]).toEqual([3, 15, 0, 1]);
    // col 0 block 0: codes round(x / 0.5) + 3 = [0, 15, 3, 4, 5, 5 (1.2 → 2.4 → 2), 5 (0.75 → 1.5 → 2, ties to even), 3 (0.25 → 0.5 → 0)], then 3s
    // bytes: even k in the low nibble, odd k in the high one
    expect(Array.from(q4.packed.subarray(0, 8))).toEqual([0xf0, 0x43, 0x55, 0x35, 0x33, 0x33, 0x33, 0x33]);
    // col 0 block 1: round(x / 0.2) + 15 = [0, 15, 8 (−7.5 → −7.4999999 in float32 → −7), 11 (−3.75 → −4)]; padding → 15 (exact zero)
    expect(Array.from(q4.packed.subarray(8, 16))).toEqual([0xf0, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // col 1 block 1: round(x / 0.5) + 1 = [0, 15, 1, 1]
    expect(Array.from(q4.packed.subarray(24, 26))).toEqual([0xf0, 0x11]);
    expect([codeAt(q4, 0, 5), codeAt(q4, 0, 18), codeAt(q4, 1, 17)]).toEqual([5, 8, 15]);
  });

  it('4-bit: dequantises to (q − zp) · scale', () => {
    const w = dequantizeMatMulWeight(q4);
    const col = (n: number) => Array.from({ length: K }, (_, k) => w[k * 2 + n]);
    const want0 = pad([-1.5, 6, 0, 0.5, 1, 1, 1, 0], 16).concat([-3, 0, -1.4, -0.8]);
    col(0).forEach((v, k) => expect(v).toBeCloseTo(want0[k], 6));
    expect(col(1)).toEqual(pad([], 16).concat([-0.5, 7, 0, 0]));
  });

  it('8-bit: one byte per code and per zero point', () => {
    // [-1.02, 1.53]: 2.55 / 255 = 0.01, zp = round(1.02 / 0.01) = 102
    const q8 = quantizeMatMulWeight(Float32Array.from(pad([-1.02, 1.53, 0.5, 0.004], 16)), 16, 1, 8, 16);
    expect(q8.scales[0]).toBe(Math.fround(0.01));
    expect(Array.from(q8.zeroPoints)).toEqual([102]);
    // 0.5 → 50 + 102; 0.004 → round(0.4) + 102; padding → 102
    expect(Array.from(q8.packed.subarray(0, 5))).toEqual([0, 255, 152, 102, 102]);
    const w = dequantizeMatMulWeight(q8);
    expect(w[2]).toBeCloseTo(0.5, 6);
    expect(w[3]).toBe(0);
  });

  it('counts storage bytes: codes + float32 scales + packed zero points', () => {
    // K = 20, N = 2, blocks of 16: 2 blocks × 8 bytes × 2 columns + 4 scales × 4 + 2 zp bytes
    expect(quantizedBytes(20, 2, 4, 16)).toBe(32 + 16 + 2);
    expect(quantizedBytes(20, 2, 8, 16)).toBe(64 + 16 + 4);
  });

  it('rejects block sizes MatMulNBits does not take', () => {
    expect(() => quantizeMatMulWeight(new Float32Array(24), 24, 1, 4, 24)).toThrow('quantize: block size 24 must be a power of 2 and at least 16 (MatMulNBits)');
  });
});

describe('quantised weights in the graph builder', () => {
  const K = 48;
  const N = 5;
  const E = 2;
  const w = Float32Array.from({ length: E * K * N }, (_, i) => Math.sin(i * 1.3));
  const x = Float32Array.from({ length: E * 3 * K }, (_, i) => Math.cos(i));

  /** x [rows × K] @ W [K × N] in float64 */
  function matmul(a: Float32Array, b: Float32Array, rows: number): Float32Array {
    const y = new Float32Array(rows * N);
    for (let r = 0; r < rows; r++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) y[r * N + n] += a[r * K + k] * b[k * N + n];
    return y;
  }

  for (const dtype of ['q8', 'q4'] as const) {
    const bits = dtype === 'q8' ? 8 : 4;
    it(`${dtype}: MatMul on a [K × N] weight runs as MatMulNBits and equals x @ dequantise(W)`, async () => {
      const g = new GraphBuilder('t', dtype);
      const xi = g.input('x', 'float32', [1, 3, K]);
      g.o('MatMul', [xi, g.weight('w', w.subarray(0, K * N), [K, N])], {}, 'y');
      g.output('y', 'float32', [1, 3, N]);
      const bytes = g.build();
      const model = onnx.ModelProto.decode(bytes);
      expect(model.graph!.node!.map((n) => `${n.domain ?? ''}:${n.opType}`)).toEqual(['com.microsoft:MatMulNBits']);
      expect(model.opsetImport!.map((o) => o.domain)).toEqual(['', 'com.microsoft']);
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const y = (await s.run({ x: new ort.Tensor('float32', x.subarray(0, 3 * K), [1, 3, K]) })).y.data as Float32Array;
      const want = matmul(x.subarray(0, 3 * K), dequantizeMatMulWeight(quantizeMatMulWeight(w.subarray(0, K * N), K, N, bits)), 3);
      for (let i = 0; i < want.length; i++) expect(y[i]).toBeCloseTo(want[i], 4);
    });

    it(`${dtype}: a batched [E × K × N] weight runs one MatMulNBits per expert`, async () => {
      const g = new GraphBuilder('t', dtype);
      const xi = g.input('x', 'float32', [E, 3, K]);
      g.o('MatMul', [xi, g.weight('w', w, [E, K, N])], {}, 'y');
      g.output('y', 'float32', [E, 3, N]);
      const s = await ort.InferenceSession.create(g.build(), { executionProviders: ['cpu'] });
      const y = (await s.run({ x: new ort.Tensor('float32', x, [E, 3, K]) })).y.data as Float32Array;
      for (let e = 0; e < E; e++) {
        const we = dequantizeMatMulWeight(quantizeMatMulWeight(w.subarray(e * K * N, (e + 1) * K * N), K, N, bits));
        const want = matmul(x.subarray(e * 3 * K, (e + 1) * 3 * K), we, 3);
        for (let i = 0; i < want.length; i++) expect(y[e * 3 * N + i]).toBeCloseTo(want[i], 4);
      }
    });
  }

  it('stores a looked-up table as fp16 and an exact weight as float32', () => {
    const g = new GraphBuilder('t', 'q4');
    const ids = g.input('ids', 'int64', [1, 2]);
    const h = g.o('Gather', [g.weight('table', w.subarray(0, K * N), [K, N]), ids], { axis: 0 });
    g.o('MatMul', [h, g.weight('router', w.subarray(0, N * 3), [N, 3], { exact: true })], {}, 'y');
    g.output('y', 'float32', [1, 2, 3]);
    const inits = onnx.ModelProto.decode(g.build()).graph!.initializer!;
    const T = onnx.TensorProto.DataType;
    expect(inits.map((t) => [t.name, t.dataType])).toEqual([
      ['table__f16', T.FLOAT16],
      ['router', T.FLOAT],
    ]);
  });
});

describe('load-failure hint', () => {
  it('speaks only for quantised bundles whose failure names MatMulNBits', () => {
    expect(matMulNBitsHint('q8', 'webgpu', 'Could not find an implementation for MatMulNBits(1) node')).toBe(
      "; this q8 bundle multiplies by 8-bit weights with com.microsoft.MatMulNBits, which the webgpu backend's onnxruntime does not run: use another backend or convert the model with --dtype fp16",
    );
    expect(matMulNBitsHint('fp16', 'wasm', 'MatMulNBits')).toBe('');
    expect(matMulNBitsHint('q4', 'wasm', 'out of memory')).toBe('');
  });
});
