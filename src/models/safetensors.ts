// Reader for the safetensors format (8-byte little-endian header length, JSON header, raw
// little-endian data). The header comes from the first bytes of a ByteSource and each tensor is
// read by offset when asked for, so files of any size are read with memory bounded by the largest
// tensor. Pure: byte sources for Node, browser workers and memory live in convert/streamingSource.
import { InputError, readJson } from '../routing/safeJson';
import { memorySource, type ByteSource } from './convert/streamingSource';

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** byte range inside the data section */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  /** the file's name, for error messages */
  name: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** where the tensors are read from */
  source: ByteSource;
  /** file offset of the data section (8 + header length) */
  dataStart: number;
}

export const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Headers above this are refused before they are read (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** Parse the header of a safetensors file held in memory or readable by offset. */
export function parseSafetensors(file: ArrayBuffer | Uint8Array | ByteSource, fileName?: string): SafetensorsFile {
  const source = file instanceof Uint8Array ? memorySource(file, fileName ?? 'model.safetensors') : file instanceof ArrayBuffer ? memorySource(new Uint8Array(file), fileName ?? 'model.safetensors') : file;
  const name = fileName ?? source.name;
  const fail = (msg: string): never => {
    throw new InputError(`${name}: ${msg}`);
  };
  if (source.size < 8) fail(`too short for a safetensors file (${source.size} bytes)`);
  const lenBytes = new Uint8Array(8);
  source.read(0, lenBytes);
  const headerLen = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  if (headerLen > source.size - 8) fail(`header length ${headerLen} runs past the end of the file (${source.size} bytes)`);
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
  const headBytes = new Uint8Array(headerLen);
  source.read(8, headBytes);
  let header: Record<string, unknown>;
  try {
    // depth-limited: a shape nested 200 000 deep overflowed the stack in the messages below
    header = readJson(headBytes, `${name} header`) as Record<string, unknown>;
  } catch (e) {
    const why = (e as Error).message.slice(`${name} header: `.length);
    return fail(why.startsWith('not valid JSON') ? `header is ${why}` : `header: ${why}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataBytes = source.size - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [tn, v] of Object.entries(header)) {
    if (tn === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    if (v === null || typeof v !== 'object') fail(`tensor "${tn}" is ${JSON.stringify(v)}, not an object with dtype, shape and data_offsets`);
    const t = v as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (!t.dtype || !Object.hasOwn(DTYPE_BYTES, t.dtype)) fail(`tensor "${tn}" has unsupported dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) fail(`tensor "${tn}" lacks shape or data_offsets`);
    if (!t.shape!.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${tn}" has shape ${JSON.stringify(t.shape)}, not a list of sizes`);
    const [begin, end] = t.data_offsets!;
    if (t.data_offsets!.length !== 2 || !Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin)
      fail(`tensor "${tn}" has data_offsets ${JSON.stringify(t.data_offsets)}, not [begin, end] with 0 ≤ begin ≤ end`);
    const n = t.shape!.reduce((a, b) => a * b, 1);
    if (end - begin !== n * DTYPE_BYTES[t.dtype!]) fail(`tensor "${tn}": ${end - begin} bytes do not match shape [${t.shape}] of ${t.dtype}`);
    if (end > dataBytes) fail(`tensor "${tn}" ends at byte ${end}, past the data section (${dataBytes} bytes)`);
    tensors.set(tn, { dtype: t.dtype!, shape: t.shape!, begin, end });
  }
  // Two tensors sharing bytes would make one silently read the other's values.
  const byStart = [...tensors].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < byStart.length; i++) {
    const [pn, p] = byStart[i - 1];
    const [cn, c] = byStart[i];
    if (c.begin < p.end) fail(`tensors "${pn}" (bytes ${p.begin}–${p.end}) and "${cn}" (bytes ${c.begin}–${c.end}) overlap`);
  }
  return { name, tensors, metadata, source, dataStart };
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

let f16Table: Float32Array | undefined;
/** all 65 536 half values, made on first use (256 KiB): one lookup per element */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

function info(file: SafetensorsFile, name: string): TensorInfo {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`tensor "${name}" not found`);
  return t;
}

/** A tensor's bytes as stored (any dtype), read from its file. */
export function readRaw(file: SafetensorsFile, name: string): Uint8Array {
  const t = info(file, name);
  const out = new Uint8Array(t.end - t.begin);
  file.source.read(file.dataStart + t.begin, out);
  return out;
}

/** A tensor's values as float32 (F32 copied, F16 / BF16 widened), read from its file. */
export function readFloat32(file: SafetensorsFile, name: string): Float32Array {
  const t = info(file, name);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const at = file.dataStart + t.begin;
  switch (t.dtype) {
    case 'F32':
      // Every platform that runs the lab is little-endian, like the file: read the bytes in place.
      file.source.read(at, new Uint8Array(out.buffer));
      break;
    case 'F16':
    case 'BF16': {
      // The 2-byte values are read into the upper half of the output and widened in place, front
      // to back: element i is read before out[i] overwrites it, so no second buffer is needed.
      file.source.read(at, new Uint8Array(out.buffer, 2 * n, 2 * n));
      const half = new Uint16Array(out.buffer);
      if (t.dtype === 'BF16') {
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) bits[i] = half[n + i] << 16;
      } else {
        const table = halfTable();
        for (let i = 0; i < n; i++) out[i] = table[half[n + i]];
      }
      break;
    }
    case 'F64': {
      const step = 1 << 16;
      const buf = new Float64Array(Math.min(step, n));
      for (let i = 0; i < n; i += step) {
        const m = Math.min(step, n - i);
        file.source.read(at + 8 * i, new Uint8Array(buf.buffer, 0, 8 * m));
        for (let j = 0; j < m; j++) out[i + j] = buf[j];
      }
      break;
    }
    default:
      throw new Error(`tensor "${name}": dtype ${t.dtype} is not a float type`);
  }
  return out;
}

/** The 8-byte length and the JSON header of a safetensors file, padded to 8 bytes as the format recommends. */
export function safetensorsHeader(tensors: { name: string; dtype: string; shape: number[] }[], metadata: Record<string, string> = { format: 'pt' }): { head: Uint8Array; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const text = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + text.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  head.set(text, 8);
  return { head, dataBytes: offset };
}

/** Write a safetensors file (float32 tensors) — used by tests and by bundle tooling. */
export function writeSafetensors(tensors: Record<string, { data: Float32Array; shape: number[] }>): Uint8Array {
  const { head, dataBytes } = safetensorsHeader(Object.entries(tensors).map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape })));
  const out = new Uint8Array(head.byteLength + dataBytes);
  out.set(head, 0);
  let p = head.byteLength;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
