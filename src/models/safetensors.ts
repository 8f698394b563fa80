// Reader for the safetensors format (8-byte little-endian header length, JSON header, raw
// little-endian data). Pure: works on ArrayBuffers in the browser and in Node.

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** byte range inside the data section */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** the data section (after the header) */
  data: Uint8Array;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I8: 1, U8: 1, BOOL: 1 };

export function parseSafetensors(buf: ArrayBuffer | Uint8Array, fileName = 'model.safetensors'): SafetensorsFile {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const fail = (msg: string): never => {
    throw new Error(`${fileName}: ${msg}`);
  };
  if (bytes.byteLength < 8) fail(`too short for a safetensors file (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) fail(`header length ${headerLen} runs past the end of the file (${bytes.byteLength} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLen);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (!t.dtype || !(t.dtype in BYTES)) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) fail(`tensor "${name}" lacks shape or data_offsets`);
    const [begin, end] = t.data_offsets!;
    const n = t.shape!.reduce((a, b) => a * b, 1);
    if (end - begin !== n * BYTES[t.dtype!]) fail(`tensor "${name}": ${end - begin} bytes do not match shape [${t.shape}] of ${t.dtype}`);
    if (end > data.byteLength) fail(`tensor "${name}" ends at byte ${end}, past the data section (${data.byteLength} bytes)`);
    tensors.set(name, { dtype: t.dtype!, shape: t.shape!, begin, end });
  }
  return { tensors, metadata, data };
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** A tensor's values as float32 (F32 copied, F16 / BF16 widened). */
export function readFloat32(file: SafetensorsFile, name: string): Float32Array {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`tensor "${name}" not found`);
  const raw = file.data.subarray(t.begin, t.end);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      // Every platform that runs the lab is little-endian, like the file: copy the bytes.
      new Uint8Array(out.buffer).set(raw);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    default:
      throw new Error(`tensor "${name}": dtype ${t.dtype} is not a float type`);
  }
  return out;
}

/** Write a safetensors file (float32 tensors) — used by tests and by bundle tooling. */
export function writeSafetensors(tensors: Record<string, { data: Float32Array; shape: number[] }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let p = 8 + head.byteLength;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
