import { describe, expect, it } from 'vitest';
import { parseSafetensors, readFloat32, readRaw, writeSafetensors } from './safetensors';
import { memorySource, rangeSize, rangeSource, type SyncXhr } from './convert/streamingSource';

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

  it('refuses tensors whose byte ranges overlap, naming both, and null entries, naming the tensor', () => {
    const data = new Uint8Array(16);
    expect(() =>
      parseSafetensors(
        fileWith({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, c: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, data),
        'x.safetensors',
      ),
    ).toThrow('x.safetensors: tensors "a" (bytes 0–8) and "b" (bytes 4–12) overlap');
    // a tensor lying wholly inside another, listed first in the header
    expect(() => parseSafetensors(fileWith({ inner: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, outer: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data), 'y.safetensors')).toThrow(
      'y.safetensors: tensors "outer" (bytes 0–16) and "inner" (bytes 4–8) overlap',
    );
    expect(() => parseSafetensors(fileWith({ w: null }, data), 'z.safetensors')).toThrow('z.safetensors: tensor "w" is null, not an object with dtype, shape and data_offsets');
    expect(() => parseSafetensors(fileWith({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, data))).toThrow('tensor "w" has data_offsets [8,4], not [begin, end] with 0 ≤ begin ≤ end');
    // empty tensors share an offset with their neighbour without overlapping it
    const ok = parseSafetensors(fileWith({ e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data));
    expect([...ok.tensors.keys()]).toEqual(['e', 'a', 'b']);
  });

  it('reads the header from the first bytes and each tensor by offset, in reads of any size', () => {
    const a = Float32Array.from([1.5, -2, 3.25]);
    const b = Float32Array.from([7, 8, 9, 10, 11]);
    const bytes = writeSafetensors({ a: { data: a, shape: [3] }, b: { data: b, shape: [5] } });
    const asked: [number, number][] = [];
    const src = memorySource(bytes, 'x.safetensors', 3);
    const spy = { ...src, read: (at: number, into: Uint8Array) => (asked.push([at, into.byteLength]), src.read(at, into)) };
    const st = parseSafetensors(spy);
    // the 8-byte length, then the header: no tensor bytes read yet
    expect(asked).toEqual([
      [0, 8],
      [8, st.dataStart - 8],
    ]);
    expect(Array.from(readFloat32(st, 'b'))).toEqual([7, 8, 9, 10, 11]);
    expect(asked[2]).toEqual([st.dataStart + 12, 20]);
    expect(Array.from(readFloat32(st, 'a'))).toEqual([1.5, -2, 3.25]);
    expect(Array.from(new Float32Array(readRaw(st, 'a').buffer))).toEqual([1.5, -2, 3.25]);
    expect(() => src.read(bytes.byteLength - 2, new Uint8Array(4))).toThrow(`x.safetensors: read of 4 bytes at offset ${bytes.byteLength - 2} runs past the end of the file (${bytes.byteLength} bytes)`);
  });
});

/** A synchronous XHR over `file`, answering ranges with 206 (or ignoring them with 200 when `ranges` is false). */
function fakeXhr(file: Uint8Array, ranges: boolean, log: string[] = []): () => SyncXhr {
  return () => {
    let range = '';
    const x = {
      responseType: '' as XMLHttpRequestResponseType,
      status: 0,
      statusText: '',
      response: null as unknown,
      headers: {} as Record<string, string>,
      open: (_m: string, url: string) => void log.push(url),
      setRequestHeader: (name: string, value: string) => {
        if (name === 'Range') range = value;
      },
      send: () => {
        const m = /^bytes=(\d+)-(\d+)$/.exec(range);
        if (!ranges || !m) {
          x.status = 200;
          x.response = file.slice().buffer;
          return;
        }
        x.status = 206;
        x.response = file.slice(Number(m[1]), Number(m[2]) + 1).buffer;
        x.headers['Content-Range'] = `bytes ${m[1]}-${m[2]}/${file.byteLength}`;
        log.push(range);
      },
      getResponseHeader: (name: string) => x.headers[name] ?? null,
    };
    return x;
  };
}

describe('safetensors over HTTP ranges', () => {
  const bytes = writeSafetensors({ w: { data: Float32Array.from([0.5, 0.25, -4]), shape: [3] } });
  const url = 'http://models.test/ck/model.safetensors';

  it('reads the size, the header and a tensor with Range requests', () => {
    const log: string[] = [];
    const xhr = fakeXhr(bytes, true, log);
    const st = parseSafetensors(rangeSource(url, rangeSize(url, xhr), xhr, 5));
    expect(Array.from(readFloat32(st, 'w'))).toEqual([0.5, 0.25, -4]);
    // the size probe, the length, the header in 5-byte reads, then the tensor's 12 bytes
    expect(log.slice(0, 4)).toEqual([url, 'bytes=0-0', url, 'bytes=0-4']);
    expect(log[log.length - 1]).toBe(`bytes=${bytes.byteLength - 2}-${bytes.byteLength - 1}`);
  });

  it('names the URL when the server ignores Range (200 instead of 206)', () => {
    const xhr = fakeXhr(bytes, false);
    const msg = `${url}: the server ignored the Range request (HTTP 200 with the whole file instead of 206 Partial Content), so this file cannot be read in parts; serve it from a server that supports ranges, or pick the folder from disk`;
    expect(() => rangeSize(url, xhr)).toThrow(msg);
    expect(() => parseSafetensors(rangeSource(url, bytes.byteLength, xhr))).toThrow(msg);
  });
});
