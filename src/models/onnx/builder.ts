// A small ONNX graph builder over onnx-proto's protobuf schema (IR 8, opset 15). It writes
// weights as raw little-endian initializers and names every intermediate uniquely so several
// blocks can be composed into one graph (the fused benchmark model) with the same code.
import onnxProto from 'onnx-proto';
import { quantizeMatMulWeight, type QuantBits } from './quant';

const { onnx } = onnxProto;

export const OPSET = 15;
export const IR_VERSION = 8;

export type Dim = number | string;
export type ElemType = 'float32' | 'int64' | 'float16' | 'uint8';

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  float16: onnx.TensorProto.DataType.FLOAT16,
  uint8: onnx.TensorProto.DataType.UINT8,
};

/** Storage of large weights: float32, binary16, or block-wise 8/4-bit (com.microsoft.MatMulNBits). */
export type WeightDtype = 'fp32' | 'fp16' | 'q8' | 'q4';

export const MS_DOMAIN = 'com.microsoft';

export interface WeightOptions {
  /** keep float32 whatever the dtype (router weights: routing must stay faithful) */
  exact?: boolean;
}

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | { tensor: onnxProto.onnx.ITensorProto };

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: v.tensor };
}

function valueInfo(name: string, elem: ElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

type RawData = Float32Array | BigInt64Array | Uint16Array | Uint8Array;

function rawBytes(data: RawData): Uint8Array {
  // Copy so the initializer owns exactly its bytes (the view may sit inside a larger buffer).
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function tensorProto(name: string, data: RawData, dims: number[], elem?: ElemType): onnxProto.onnx.ITensorProto {
  const dataType = elem ?? (data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : data instanceof Uint8Array ? 'uint8' : 'float16');
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`tensor ${name}: ${data.length} values do not fill dims [${dims.join(', ')}] (${n})`);
  return { name, dims, dataType: ELEM[dataType], rawData: rawBytes(data) };
}

/** IEEE 754 binary16 bits of a float32 value, round to nearest even. */
export function f32ToF16Bits(v: number): number {
  const f = new Float32Array([v]);
  return f16BitsOf(new Uint32Array(f.buffer)[0]);
}

/** binary16 bits from float32 bits `x` (no allocation: float32ToFloat16 runs it on 50M values) */
function f16BitsOf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

export function float32ToFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < data.length; i++) out[i] = f16BitsOf(bits[i]);
  return out;
}

export class GraphBuilder {
  private nodes: onnxProto.onnx.INodeProto[] = [];
  private inits: onnxProto.onnx.ITensorProto[] = [];
  private inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private constCache = new Map<string, string>();
  /** q8/q4 weights whose storage depends on their consumer (see `op`) */
  private deferred = new Map<string, { data: Float32Array; dims: number[]; float: boolean; quantized: boolean }>();

  constructor(
    readonly name: string,
    /** storage type of large weights: fp16 halves the bundle; a Cast (folded by ORT at load) restores float32 */
    readonly weightType: WeightDtype = 'fp32',
    /** K values per quantisation block (q8/q4) */
    readonly blockSize = 32,
  ) {}

  /**
   * A weight matrix. In fp16 bundles it is stored as FLOAT16 (`<name>__f16`) and cast back to
   * float32 in the graph, so every op still computes in float32 and only storage is halved.
   * In q8/q4 bundles, a 2D [K × N] or 3D [E × K × N] weight used as B of a MatMul becomes
   * com.microsoft.MatMulNBits (see `op`); used any other way (Gather of an embedding table) it
   * is stored as fp16. `exact` keeps float32 in every dtype.
   */
  weight(name: string, data: Float32Array, dims: number[], opts: WeightOptions = {}): string {
    if (this.weightType === 'fp32' || opts.exact) return this.init(name, data, dims);
    if (this.weightType === 'fp16' || dims.length < 2 || dims.length > 3) return this.fp16Weight(name, data, dims);
    this.deferred.set(name, { data, dims, float: false, quantized: false });
    return name;
  }

  private fp16Weight(name: string, data: Float32Array, dims: number[]): string {
    this.inits.push(tensorProto(`${name}__f16`, float32ToFloat16(data), dims, 'float16'));
    return this.o('Cast', [`${name}__f16`], { to: 1 }, name);
  }

  /** Initialisers of one quantised [K × N] matrix, named <base>__q<bits>, __scales, __zp. */
  private quantInits(base: string, w: Float32Array, K: number, N: number, bits: QuantBits): string[] {
    const q = quantizeMatMulWeight(w, K, N, bits, this.blockSize);
    this.inits.push(tensorProto(`${base}__q${bits}`, q.packed, [N, q.nBlocks, q.blobSize], 'uint8'));
    this.inits.push(tensorProto(`${base}__scales`, q.scales, [N * q.nBlocks]));
    this.inits.push(tensorProto(`${base}__zp`, q.zeroPoints, [q.zeroPoints.length], 'uint8'));
    return [`${base}__q${bits}`, `${base}__scales`, `${base}__zp`];
  }

  /**
   * x @ W with W quantised: MatMulNBits for [K × N]; for [E × K × N] (batched per expert, x is
   * [E, M, K]) one MatMulNBits per expert, stacked back to [E, M, N].
   */
  private quantMatMul(x: string, w: string, outs: string[]): string[] {
    const d = this.deferred.get(w)!;
    const bits: QuantBits = this.weightType === 'q8' ? 8 : 4;
    const [K, N] = d.dims.slice(-2);
    // accuracy_level 1: float32 activations on every EP (WebGPU defaults to 4, int8-quantised
    // activations, which would move router logits between backends).
    const attrs = { K, N, bits, block_size: this.blockSize, accuracy_level: 1 };
    if (d.dims.length === 2) {
      const inits = d.quantized ? [`${w}__q${bits}`, `${w}__scales`, `${w}__zp`] : this.quantInits(w, d.data, K, N, bits);
      d.quantized = true;
      return this.op('MatMulNBits', [x, ...inits], attrs, outs, MS_DOMAIN);
    }
    const E = d.dims[0];
    const parts: string[] = [];
    for (let e = 0; e < E; e++) {
      const base = `${w}__e${e}`;
      const inits = d.quantized ? [`${base}__q${bits}`, `${base}__scales`, `${base}__zp`] : this.quantInits(base, d.data.subarray(e * K * N, (e + 1) * K * N), K, N, bits);
      const xe = this.o('Gather', [x, this.intScalar(e)], { axis: 0 }); // [M, K]
      parts.push(this.o('Unsqueeze', [this.op('MatMulNBits', [xe, ...inits], attrs, 1, MS_DOMAIN)[0], this.ints([0])]));
    }
    d.quantized = true;
    return this.op('Concat', parts, { axis: 0 }, outs);
  }

  input(name: string, elem: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  output(name: string, elem: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A constant shared by several blocks of one graph: stored once under its name. */
  initOnce(name: string, make: () => Float32Array, dims: number[]): string {
    if (!this.inits.some((t) => t.name === name)) this.init(name, make(), dims);
    return name;
  }

  /** A weight or constant stored in the graph. */
  init(name: string, data: Float32Array | BigInt64Array, dims: number[]): string {
    this.inits.push(tensorProto(name, data, dims));
    return name;
  }

  /** A constant shared by value within the graph, named const_<kind>_<n>. */
  private shared(kind: string, key: string, make: () => Float32Array | BigInt64Array, dims: number[]): string {
    let name = this.constCache.get(`${kind}:${key}`);
    if (!name) {
      name = `const_${kind}_${this.constCache.size}`;
      this.init(name, make(), dims);
      this.constCache.set(`${kind}:${key}`, name);
    }
    return name;
  }

  /** A shared int64 vector constant (shape vectors, axes). */
  ints(values: number[]): string {
    return this.shared('i64', values.join(','), () => BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  /** A shared int64 scalar constant (Range bounds). */
  intScalar(value: number): string {
    return this.shared('i64s', String(value), () => BigInt64Array.of(BigInt(value)), []);
  }

  /** A shared float scalar constant. */
  scalar(value: number): string {
    return this.shared('f32', String(value), () => Float32Array.of(value), []);
  }

  /** Add a node; returns its output names (fresh unless given). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1, domain?: string): string[] {
    const id = this.counter++;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${opType}_${id}_${i}`) : outputs;
    // q8/q4 weights: a MatMul with one as B runs quantised; any other consumer gets its fp16 copy.
    if (opType === 'MatMul' && !domain && this.deferred.has(inputs[1]) && !this.deferred.has(inputs[0])) return this.quantMatMul(inputs[0], inputs[1], outs);
    for (const name of inputs) {
      const d = this.deferred.get(name);
      if (d && !d.float) {
        d.float = true;
        this.fp16Weight(name, d.data, d.dims);
      }
    }
    this.nodes.push({
      opType,
      input: inputs,
      output: outs,
      name: `${opType}_${id}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
    return outs;
  }

  /** Single-output shorthand. */
  o(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.op(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  build(docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }, ...(this.nodes.some((n) => n.domain === MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
      producerName: 'moe-routing-lab',
      producerVersion: '1',
      docString,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
