// Converter entry point: picks the family converter from config.json's model_type.
import type { Checkpoint } from './checkpoint';
import type { Bundle, ConvertOptions } from './types';
import { convertMixtral } from './mixtral';
import { convertQwen3Moe } from './qwen3_moe';
import { convertOlmoe } from './olmoe';
import { convertGranitemoe } from './granitemoe';
import { convertQwen2Moe } from './qwen2_moe';
import { convertPhimoe } from './phimoe';
import { convertGptOss } from './gpt_oss';
import { convertDeepseekV3 } from './deepseek_v3';

export type { Bundle, ConvertOptions };

const FAMILIES: Record<string, (ck: Checkpoint, o: ConvertOptions) => Promise<Bundle>> = {
  mixtral: convertMixtral,
  qwen3_moe: convertQwen3Moe,
  olmoe: convertOlmoe,
  granitemoe: convertGranitemoe,
  qwen2_moe: convertQwen2Moe,
  phimoe: convertPhimoe,
  gpt_oss: convertGptOss,
  deepseek_v3: convertDeepseekV3,
  deepseek_v2: convertDeepseekV3,
};

export async function convertBundle(ck: Checkpoint, opts: ConvertOptions): Promise<Bundle> {
  if (typeof ck.config.model_type !== 'string') throw new Error(`config.json: no "model_type" field (supported: ${Object.keys(FAMILIES).join(', ')})`);
  const mt = ck.config.model_type;
  const f = Object.hasOwn(FAMILIES, mt) ? FAMILIES[mt] : undefined;
  if (!f) throw new Error(`config.json: model_type "${mt}" is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`);
  return f(ck, opts);
}
