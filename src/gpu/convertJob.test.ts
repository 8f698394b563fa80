import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertSource, readCheckpoint } from './convertJob';
import { Cancelled } from './engine';
import { convertBundle } from '../models/convert';
import { FIXTURE_DIR, readCheckpoint as readFixture } from '../models/convert/fixture';
import { parseSafetensors, readFloat32, writeSafetensors } from '../models/safetensors';
import type { Progress } from './protocol';

const HF = `${FIXTURE_DIR}/hf`;

/** A folder as the page's webkitdirectory input gives it: paths start with the folder's name. */
function picked(dir: string, folder = 'hf', patch: Record<string, (b: Uint8Array) => Uint8Array | null> = {}) {
  const out: { name: string; data: ArrayBuffer }[] = [];
  for (const n of readdirSync(dir)) {
    const bytes = patch[n] ? patch[n](new Uint8Array(readFileSync(join(dir, n)))) : new Uint8Array(readFileSync(join(dir, n)));
    if (bytes) out.push({ name: `${folder}/${n}`, data: bytes.slice().buffer });
  }
  return out;
}

/** fetch() over a folder on disk, as a static server would answer (404 for what is not there). */
function folderFetch(dir: string, base: string): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    const name = url.slice(base.length);
    const served = readdirSync(dir);
    if (!url.startsWith(base) || !served.includes(name)) return new Response('no', { status: 404, statusText: 'Not Found' });
    return new Response(readFileSync(join(dir, name)), { headers: { 'content-type': 'application/octet-stream' } });
  }) as typeof fetch;
}

const shaOf = (b: { manifest: { files: { path: string; sha256: string }[] } }) => Object.fromEntries(b.manifest.files.map((f) => [f.path, f.sha256]));

describe('in-browser conversion job', () => {
  it('converts a picked folder to the same bundle as the converter on the checkpoint read from disk', async () => {
    const steps: Progress[] = [];
    const b = await convertSource({ kind: 'files', files: picked(HF) }, { dtype: 'fp32', id: 'tiny', onProgress: (p) => steps.push(p) });
    const ref = await convertBundle(readFixture(HF), { id: 'tiny', name: 'tiny (mixtral, fp32)', fused: false, dtype: 'fp32' });
    expect(b.manifest).toEqual(ref.manifest);
    expect(b.manifest.name).toBe('tiny (mixtral, fp32)');
    expect(b.manifest.graphs.fused).toBeUndefined();
    // 3 layers: embed, 3 × (attn, moe), head, routers.bin
    expect(steps.map((p) => (p.status === 'convert' ? `${p.index}/${p.count} ${p.step}` : p.status))).toEqual([
      '0/9 embed.onnx',
      '1/9 layer0.attn.onnx',
      '2/9 layer0.moe.onnx',
      '3/9 layer1.attn.onnx',
      '4/9 layer1.moe.onnx',
      '5/9 layer2.attn.onnx',
      '6/9 layer2.moe.onnx',
      '7/9 head.onnx',
      '8/9 routers.bin',
    ]);
  });

  it('reads a URL prefix: config, tokenizer, the index and its shards', async () => {
    const base = 'http://models.test/tiny/';
    const seen: string[] = [];
    const fetchImpl = folderFetch(`${FIXTURE_DIR}/hf-fused`, base);
    const logged: typeof fetch = (async (u: RequestInfo | URL) => {
      seen.push(String(u).slice(base.length));
      return fetchImpl(u);
    }) as typeof fetch;
    const b = await convertSource({ kind: 'url', url: base }, { dtype: 'fp32', id: 'tiny', fetchImpl: logged });
    expect(seen).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(b.manifest.source).toBe(base);
    // The sharded v5 layout gives the very graphs of the per-expert folder.
    const fromFolder = shaOf(await convertSource({ kind: 'files', files: picked(HF) }, { dtype: 'fp32', id: 'tiny' }));
    for (const [p, sha] of Object.entries(shaOf(b))) if (/\.(onnx|bin)$/.test(p)) expect(sha).toBe(fromFolder[p]);
  });

  it('names the file a URL prefix lacks', async () => {
    const base = 'http://models.test/empty/';
    await expect(readCheckpoint({ kind: 'url', url: base }, { fetchImpl: folderFetch(HF, 'http://elsewhere/') })).rejects.toThrow(
      'config.json: cannot be read (HTTP 404 Not Found for http://models.test/empty/config.json)',
    );
    const noWeights = (async (u: RequestInfo | URL) =>
      String(u).endsWith('.safetensors') ? new Response('no', { status: 404, statusText: 'Not Found' }) : folderFetch(HF, base)(u)) as typeof fetch;
    await expect(readCheckpoint({ kind: 'url', url: base }, { fetchImpl: noWeights })).rejects.toThrow(
      'model.safetensors: cannot be read (HTTP 404 Not Found for http://models.test/empty/model.safetensors)',
    );
  });

  it("reports the converter's own messages for broken checkpoints", async () => {
    const cfg = (edit: (c: Record<string, unknown>) => void) => (b: Uint8Array) => {
      const c = JSON.parse(new TextDecoder().decode(b));
      edit(c);
      return new TextEncoder().encode(JSON.stringify(c));
    };
    const opts = { dtype: 'fp32' as const, id: 'x' };
    await expect(convertSource({ kind: 'files', files: picked(HF, 'hf', { 'config.json': () => null }) }, opts)).rejects.toThrow('config.json: missing from the checkpoint folder');
    await expect(convertSource({ kind: 'files', files: picked(HF, 'hf', { 'config.json': cfg((c) => delete c.model_type) }) }, opts)).rejects.toThrow(
      'config.json: no "model_type" field (supported: mixtral, qwen3_moe, olmoe, granitemoe, qwen2_moe, phimoe',
    );
    await expect(convertSource({ kind: 'files', files: picked(HF, 'hf', { 'config.json': cfg((c) => (c.model_type = 'llama')) }) }, opts)).rejects.toThrow(
      'config.json: model_type "llama" is not supported',
    );
    // A checkpoint with one expert's down projection missing.
    const dropTensor = (b: Uint8Array) => {
      const st = parseSafetensors(b);
      const t: Record<string, { data: Float32Array; shape: number[] }> = {};
      for (const [n, info] of st.tensors) if (n !== 'model.layers.1.block_sparse_moe.experts.3.w2.weight') t[n] = { data: readFloat32(st, n), shape: info.shape };
      return writeSafetensors(t);
    };
    await expect(convertSource({ kind: 'files', files: picked(HF, 'hf', { 'model.safetensors': dropTensor }) }, opts)).rejects.toThrow(
      'tensor "model.layers.1.block_sparse_moe.experts.3.w2.weight" not found in the checkpoint',
    );
  });

  it('stops at the next step once cancelled', async () => {
    const signal = { aborted: false };
    const steps: string[] = [];
    const run = convertSource(
      { kind: 'files', files: picked(HF) },
      {
        dtype: 'q8',
        id: 'x',
        signal,
        onProgress: (p) => {
          if (p.status !== 'convert') return;
          steps.push(p.step);
          if (p.step === 'layer0.moe.onnx') signal.aborted = true;
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(Cancelled);
    expect(steps).toEqual(['embed.onnx', 'layer0.attn.onnx', 'layer0.moe.onnx']);
  });

  it('reads picked Files by slices (never whole) and converts them to the same bundle', async () => {
    const slices: [string, number][] = [];
    // FileReaderSync exists only in workers: a stand-in reading the Blob slice's bytes
    const blobReader = {
      readAsArrayBuffer: (b: Blob) => {
        const bytes = (b as Blob & { held?: Uint8Array }).held!;
        slices.push([(b as Blob & { from?: string }).from!, bytes.byteLength]);
        return bytes.slice().buffer;
      },
    };
    /** a Blob whose slices carry their bytes synchronously, as FileReaderSync would read them */
    const syncBlob = (bytes: Uint8Array, from: string): Blob => {
      const blob = new Blob([bytes.slice()]) as Blob & { held?: Uint8Array; from?: string };
      blob.held = bytes;
      blob.from = from;
      blob.slice = ((a = 0, b = bytes.byteLength) => syncBlob(bytes.subarray(a, b), from)) as Blob['slice'];
      return blob;
    };
    const files = picked(HF).map((f) => ({ name: f.name, data: f.name.endsWith('.safetensors') ? syncBlob(new Uint8Array(f.data), f.name) : new Blob([f.data]) }));
    const b = await convertSource({ kind: 'files', files }, { dtype: 'fp32', id: 'tiny', blobReader, readBytes: 64 });
    const ref = await convertSource({ kind: 'files', files: picked(HF) }, { dtype: 'fp32', id: 'tiny' });
    expect(b.manifest).toEqual(ref.manifest);
    expect(slices.length).toBeGreaterThan(100);
    expect(Math.max(...slices.map(([, n]) => n))).toBe(64);
  });

  it('reads a URL prefix with ranged requests when it can, and names the URL whose server ignores Range', async () => {
    const base = 'http://models.test/tiny/';
    const weights = new Uint8Array(readFileSync(join(HF, 'model.safetensors')));
    const ranges: string[] = [];
    const xhr = (ignoreRange: boolean) => () => {
      let range = '';
      const x = {
        responseType: '' as XMLHttpRequestResponseType,
        status: 0,
        statusText: '',
        response: null as unknown,
        open: (_m: string, url: string) => expect(url).toBe(`${base}model.safetensors`),
        setRequestHeader: (_n: string, v: string) => void (range = v),
        send: () => {
          const [a, z] = range.slice('bytes='.length).split('-').map(Number);
          ranges.push(range);
          x.status = ignoreRange ? 200 : 206;
          x.response = (ignoreRange ? weights : weights.slice(a, z + 1)).slice().buffer;
        },
        getResponseHeader: (n: string) => (n === 'Content-Range' ? `bytes 0-0/${weights.byteLength}` : null),
      };
      return x;
    };
    const fetchImpl = folderFetch(HF, base);
    const b = await convertSource({ kind: 'url', url: base }, { dtype: 'fp32', id: 'tiny', fetchImpl, xhr: xhr(false), readBytes: 1000 });
    const ref = await convertSource({ kind: 'files', files: picked(HF) }, { dtype: 'fp32', id: 'tiny' });
    for (const [p, sha] of Object.entries(shaOf(b))) if (/\.(onnx|bin)$/.test(p)) expect(sha).toBe(shaOf(ref)[p]);
    expect(ranges[0]).toBe('bytes=0-0');
    expect(ranges.length).toBeGreaterThan(weights.byteLength / 1000);
    await expect(convertSource({ kind: 'url', url: base }, { dtype: 'fp32', id: 'tiny', fetchImpl, xhr: xhr(true) })).rejects.toThrow(
      `model.safetensors: cannot be read (${base}model.safetensors: the server ignored the Range request (HTTP 200 with the whole file instead of 206 Partial Content)`,
    );
  });
});
