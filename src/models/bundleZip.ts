// A bundle as one .zip file (entries stored, not deflated: ONNX weights barely compress and
// storing keeps save and reopen fast). Pure, so the worker, the page and Node share it.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import type { Manifest } from './manifest';

/** Zip entries' timestamp: fixed, so the same bundle always gives the same bytes. */
const MTIME = new Date(1980, 0, 2);

/**
 * manifest.json plus every file of the bundle under one folder named after the bundle id, so
 * unzipping on disk gives a bundle folder (the loader strips a folder shared by every file).
 */
export function zipBundle(manifest: Manifest, files: Map<string, Uint8Array>): Uint8Array {
  const dir = manifest.id.replace(/[^\w.-]+/g, '_') || 'bundle';
  const entries: Zippable = {
    [`${dir}/manifest.json`]: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'),
  };
  for (const f of manifest.files) {
    const bytes = files.get(f.path);
    if (!bytes) throw new Error(`${f.path}: listed in the manifest but not in the bundle`);
    entries[`${dir}/${f.path}`] = bytes;
  }
  return zipSync(entries, { level: 0, mtime: MTIME });
}

/**
 * The files of a zipped bundle, as a folder pick would give them (path → bytes, each in its
 * own buffer so a list can be transferred to the worker). Folders inside the zip are kept in
 * the paths; the loader strips one that every file shares.
 */
export function unzipBundle(
  zip: Uint8Array,
  fileName = 'bundle.zip',
): { name: string; data: ArrayBuffer }[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (e) {
    throw new Error(`${fileName}: not a readable zip file (${(e as Error).message})`);
  }
  const out = Object.entries(entries)
    .filter(([name]) => !name.endsWith('/') && !name.startsWith('__MACOSX/'))
    .map(([name, bytes]) => ({ name, data: bytes.slice().buffer }));
  if (out.length === 0) throw new Error(`${fileName}: the zip file is empty`);
  if (!out.some((f) => f.name === 'manifest.json' || f.name.endsWith('/manifest.json')))
    throw new Error(`${fileName}: no manifest.json in the zip (is it a bundle?)`);
  return out;
}
