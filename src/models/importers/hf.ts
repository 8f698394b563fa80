// Hugging Face `output_router_logits=True`, as saved by tools/capture/hf_router_logits.py:
//   { format: "hf-router-logits/1", model, transformers, config: {model_type, num_hidden_layers,
//     num_experts_per_tok, …}, kind: "logits" | "probs", tokens: {ids, texts},
//     router_logits: [n_moe][T][E], correction_bias?: [n_moe][E], loss?: [T−1], next?: [{id,text,p}] }
// `router_logits` is transformers' tuple as returned: one entry per MoE layer only (dense layers
// are absent), so indices are mapped back with the config (mlp_only_layers / decoder_sparse_step
// for Qwen-MoE, first_k_dense_replace / moe_layer_freq for DeepSeek). Some versions return
// post-softmax values (Qwen-MoE's router in transformers v5): `kind: "probs"`, converted here to
// log-probabilities, which route identically under softmax-based routers (softmax(log p) = p).
// Selections and gates come from the model's own routing (src/routing/policies/native.ts).
import { routeNative } from '../../routing/policies/native';
import type { NativeRouter } from '../../routing/types';
import { LIMITS } from '../../routing/limits';
import {
  fail,
  layerList,
  makeTokens,
  isObj,
  parseFormatJson,
  type ImportedLayer,
  type ImportedTrace,
  type InputFile,
  type Obj,
} from './common';

const denseIndices = (ls: ImportedLayer[]) =>
  ls.filter((l) => l.kind === 'dense').map((l) => l.index);

export const HF_FORMAT = 'hf-router-logits/1';

const int = (v: unknown, fallback: number): number =>
  Number.isInteger(v) ? (v as number) : fallback;

/** The families whose routing we reproduce, and the config key holding E. */
const EXPERT_KEY: Record<string, string> = {
  mixtral: 'num_local_experts',
  granitemoe: 'num_local_experts',
  phimoe: 'num_local_experts',
  qwen2_moe: 'num_experts',
  qwen3_moe: 'num_experts',
  olmoe: 'num_experts',
  deepseek_v3: 'n_routed_experts',
  deepseek_v2: 'n_routed_experts',
  gpt_oss: 'num_local_experts',
};

/** Which of the model's layers are MoE layers (the ones present in router_logits). */
export function moeLayerIndices(config: Obj): number[] {
  const L = int(config.num_hidden_layers, 0);
  const type = config.model_type;
  const all = Array.from({ length: L }, (_, i) => i);
  if (type === 'qwen2_moe' || type === 'qwen3_moe') {
    const only = Array.isArray(config.mlp_only_layers) ? (config.mlp_only_layers as number[]) : [];
    const step = int(config.decoder_sparse_step, 1);
    return all.filter(
      (i) => !only.includes(i) && int(config.num_experts, 0) > 0 && (i + 1) % step === 0,
    );
  }
  if (type === 'deepseek_v3' || type === 'deepseek_v2') {
    const first = int(config.first_k_dense_replace, 0);
    const freq = int(config.moe_layer_freq, 1);
    return all.filter((i) => i >= first && i % freq === 0);
  }
  return all;
}

/** The model's native router from its HF config (the manifest's `router` for that family). */
export function nativeRouterFromConfig(config: Obj, bias?: number[]): NativeRouter {
  const k = int(config.num_experts_per_tok, 2);
  switch (config.model_type) {
    case 'mixtral':
      return { type: 'softmax_topk', topK: k, normTopkProb: true };
    case 'qwen2_moe':
    case 'qwen3_moe':
    case 'olmoe':
      return { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true };
    case 'granitemoe':
    case 'gpt_oss': // (router_logits include the router's bias)
      return { type: 'topk_softmax', topK: k };
    case 'deepseek_v2': // greedy top-k of the softmax (the converter refuses group_limited_greedy)
      return { type: 'softmax_topk', topK: k, normTopkProb: config.norm_topk_prob === true };
    case 'phimoe':
      return {
        type: 'sparsemixer',
        topK: k,
        jitterEps:
          typeof config.router_jitter_noise === 'number' ? config.router_jitter_noise : 0.01,
      };
    case 'deepseek_v3':
      return {
        type: 'sigmoid_bias_grouped',
        topK: k,
        nGroup: int(config.n_group, 1),
        topkGroup: int(config.topk_group, 1),
        normTopkProb: config.norm_topk_prob !== false,
        routedScalingFactor:
          typeof config.routed_scaling_factor === 'number' ? config.routed_scaling_factor : 1,
        correctionBias: bias,
      };
  }
  return fail(
    'config.model_type',
    `"${String(config.model_type)}" is not supported (known: ${Object.keys(EXPERT_KEY).join(', ')})`,
  );
}

export interface HfOptions {
  /** override E (must match the logits' width) */
  experts?: number;
}

export function importHf(file: InputFile, opts: HfOptions = {}): ImportedTrace {
  const name = file.name;
  const j = parseFormatJson(file, HF_FORMAT, 'written by tools/capture/hf_router_logits.py');
  const config = j.config;
  if (!isObj(config))
    return fail(name, 'config: missing (the model config bits the capture script saves)');
  const type = String(config.model_type);
  if (!(type in EXPERT_KEY))
    fail(
      name,
      `config.model_type "${type}" is not supported (known: ${Object.keys(EXPERT_KEY).join(', ')})`,
    );
  const L = int(config.num_hidden_layers, -1);
  if (L < 1 || L > LIMITS.layers)
    fail(
      name,
      `config.num_hidden_layers must be an integer in 1..${LIMITS.layers}, got ${JSON.stringify(config.num_hidden_layers)}`,
    );
  const kind = j.kind;
  if (kind !== 'logits' && kind !== 'probs')
    fail(name, `kind must be "logits" or "probs", got ${JSON.stringify(kind)}`);
  const tokens = j.tokens;
  if (!isObj(tokens) || !Array.isArray(tokens.ids) || !tokens.ids.every((x) => Number.isInteger(x)))
    return fail(name, 'tokens.ids must be an array of token ids');
  const ids = tokens.ids as number[];
  const texts = Array.isArray(tokens.texts) ? (tokens.texts as unknown[]).map(String) : undefined;
  if (texts && texts.length !== ids.length)
    fail(name, `tokens.texts has ${texts.length} entries but tokens.ids has ${ids.length}`);
  const T = ids.length;
  const raw = j.router_logits;
  if (!Array.isArray(raw))
    return fail(name, 'router_logits must be an array with one [T][E] matrix per MoE layer');
  const moe = moeLayerIndices(config);
  if (raw.length !== moe.length)
    fail(
      name,
      `router_logits has ${raw.length} entries but config (${type}, ${L} layers) gives ${moe.length} MoE layers [${moe.join(', ')}]`,
    );
  const E = int(config[EXPERT_KEY[type]], -1);
  if (E < 1) fail(name, `config.${EXPERT_KEY[type]} (number of experts) is missing`);
  if (E > LIMITS.experts)
    fail(name, `config.${EXPERT_KEY[type]} = ${E} is over the limit of ${LIMITS.experts} experts`);
  if (opts.experts !== undefined && opts.experts !== E)
    fail(name, `--experts ${opts.experts} does not match config.${EXPERT_KEY[type]} = ${E}`);
  const biases = Array.isArray(j.correction_bias) ? (j.correction_bias as number[][]) : undefined;
  biases?.forEach((b, n) => {
    if (!(Array.isArray(b) && b.length === E && b.every((x) => Number.isFinite(x))))
      fail(name, `correction_bias[${n}] must hold E = ${E} finite numbers`);
  });
  const probe = nativeRouterFromConfig(config);
  if (!(Number.isInteger(probe.topK) && probe.topK >= 1 && probe.topK <= E))
    fail(
      name,
      `config.num_experts_per_tok (top-k) must be an integer in 1..${E} (the number of experts), got ${probe.topK}`,
    );
  const notices: string[] = [];
  if (kind === 'probs') {
    if (probe.type !== 'softmax_topk' && probe.type !== 'topk_softmax')
      fail(
        name,
        `kind "probs" cannot be turned back into logits for the ${probe.type} router of ${type}`,
      );
    notices.push(
      'the capture returned post-softmax values: converted to log-probabilities (same routing, logits up to a per-token constant)',
    );
  }

  const layers: ImportedLayer[] = [];
  const byIndex = new Map(moe.map((li, n) => [li, n]));
  for (let li = 0; li < L; li++) {
    const n = byIndex.get(li);
    if (n === undefined) {
      layers.push({
        index: li,
        kind: 'dense',
        selected: ids.map(() => []),
        gates: ids.map(() => []),
      });
      continue;
    }
    const m = raw[n];
    const at = `router_logits[${n}] (layer ${li})`;
    if (!Array.isArray(m) || m.length !== T)
      fail(
        name,
        `${at} must be [T][E] with T = ${T} tokens, got ${Array.isArray(m) ? `${m.length} rows` : typeof m}`,
      );
    const z = new Float32Array(T * E);
    (m as unknown[]).forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== E)
        fail(
          name,
          `${at}[${t}] must hold E = ${E} values, got ${Array.isArray(row) ? row.length : typeof row}`,
        );
      (row as unknown[]).forEach((v, e) => {
        // (JSON.parse reads 1e999 as Infinity: refused like any non-number)
        if (!Number.isFinite(v) && v !== null)
          fail(
            name,
            `${at}[${t}][${e}] must be a finite number or null, got ${String(v).slice(0, 40)}`,
          );
        const x = v === null ? -Infinity : (v as number);
        z[t * E + e] = kind === 'probs' ? (x > 0 ? Math.log(x) : -Infinity) : x;
      });
    });
    const bias = biases?.[n];
    const r = routeNative({ layer: li, T, E, logits: z }, nativeRouterFromConfig(config, bias));
    const selected: number[][] = [];
    const gates: number[][] = [];
    for (let t = 0; t < T; t++) {
      selected.push(Array.from(r.experts.subarray(r.offsets[t], r.offsets[t + 1])));
      gates.push(Array.from(r.gates.subarray(r.offsets[t], r.offsets[t + 1])));
    }
    const routerLogits = Array.from({ length: T }, (_, t) =>
      Array.from(z.subarray(t * E, (t + 1) * E), (x) => (x === -Infinity ? null : x)),
    );
    layers.push({ index: li, kind: 'moe', routerLogits, selected, gates });
  }
  if (moe.length < L) notices.push(`${layerList(denseIndices(layers))}: dense (no router)`);

  const out: ImportedTrace = {
    model: {
      id: typeof j.model === 'string' ? j.model : 'hf-import',
      architecture: type,
      numLayers: L,
      numExperts: E,
      topK: probe.topK,
    },
    backend: 'transformers',
    router: 'native',
    interventions: [],
    tokens: makeTokens(ids, texts),
    layers,
    source: { engine: 'hf', files: [name], lacks: [] },
    notices,
  };
  if (j.loss !== undefined) {
    if (!(
      Array.isArray(j.loss) &&
      j.loss.length === Math.max(0, T - 1) &&
      j.loss.every((x) => Number.isFinite(x))
    ))
      fail(name, `loss must list T − 1 = ${Math.max(0, T - 1)} numbers`);
    out.loss = j.loss as number[];
  } else out.source.lacks.push('loss');
  if (Array.isArray(j.next)) out.next = j.next as ImportedTrace['next'];
  else out.source.lacks.push('next');
  if (!texts) out.source.lacks.push('tokenText');
  return out;
}
