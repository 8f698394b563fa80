// loadBundle over an in-memory fetcher: the shipped fixture bundle, then one fault at a time.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesFetcher, loadBundle, type FetchFile } from './loader';

const DIR = 'public/models/tiny-mixtral';
const read = (p: string) => new Uint8Array(readFileSync(join(DIR, p)));
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { files: { path: string; bytes: number }[] };
const fetcher = (edit: (path: string, bytes: Uint8Array) => Uint8Array = (_, b) => b): FetchFile => async (path) => edit(path, read(path));

describe('loadBundle', () => {
  it('loads every listed file, and the byte progress ends at the bundle size', async () => {
    const seen: number[] = [];
    const b = await loadBundle(fetcher(), (p) => seen.push(p.loaded / p.total));
    expect([...b.files.keys()].sort()).toEqual(manifest.files.map((f) => f.path).sort());
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true);
  });

  it('names the file whose bytes do not match its sha256', async () => {
    const bad = manifest.files[1].path;
    const flip = (p: string, b: Uint8Array) => (p === bad ? b.map((v, i) => (i === 10 ? v ^ 1 : v)) : b);
    await expect(loadBundle(fetcher(flip))).rejects.toThrow(new RegExp(`^${bad.replace('.', '\\.')}: sha256 [0-9a-f]{12}… does not match the manifest's`));
  });

  it('names a truncated file with both sizes', async () => {
    const f = manifest.files[0];
    await expect(loadBundle(fetcher((p, b) => (p === f.path ? b.subarray(0, 5) : b)))).rejects.toThrow(`${f.path}: has 5 bytes, the manifest says ${f.bytes}`);
  });

  it('names a file missing from a picked folder', async () => {
    const files = ['manifest.json', ...manifest.files.slice(1).map((f) => f.path)].map((name) => ({ name: `bundle/${name}`, data: read(name) }));
    await expect(loadBundle(filesFetcher(files))).rejects.toThrow(`${manifest.files[0].path}: cannot be read (not among the ${files.length} picked files)`);
  });
});
