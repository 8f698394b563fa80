// What every converter family takes and gives: its options, the bundle it returns and the sizes
// it reads from config.json.
import type { WeightDtype } from '../onnx/builder';
import type { Manifest } from '../manifest';
import type { RopeParams } from './ropeScaling';

export type WeightType = WeightDtype;

export interface ConvertOptions {
  /** storage of large weight matrices: fp32, fp16 (float32 compute) or q8/q4 (MatMulNBits) */
  dtype?: WeightType;
  id: string;
  name?: string;
  fused?: boolean;
  license?: string;
  source?: string;
  languages?: string[];
  /** probe files (<lang>.json → bytes), stored under probes/ */
  probes?: Map<string, Uint8Array>;
  onProgress?: (step: string, index: number, count: number) => void;
  /** bytes as they move: each tensor read from the checkpoint and each file written */
  onBytes?: (p: ConvertBytes) => void;
  /**
   * Receives each file as soon as it is made (graphs one at a time); the returned Bundle.files then
   * keeps only the small files (routers.bin, tokenizer, probes), so memory stays bounded by one graph.
   */
  sink?: (path: string, bytes: Uint8Array) => void | Promise<void>;
  /** checked before every tensor read and every graph: an aborted signal stops with ConvertCancelled */
  signal?: { readonly aborted: boolean };
  /** graphs over this many bytes keep their weights in `<graph>.data` (ONNX external data); default ~1.9 GB */
  externalDataAbove?: number;
}

export type ConvertBytes =
  /** a tensor read: its stored bytes, and bytes read so far of the checkpoint's total */
  | { kind: 'tensor'; name: string; bytes: number; read: number; total: number }
  /** a bundle file written (index: its place in the order written) */
  | { kind: 'file'; name: string; bytes: number; index: number };

export interface Bundle {
  manifest: Manifest;
  /** path → bytes, every file listed in the manifest */
  files: Map<string, Uint8Array>;
}

/** Sizes every converter reads from config.json (Mixtral and the HF decoder families alike). */
export interface ModelDims {
  V: number;
  D: number;
  L: number;
  H: number;
  Hkv: number;
  hd: number;
  eps: number;
  theta: number;
  maxContext: number;
  /** value head size when it differs from hd (DeepSeek MLA: v_head_dim); the KV cache's past_value is [B,Hkv,P,vhd] */
  vhd?: number;
  /** RoPE from rope_theta + rope_scaling (ropeScaling.ts); absent = plain RoPE with theta over hd */
  rope?: RopeParams;
}
