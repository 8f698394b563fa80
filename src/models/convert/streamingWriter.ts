// Where a converter's files go as they are made: each file is hashed when written and, with a
// sink, handed on at once and dropped, so peak memory is bounded by the largest graph rather
// than the bundle (a 1B-parameter model's bundle is ~1–5 GB; one layer's graph is ~100 MB).
// Without a sink every file is kept, as the in-memory Bundle always was.
import { sha256Hex } from '../hash';
import { ConvertCancelled } from './checkpoint';
import type { ConvertOptions } from './types';
import { EXTERNAL_DATA_ABOVE, externalDataName, splitExternalData } from './streamingExternal';

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

export class BundleWriter {
  /** the files the returned Bundle holds: all of them, or with a sink only the small non-graph ones */
  readonly kept = new Map<string, Uint8Array>();
  /** every file in the order written (the manifest's file list) */
  readonly written: WrittenFile[] = [];
  private index = 0;

  constructor(
    private readonly opts: Pick<
      ConvertOptions,
      'sink' | 'signal' | 'onBytes' | 'externalDataAbove'
    >,
  ) {}

  /** Stop here if the conversion was cancelled (between graphs). */
  check(): void {
    if (this.opts.signal?.aborted) throw new ConvertCancelled();
  }

  /** A file of the bundle; a graph over the protobuf limit goes out as graph + `<graph>.data`. */
  async put(path: string, bytes: Uint8Array): Promise<void> {
    if (
      path.endsWith('.onnx') &&
      bytes.byteLength > (this.opts.externalDataAbove ?? EXTERNAL_DATA_ABOVE)
    ) {
      const split = splitExternalData(bytes, externalDataName(path.split('/').pop()!));
      await this.write(path, split.graph);
      await this.write(externalDataName(path), split.data);
      return;
    }
    await this.write(path, bytes);
  }

  private async write(path: string, bytes: Uint8Array): Promise<void> {
    if (this.written.some((f) => f.path === path))
      throw new Error(`${path}: written twice into the bundle`);
    this.written.push({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
    const { sink } = this.opts;
    if (sink) await sink(path, bytes);
    if (!sink || !/\.onnx(\.data)?$/.test(path)) this.kept.set(path, bytes);
    this.opts.onBytes?.({ kind: 'file', name: path, bytes: bytes.byteLength, index: this.index++ });
  }
}
