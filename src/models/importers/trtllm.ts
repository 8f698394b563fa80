// TensorRT-LLM routed experts (Router Replay; LlmArgs.enable_return_routed_experts + SamplingParams.
// return_routed_experts). Read in tensorrt_llm/_torch/route_capture.py: RouteCapture.capture is hooked in
// moe_scheduler right after routing_method.apply(), before _load_balancer_route(), so the ids are the
// router's logical top-k before EPLB replication; the buffer has one slot per MoE layer (the registry's
// layer ids, sorted: dense layers are not in it). RouteCapture.assemble returns an int16 tensor
// [seq_len − 1, num_moe_layers, top_k] (the final position dropped) that surfaces on
// CompletionOutput.routed_experts; −1 marks a route the engine did not capture (it fails closed on gaps).
// This importer reads it saved with np.save (int16; int32/int64 casts are accepted).
import { readNpy } from './npy';
import { fail, type ImportedTrace, type InputFile, type Lack } from './common';
import { readModelConfig } from './modelConfig';
import { checkAgainstConfig, denseNotice, layersFromIds, routedTokens } from './routedIds';

export interface TrtllmOptions {
  /** the model's config.json: places the MoE layers among all layers, checks top-k and expert ids */
  config?: InputFile;
  /** token ids: prompt + output (or the routed tokens) */
  tokens?: InputFile;
  experts?: number;
  modelId?: string;
}

export function importTrtllm(file: InputFile, opts: TrtllmOptions = {}): ImportedTrace {
  const name = file.name;
  const a = readNpy(file.bytes, name);
  if (!['i2', 'i4', 'i8'].includes(a.dtype))
    fail(name, `routed_experts must be int16 (or int32 / int64), got dtype '${a.dtype}'`);
  // np.save of a one-element list of the tensor adds a leading axis of 1
  const shape = a.shape.length === 4 && a.shape[0] === 1 ? a.shape.slice(1) : a.shape;
  if (shape.length !== 3)
    fail(
      name,
      `routed_experts must have shape [seq_len − 1, moe layers, top_k], got [${a.shape.join(', ')}]`,
    );
  const [S, Lm, k] = shape;
  if (S === 0 || Lm === 0 || k === 0)
    fail(name, `routed_experts is empty (shape [${a.shape.join(', ')}])`);
  const notices: string[] = [];
  const cfg = opts.config ? readModelConfig(opts.config) : undefined;
  let layerOf = Array.from({ length: Lm }, (_, i) => i);
  let numLayers = Lm;
  if (cfg) {
    if (cfg.moeLayers.length !== Lm)
      fail(
        name,
        `has ${Lm} MoE layers but ${opts.config!.name} gives ${cfg.moeLayers.length} (of ${cfg.numLayers} layers: [${cfg.moeLayers.join(', ')}])`,
      );
    layerOf = cfg.moeLayers;
    numLayers = cfg.numLayers;
  } else
    notices.push(
      'layers are the model’s MoE layers in order (TensorRT-LLM leaves dense layers out): give the model’s config.json (--config) to number them as the model does',
    );
  const layers = layersFromIds(a.data, [S, Lm, k], name, { layerOf, numLayers, missing: -1 });
  if (cfg) notices.push(...denseNotice(layers, `dense in ${opts.config!.name} (not captured)`));
  const E = checkAgainstConfig(layers, k, name, cfg, opts.config?.name, opts.experts);

  const lacks: Lack[] = ['routerLogits', 'gates', 'loss', 'next'];
  const { tokens, texts } = routedTokens(opts.tokens, S, 0, undefined, name, notices);
  if (!texts) lacks.push('tokenText');
  notices.push(
    'TensorRT-LLM routed_experts record the chosen expert ids only (logical ids, before load balancing): no router logits, gate weights or loss',
  );
  return {
    model: { id: opts.modelId ?? 'trtllm-import', numLayers, numExperts: E, topK: k },
    backend: 'trtllm',
    router: 'recorded',
    interventions: [],
    tokens,
    layers,
    source: {
      engine: 'trtllm',
      files: [
        name,
        ...(opts.config ? [opts.config.name] : []),
        ...(opts.tokens ? [opts.tokens.name] : []),
      ],
      lacks,
    },
    notices,
  };
}
