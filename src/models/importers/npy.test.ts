// The .npy reader/writer against bytes written by hand and by numpy's own np.save.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readNpy, writeNpy } from './npy';

const fixture = (f: string) =>
  new Uint8Array(readFileSync(new URL(`./__fixtures__/${f}`, import.meta.url)));

/** A version-1.0 .npy built byte by byte: magic, version, header length, header, data. */
function handMade(header: string, data: number[]): Uint8Array {
  const h = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  out.set(data, 10 + h.length);
  return out;
}

describe('readNpy', () => {
  it('reads hand-written int32 little-endian bytes in C order', () => {
    // [[1, -2], [258, 0]] as <i4: 01 00 00 00 | fe ff ff ff | 02 01 00 00 | 00 00 00 00
    const b = handMade(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }",
      [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 2, 1, 0, 0, 0, 0, 0, 0],
    );
    const a = readNpy(b, 'x.npy');
    expect(a.dtype).toBe('i4');
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual([1, -2, 258, 0]);
  });

  it('reads np.save files (int32 and int64) and writeNpy reproduces them byte for byte', () => {
    for (const [f, dtype] of [
      ['routed_experts_i4.npy', 'i4'],
      ['routed_experts_i8.npy', 'i8'],
    ] as const) {
      const bytes = fixture(f);
      const a = readNpy(bytes, f);
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([3, 2, 2]);
      expect(Array.from(a.data)).toEqual([1, 3, 0, 0, 2, 1, 0, 0, 3, 0, 0, 0]);
      expect(writeNpy(dtype, [3, 2, 2], a.data)).toEqual(bytes);
    }
    const ids = readNpy(fixture('token_ids.npy'), 'token_ids.npy');
    expect(ids.shape).toEqual([4]);
    expect(writeNpy('i8', [4], [101, 102, 103, 104])).toEqual(fixture('token_ids.npy'));
  });

  it('round-trips floats', () => {
    const a = readNpy(writeNpy('f4', [3], [0.5, -1, 2.25]));
    expect(a.dtype).toBe('f4');
    expect(Array.from(a.data)).toEqual([0.5, -1, 2.25]);
  });

  it('names what is wrong', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'a.npy')).toThrow(
      'a.npy: not a .npy file (missing the \\x93NUMPY magic bytes)',
    );
    const big = handMade("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 1]);
    expect(() => readNpy(big, 'b.npy')).toThrow("b.npy: dtype '>i4' is not supported");
    const fortran = handMade(
      "{'descr': '<i4', 'fortran_order': True, 'shape': (1,), }",
      [0, 0, 0, 1],
    );
    expect(() => readNpy(fortran, 'f.npy')).toThrow(
      'f.npy: fortran_order is True; save a C-order array (np.ascontiguousarray) instead',
    );
    const short = handMade(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
      [0, 0, 0, 1],
    );
    expect(() => readNpy(short, 's.npy')).toThrow(
      "s.npy: shape [2] of '<i4' needs 8 data bytes, the file has 4",
    );
  });
});
