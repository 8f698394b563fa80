// What every converter family takes and gives: its options, the bundle it returns and the sizes
// it reads from config.json.
import type { WeightDtype } from '../onnx/builder';
import type { Manifest } from '../manifest';

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
}

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
}
