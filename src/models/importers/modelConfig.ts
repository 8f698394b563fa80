// The model's config.json as the routed-experts importers need it: captures that are flat (SGLang's base64) or
// hold MoE layers only (TensorRT-LLM) cannot say on their own how many layers the model has, which are dense and
// how many experts each token picks.
import { moeLayerIndices } from './hf';
import { fail, isObj, parseJson, type InputFile, type Obj } from './common';
import { LIMITS } from '../../routing/limits';

export interface ModelShape {
  /** num_hidden_layers */
  numLayers: number;
  /** num_experts_per_tok (or experts_per_token) */
  topK: number;
  /** num_experts / num_local_experts / n_routed_experts, when the config has one */
  numExperts?: number;
  /** indices of the MoE layers (the rest are dense), in order */
  moeLayers: number[];
  modelType: string;
}

const posInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** Read num_hidden_layers, top-k, expert count and the MoE layer indices from a config.json. */
export function readModelConfig(f: InputFile): ModelShape {
  const j = parseJson(f);
  if (!isObj(j)) return fail(f.name, 'must be a JSON object (the model’s config.json)');
  // multimodal checkpoints keep the decoder's fields under text_config
  const c: Obj = isObj(j.text_config) ? { model_type: j.model_type, ...j.text_config } : j;
  const L = c.num_hidden_layers;
  if (!posInt(L) || L > LIMITS.layers)
    return fail(
      f.name,
      `"num_hidden_layers" must be an integer in 1..${LIMITS.layers}, got ${JSON.stringify(L)}`,
    );
  const k = c.num_experts_per_tok ?? c.experts_per_token;
  if (!posInt(k))
    return fail(
      f.name,
      `"num_experts_per_tok" must be a positive integer, got ${JSON.stringify(k)}`,
    );
  const E = c.num_experts ?? c.num_local_experts ?? c.n_routed_experts;
  if (E !== undefined && !(posInt(E) && E <= LIMITS.experts))
    fail(
      f.name,
      `the expert count must be an integer in 1..${LIMITS.experts}, got ${JSON.stringify(E)}`,
    );
  if (E !== undefined && k > (E as number))
    fail(f.name, `"num_experts_per_tok" ${k} exceeds the number of experts ${E}`);
  const type = String(c.model_type ?? '');
  let moeLayers: number[];
  if (type.startsWith('deepseek')) {
    // DeepSeek V2/V3: dense until first_k_dense_replace, then every moe_layer_freq-th layer
    const first = Number.isInteger(c.first_k_dense_replace)
      ? (c.first_k_dense_replace as number)
      : 0;
    const freq = posInt(c.moe_layer_freq) ? c.moe_layer_freq : 1;
    moeLayers = Array.from({ length: L }, (_, i) => i).filter((i) => i >= first && i % freq === 0);
  } else moeLayers = moeLayerIndices(c);
  return {
    numLayers: L,
    topK: k,
    ...(E !== undefined ? { numExperts: E as number } : {}),
    moeLayers,
    modelType: type,
  };
}
