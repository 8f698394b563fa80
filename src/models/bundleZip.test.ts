import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { unzipBundle, zipBundle } from './bundleZip';
import { filesFetcher, loadBundle } from './loader';
import { convertSource } from '../gpu/convertJob';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const HF = 'training/fixtures/tiny-mixtral/hf';

async function tinyBundle() {
  const files = readdirSync(HF).map((n) => ({ name: `hf/${n}`, data: new Uint8Array(readFileSync(join(HF, n))).buffer }));
  return convertSource({ kind: 'files', files }, { dtype: 'fp16', id: 'tiny mixtral/fp16' });
}

describe('bundle .zip', () => {
  it('round-trips: bundle → zip → files → loadBundle with every sha256 checked', async () => {
    const b = await tinyBundle();
    const zip = zipBundle(b.manifest, b.files);
    // stored, not deflated: the zip is the files plus headers (30 + 46 bytes and the name twice per entry, 22 at the end)
    const n = b.manifest.files.length + 1;
    const names = [...b.manifest.files.map((f) => f.path), 'manifest.json'].map((p) => `tiny_mixtral_fp16/${p}`);
    const manifestBytes = JSON.stringify(b.manifest, null, 2).length + 1;
    const payload = b.manifest.files.reduce((a, f) => a + f.bytes, 0) + manifestBytes;
    expect(zip.byteLength).toBe(payload + n * (30 + 46) + 2 * names.reduce((a, s) => a + s.length, 0) + 22);
    // the same bundle always gives the same bytes (fixed timestamps)
    expect(zipBundle(b.manifest, b.files)).toEqual(zip);

    const files = unzipBundle(zip, 'tiny.zip');
    expect(files.map((f) => f.name).sort()).toEqual(names.sort());
    const loaded = await loadBundle(filesFetcher(files));
    expect(loaded.manifest).toEqual(b.manifest);
    // (compared as plain byte arrays: protobufjs hands Node Buffers to the converter's map)
    for (const f of b.manifest.files) expect(new Uint8Array(loaded.files.get(f.path)!)).toEqual(new Uint8Array(b.files.get(f.path)!));
  });

  it('names the file and the problem when a zipped bundle is corrupt', async () => {
    const b = await tinyBundle();
    const files = unzipBundle(zipBundle(b.manifest, b.files));
    const head = files.find((f) => f.name.endsWith('/head.onnx'))!;
    new Uint8Array(head.data)[100] ^= 1;
    const sha = b.manifest.files.find((f) => f.path === 'head.onnx')!.sha256;
    await expect(loadBundle(filesFetcher(files))).rejects.toThrow(`does not match the manifest's ${sha.slice(0, 12)}… (corrupt or stale file)`);
    await expect(loadBundle(filesFetcher(files))).rejects.toThrow(/^head\.onnx: sha256 /);
  });

  it('refuses what is not a zipped bundle', () => {
    expect(() => unzipBundle(new TextEncoder().encode('{"format":"moe-bundle/1"}'), 'manifest.zip')).toThrow('manifest.zip: not a readable zip file (invalid zip data)');
    expect(() => unzipBundle(zipSync({ 'notes/readme.txt': new TextEncoder().encode('hi') }), 'notes.zip')).toThrow('notes.zip: no manifest.json in the zip (is it a bundle?)');
    expect(() => unzipBundle(zipSync({}), 'empty.zip')).toThrow('empty.zip: the zip file is empty');
  });
});
