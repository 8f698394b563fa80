// An HF checkpoint: config.json, one or more safetensors shards, tokenizer.json. The shards are
// read through byte sources (convert/streamingSource.ts): their headers when the checkpoint is
// opened, each tensor by offset when a converter asks for it, so any size of file converts with
// memory bounded by what one graph needs. Pure (no Node APIs) so the converter runs in the
// browser worker too.
import { parseSafetensors, readFloat32, readRaw, type SafetensorsFile, type TensorInfo } from '../safetensors';
import type { ByteSource } from './streamingSource';

export interface CheckpointFiles {
  /** file name (relative to the checkpoint folder) → contents; JSON files always come this way */
  get(name: string): Uint8Array | undefined;
  names(): string[];
  /** a safetensors file to read by offset instead of holding it in memory (takes precedence over `get`) */
  source?(name: string): ByteSource | undefined;
}

/** What a converter is told while it reads tensors, and how it is stopped. */
export interface ReadWatch {
  /** checked before every tensor read */
  signal?: { readonly aborted: boolean };
  /** after each tensor read: its name, its stored bytes, and bytes read so far of `total` (every tensor once) */
  onTensor?: (name: string, bytes: number, read: number, total: number) => void;
}

/** Thrown when a watched read finds its signal aborted. */
export class ConvertCancelled extends Error {
  constructor() {
    super('conversion cancelled');
    this.name = 'ConvertCancelled';
  }
}

export class Checkpoint {
  private shards = new Map<string, SafetensorsFile>();
  private where = new Map<string, string>();
  private watchers = new Set<ReadWatch>();
  private readBytes = 0;
  /** stored bytes of every tensor (what a conversion reads at least once) */
  readonly totalBytes: number;

  constructor(
    readonly config: Record<string, unknown>,
    readonly tokenizerJson: Uint8Array,
    files: CheckpointFiles,
    /** tokenizer_config.json, when the checkpoint has one (decode options such as clean-up) */
    readonly tokenizerConfig?: Uint8Array,
  ) {
    const index = files.get('model.safetensors.index.json');
    const names = new Set(files.names());
    const present = (n: string) => names.has(n) || files.get(n) !== undefined;
    let shardNames: string[];
    if (index) {
      let map: Record<string, string> | undefined;
      try {
        map = (JSON.parse(new TextDecoder().decode(index)) as { weight_map?: Record<string, string> }).weight_map;
      } catch (e) {
        throw new Error(`model.safetensors.index.json: not valid JSON (${(e as Error).message})`);
      }
      if (!map) throw new Error('model.safetensors.index.json: no "weight_map"');
      shardNames = [...new Set(Object.values(map))];
    } else if (present('model.safetensors')) {
      shardNames = ['model.safetensors'];
    } else {
      shardNames = files.names().filter((n) => n.endsWith('.safetensors'));
      if (shardNames.length === 0) throw new Error('no model.safetensors, no model.safetensors.index.json and no *.safetensors file in the checkpoint');
    }
    let total = 0;
    for (const name of shardNames) {
      const src = files.source?.(name);
      const bytes = src ? undefined : files.get(name);
      if (!src && !bytes) throw new Error(`${name}: listed in the index but missing from the checkpoint folder`);
      const st = parseSafetensors(src ?? bytes!, name);
      this.shards.set(name, st);
      for (const [t, info] of st.tensors) {
        this.where.set(t, name);
        total += info.end - info.begin;
      }
    }
    this.totalBytes = total;
  }

  static fromFiles(files: CheckpointFiles): Checkpoint {
    const cfg = files.get('config.json');
    if (!cfg) throw new Error('config.json: missing from the checkpoint folder');
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(new TextDecoder().decode(cfg));
    } catch (e) {
      throw new Error(`config.json: not valid JSON (${(e as Error).message})`);
    }
    const tok = files.get('tokenizer.json');
    if (!tok) throw new Error('tokenizer.json: missing from the checkpoint folder (the lab needs a Hugging Face tokenizer.json)');
    return new Checkpoint(config, tok, files, files.get('tokenizer_config.json'));
  }

  /** Report reads to `w` (and stop them when its signal aborts) until the returned function is called. */
  watch(w: ReadWatch): () => void {
    this.watchers.add(w);
    this.readBytes = 0;
    return () => this.watchers.delete(w);
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  private file(name: string): SafetensorsFile {
    const shard = this.where.get(name);
    if (!shard) throw new Error(`tensor "${name}" not found in the checkpoint`);
    return this.shards.get(shard)!;
  }

  /** dtype, shape and byte range of a tensor as stored */
  info(name: string): TensorInfo {
    return this.file(name).tensors.get(name)!;
  }

  shape(name: string): number[] {
    return this.info(name).shape;
  }

  private before(): void {
    for (const w of this.watchers) if (w.signal?.aborted) throw new ConvertCancelled();
  }

  private after(name: string): void {
    if (this.watchers.size === 0) return;
    const t = this.info(name);
    const bytes = t.end - t.begin;
    // A tensor read twice (a tied embedding) counts once toward the total.
    this.readBytes = Math.min(this.totalBytes, this.readBytes + bytes);
    for (const w of this.watchers) w.onTensor?.(name, bytes, this.readBytes, this.totalBytes);
  }

  /** float32 values of a tensor, checking its shape; read from its file now (synchronous) */
  get(name: string, shape?: number[]): Float32Array {
    const file = this.file(name);
    if (shape) {
      const got = this.shape(name);
      if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
        throw new Error(`tensor "${name}" has shape [${got.join(', ')}], expected [${shape.join(', ')}]`);
    }
    this.before();
    const out = readFloat32(file, name);
    this.after(name);
    return out;
  }

  /** a tensor's bytes as stored (any dtype: packed or integer tensors) */
  raw(name: string): Uint8Array {
    const file = this.file(name);
    this.before();
    const out = readRaw(file, name);
    this.after(name);
    return out;
  }

  tensorNames(): string[] {
    return [...this.where.keys()];
  }
}

export function configNumber(config: Record<string, unknown>, key: string, fallback?: number): number {
  const v = config[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new Error(`config.json: "${key}" must be a number, got ${JSON.stringify(v)}`);
}
