// The routing shapes of the models researchers bring (config.json of each): layers, routed
// experts, top-k and leading dense layers. Generated captures and the scale benchmarks use them.
export interface CaptureShape {
  name: string;
  layers: number;
  experts: number;
  topK: number;
  /** leading dense layers (DeepSeek-V3's first_k_dense_replace = 3) */
  dense: number;
}

export const CAPTURE_SHAPES: Record<string, CaptureShape> = {
  olmoe: { name: 'OLMoE-1B-7B', layers: 16, experts: 64, topK: 8, dense: 0 },
  qwen3: { name: 'Qwen3-30B-A3B', layers: 48, experts: 128, topK: 8, dense: 0 },
  deepseek: { name: 'DeepSeek-V3', layers: 61, experts: 256, topK: 8, dense: 3 },
  gptoss: { name: 'gpt-oss-20b', layers: 24, experts: 32, topK: 4, dense: 0 },
};
