// An HF checkpoint held in memory: config.json, one or more safetensors shards, tokenizer.json.
// Pure (no Node APIs) so the converter can run in the browser worker too.
import { parseSafetensors, readFloat32, type SafetensorsFile } from '../safetensors';

export interface CheckpointFiles {
  /** file name (relative to the checkpoint folder) → contents */
  get(name: string): Uint8Array | undefined;
  names(): string[];
}

export class Checkpoint {
  private shards = new Map<string, SafetensorsFile>();
  private where = new Map<string, string>();

  constructor(
    readonly config: Record<string, unknown>,
    readonly tokenizerJson: Uint8Array,
    files: CheckpointFiles,
    /** tokenizer_config.json, when the checkpoint has one (decode options such as clean-up) */
    readonly tokenizerConfig?: Uint8Array,
  ) {
    const index = files.get('model.safetensors.index.json');
    let shardNames: string[];
    if (index) {
      const map = (JSON.parse(new TextDecoder().decode(index)) as { weight_map?: Record<string, string> }).weight_map;
      if (!map) throw new Error('model.safetensors.index.json: no "weight_map"');
      shardNames = [...new Set(Object.values(map))];
    } else if (files.get('model.safetensors')) {
      shardNames = ['model.safetensors'];
    } else {
      shardNames = files.names().filter((n) => n.endsWith('.safetensors'));
      if (shardNames.length === 0) throw new Error('no model.safetensors, no model.safetensors.index.json and no *.safetensors file in the checkpoint');
    }
    for (const name of shardNames) {
      const bytes = files.get(name);
      if (!bytes) throw new Error(`${name}: listed in the index but missing from the checkpoint folder`);
      const st = parseSafetensors(bytes, name);
      this.shards.set(name, st);
      for (const t of st.tensors.keys()) this.where.set(t, name);
    }
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

  has(name: string): boolean {
    return this.where.has(name);
  }

  shape(name: string): number[] {
    const shard = this.where.get(name);
    if (!shard) throw new Error(`tensor "${name}" not found in the checkpoint`);
    return this.shards.get(shard)!.tensors.get(name)!.shape;
  }

  /** float32 values of a tensor, checking its shape */
  get(name: string, shape?: number[]): Float32Array {
    const shard = this.where.get(name);
    if (!shard) throw new Error(`tensor "${name}" not found in the checkpoint`);
    if (shape) {
      const got = this.shape(name);
      if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
        throw new Error(`tensor "${name}" has shape [${got.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return readFloat32(this.shards.get(shard)!, name);
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
