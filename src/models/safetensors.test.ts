import { describe, expect, it } from 'vitest';
import { parseSafetensors, readFloat32, writeSafetensors } from './safetensors';

function fileWith(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors reader', () => {
  it('round-trips float32 tensors with shapes and metadata', () => {
    const bytes = writeSafetensors({ a: { data: Float32Array.from([1.5, -2, 3.25]), shape: [3] }, b: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] } });
    const st = parseSafetensors(bytes);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.tensors.get('b')!.shape).toEqual([2, 2]);
    expect(Array.from(readFloat32(st, 'a'))).toEqual([1.5, -2, 3.25]);
    expect(Array.from(readFloat32(st, 'b'))).toEqual([1, 2, 3, 4]);
  });

  it('widens F16 and BF16 values', () => {
    // F16: 0x3C00 = 1.0, 0xC000 = -2.0, 0x3555 ≈ 0.33325; BF16: 0x3F80 = 1.0, 0x4049 = 3.140625
    const data = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x80, 0x3f, 0x49, 0x40]);
    const st = parseSafetensors(fileWith({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } }, data));
    const h = readFloat32(st, 'h');
    expect(h[0]).toBe(1);
    expect(h[1]).toBe(-2);
    expect(h[2]).toBeCloseTo(0.33325, 5);
    expect(Array.from(readFloat32(st, 'b'))).toEqual([1, 3.140625]);
  });

  it('names the file and the problem for broken input', () => {
    expect(() => parseSafetensors(new Uint8Array(4), 'x.safetensors')).toThrow('x.safetensors: too short for a safetensors file (4 bytes)');
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigUint64(0, 1000n, true);
    expect(() => parseSafetensors(big, 'x.safetensors')).toThrow('header length 1000 runs past the end of the file (16 bytes)');
    expect(() => parseSafetensors(fileWith({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)))).toThrow('tensor "w": 8 bytes do not match shape [3] of F32');
    expect(() => parseSafetensors(fileWith({ w: { dtype: 'Q9', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toThrow('tensor "w" has unsupported dtype "Q9"');
    expect(() => readFloat32(parseSafetensors(writeSafetensors({})), 'nope')).toThrow('tensor "nope" not found');
  });
});
