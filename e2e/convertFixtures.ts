// Checkpoint folders for the in-page conversion test, written to a temporary folder: broken
// copies of the tiny Mixtral fixture, and a larger random Mixtral whose conversion lasts long
// enough to be cancelled half-way.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, readFloat32, writeSafetensors } from '../src/models/safetensors';

export const HF = 'training/fixtures/tiny-mixtral/hf';

type Tensors = Record<string, { data: Float32Array; shape: number[] }>;

function folder(root: string, name: string, config: Record<string, unknown>, tensors: Uint8Array): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'model.safetensors'), tensors);
  copyFileSync(join(HF, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  return dir;
}

export interface ConvertFixtures {
  /** config.json without "model_type" */
  noModelType: string;
  /** layer 1, expert 3's w2 missing from model.safetensors */
  missingTensor: string;
  /** 12 layers, hidden 128, 8 experts of 256: 40 MB of float32 */
  big: string;
}

export function writeConvertFixtures(): ConvertFixtures {
  const root = mkdtempSync(join(tmpdir(), 'moe-convert-'));
  const config = JSON.parse(readFileSync(join(HF, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = readFileSync(join(HF, 'model.safetensors'));
  const { model_type: _, ...noType } = config;
  const st = parseSafetensors(new Uint8Array(weights));
  const kept: Tensors = {};
  for (const [n, info] of st.tensors) if (n !== 'model.layers.1.block_sparse_moe.experts.3.w2.weight') kept[n] = { data: readFloat32(st, n), shape: info.shape };

  const [L, D, I, E, H, Hkv] = [12, 128, 256, 8, 4, 2];
  const V = config.vocab_size as number;
  let seed = 7;
  const random = (shape: number[]) => {
    const a = new Float32Array(shape.reduce((x, y) => x * y));
    for (let i = 0; i < a.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      a[i] = (seed / 2 ** 32 - 0.5) * 0.1;
    }
    return { data: a, shape };
  };
  const ones = (n: number) => ({ data: new Float32Array(n).fill(1), shape: [n] });
  const big: Tensors = { 'model.embed_tokens.weight': random([V, D]) };
  const hd = D / H;
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(big, {
      [`${p}self_attn.q_proj.weight`]: random([H * hd, D]),
      [`${p}self_attn.k_proj.weight`]: random([Hkv * hd, D]),
      [`${p}self_attn.v_proj.weight`]: random([Hkv * hd, D]),
      [`${p}self_attn.o_proj.weight`]: random([D, H * hd]),
      [`${p}input_layernorm.weight`]: ones(D),
      [`${p}post_attention_layernorm.weight`]: ones(D),
      [`${p}block_sparse_moe.gate.weight`]: random([E, D]),
    });
    for (let e = 0; e < E; e++) {
      const x = `${p}block_sparse_moe.experts.${e}.`;
      Object.assign(big, { [`${x}w1.weight`]: random([I, D]), [`${x}w3.weight`]: random([I, D]), [`${x}w2.weight`]: random([D, I]) });
    }
  }
  Object.assign(big, { 'model.norm.weight': ones(D), 'lm_head.weight': random([V, D]) });
  const bigConfig = { ...config, hidden_size: D, intermediate_size: I, num_hidden_layers: L, num_local_experts: E, num_attention_heads: H, num_key_value_heads: Hkv, head_dim: hd };

  return {
    noModelType: folder(root, 'no-model-type', noType, weights),
    missingTensor: folder(root, 'missing-tensor', config, writeSafetensors(kept)),
    big: folder(root, 'big-mixtral', bigConfig, writeSafetensors(big)),
  };
}
