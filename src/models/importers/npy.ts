// A small reader/writer for NumPy's .npy format (version 1.0–3.0): magic "\x93NUMPY", version,
// header length, a Python-dict header {'descr', 'fortran_order', 'shape'}, then the raw array.
// Only what engine dumps use: little-endian (or byte-sized) integers and floats in C order.
// Pure TypeScript over bytes, so the CLI and the page read the same files.
import { InputError } from '../../routing/safeJson';

export type NpyDtype = 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8' | 'u8' | 'f4' | 'f8' | 'b1';

export interface NpyArray {
  dtype: NpyDtype;
  /** dims, outermost first (C order: the last dim varies fastest) */
  shape: number[];
  /** every element as a JS number, flattened in C order (int64 values must fit in ±2^53) */
  data: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const SIZES: Record<NpyDtype, number> = {
  b1: 1,
  i1: 1,
  u1: 1,
  i2: 2,
  u2: 2,
  i4: 4,
  u4: 4,
  i8: 8,
  u8: 8,
  f4: 4,
  f8: 8,
};

/** Parse a .npy file. Errors start with `name: ` and say what is wrong (dtype, order, size…). */
export function readNpy(bytes: Uint8Array, name = 'array.npy'): NpyArray {
  const fail = (msg: string): never => {
    throw new InputError(`${name}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail('not a .npy file (missing the \\x93NUMPY magic bytes)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    return fail(`malformed header ${JSON.stringify(header.trim().slice(0, 120))}`);
  if (fortran === 'True')
    fail('fortran_order is True; save a C-order array (np.ascontiguousarray) instead');
  const order = descr[0];
  const code = descr.slice(1) as NpyDtype;
  if (!Object.hasOwn(SIZES, code) || !['<', '|', '='].includes(order) || (order === '|' && SIZES[code] > 1))
    fail(
      `dtype '${descr}' is not supported (little-endian ints, unsigned ints, floats or bool: '<i4', '<i8', '<f4', …)`,
    );
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`malformed shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = SIZES[code];
  const body = start + headerLen;
  if (bytes.length - body !== count * size)
    fail(
      `shape [${shape.join(', ')}] of '${descr}' needs ${count * size} data bytes, the file has ${bytes.length - body}`,
    );
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = body + i * size;
    switch (code) {
      case 'b1':
      case 'u1':
        data[i] = view.getUint8(at);
        break;
      case 'i1':
        data[i] = view.getInt8(at);
        break;
      case 'i2':
        data[i] = view.getInt16(at, true);
        break;
      case 'u2':
        data[i] = view.getUint16(at, true);
        break;
      case 'i4':
        data[i] = view.getInt32(at, true);
        break;
      case 'u4':
        data[i] = view.getUint32(at, true);
        break;
      case 'f4':
        data[i] = view.getFloat32(at, true);
        break;
      case 'f8':
        data[i] = view.getFloat64(at, true);
        break;
      case 'i8':
      case 'u8': {
        const v = code === 'i8' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
          fail(`element ${i} (${v}) does not fit a JavaScript number exactly`);
        data[i] = Number(v);
        break;
      }
    }
  }
  return { dtype: code, shape, data };
}

/** Write a C-order little-endian .npy (version 1.0), as np.save does. */
export function writeNpy(
  dtype: Exclude<NpyDtype, 'b1'>,
  shape: number[],
  values: ArrayLike<number>,
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count)
    throw new Error(
      `writeNpy: shape [${shape.join(', ')}] needs ${count} values, got ${values.length}`,
    );
  const size = SIZES[dtype];
  const descr = `${size === 1 ? '|' : '<'}${dtype}`;
  const shapeText = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shapeText}), }`;
  // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64 (NEP 1).
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + count * size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const at = body + i * size;
    const v = values[i];
    switch (dtype) {
      case 'u1':
        view.setUint8(at, v);
        break;
      case 'i1':
        view.setInt8(at, v);
        break;
      case 'i2':
        view.setInt16(at, v, true);
        break;
      case 'u2':
        view.setUint16(at, v, true);
        break;
      case 'i4':
        view.setInt32(at, v, true);
        break;
      case 'u4':
        view.setUint32(at, v, true);
        break;
      case 'i8':
        view.setBigInt64(at, BigInt(v), true);
        break;
      case 'u8':
        view.setBigUint64(at, BigInt(v), true);
        break;
      case 'f4':
        view.setFloat32(at, v, true);
        break;
      case 'f8':
        view.setFloat64(at, v, true);
        break;
    }
  }
  return out;
}
