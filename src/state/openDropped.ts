// Files dropped on the page: a bundle folder (manifest.json), a bundle .zip, a Hugging Face
// checkpoint folder (config.json + *.safetensors, converted in the worker) or a trace / engine
// capture (.json, .jsonl, .npy, with its companions). The kind is decided from the names alone.
import { useLab } from './store';
import { openTraceFilesAsync } from './importTrace';
import { unzipBundle } from '../models/bundleZip';

/** A dropped file, its path relative to what was dropped (a folder's files carry the folder name). */
export interface DroppedFile {
  path: string;
  data: ArrayBuffer;
}

export type DropKind = 'bundle' | 'zip' | 'checkpoint' | 'trace';

const base = (p: string) => p.split('/').pop() ?? p;

/** What the dropped files are, or an error that says what the page accepts. */
export function classifyDrop(paths: string[]): DropKind {
  const names = paths.map(base);
  if (names.includes('manifest.json')) return 'bundle';
  if (paths.length === 1 && /\.zip$/i.test(names[0])) return 'zip';
  if (names.includes('config.json') && names.some((n) => n.endsWith('.safetensors'))) return 'checkpoint';
  if (names.length > 0 && names.every((n) => /\.(json|jsonl|npy|bin)$/i.test(n))) return 'trace';
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} files)` : '');
  throw new Error(
    `the dropped files (${shown || 'none'}) are not a bundle folder (no manifest.json), a bundle .zip, a Hugging Face checkpoint (config.json + *.safetensors) or a trace (.json, .jsonl, .npy)`,
  );
}

/** The last path segment before the file names: a bundle or checkpoint's folder name. */
const folderOf = (files: DroppedFile[]) => files[0]?.path.split('/').slice(-2, -1)[0] ?? '';

export function openDropped(files: DroppedFile[]): void {
  let kind: DropKind;
  try {
    kind = classifyDrop(files.map((f) => f.path));
  } catch (e) {
    useLab.setState({ error: `Nothing opened: ${(e as Error).message}` });
    return;
  }
  if (kind === 'bundle') {
    useLab.setState({ localFolder: folderOf(files) || 'dropped bundle' });
    useLab.getState().openFiles(files.map((f) => ({ name: f.path, data: f.data })));
  } else if (kind === 'zip') {
    try {
      const list = unzipBundle(new Uint8Array(files[0].data), base(files[0].path));
      useLab.setState({ localFolder: base(files[0].path).replace(/\.zip$/i, '') });
      useLab.getState().openFiles(list);
    } catch (e) {
      useLab.setState({ error: (e as Error).message });
    }
  } else if (kind === 'checkpoint') {
    const id = (folderOf(files) || 'converted').replace(/[^\w.-]+/g, '-');
    const wanted = files.filter((f) => /\.(json|safetensors)$/.test(f.path));
    useLab.getState().convert({ kind: 'files', files: wanted.map((f) => ({ name: f.path, data: f.data })) }, { dtype: 'fp32', id });
  } else {
    void openTraceFilesAsync(files.map((f) => ({ name: base(f.path), bytes: new Uint8Array(f.data) })));
  }
}
