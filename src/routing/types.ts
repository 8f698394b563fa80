// Shared types of the routing core. Everything here is plain data over typed arrays so the
// worker, the Node CLI and unit tests pass the same objects. Axis order is written on each field.

/** The router a model was trained with, as described by its bundle manifest. */
export type NativeRouter =
  /** Mixtral, Qwen-MoE, OLMoE: p = softmax(z); top-k of p; renormalise the k if normTopkProb. */
  | { type: 'softmax_topk'; topK: number; normTopkProb: boolean }
  /** Granite-MoE: top-k of z, then softmax over the k logits. */
  | { type: 'topk_softmax'; topK: number }
  /** DeepSeek-V3: s = sigmoid(z); select with s + bias, group-limited; gates = unbiased s, renormalised, scaled. */
  | {
      type: 'sigmoid_bias_grouped';
      topK: number;
      nGroup: number;
      topkGroup: number;
      normTopkProb: boolean;
      routedScalingFactor: number;
      /** [E] e_score_correction_bias */
      correctionBias?: number[];
    }
  /** PhiMoE sparsemixer top-2 (inference path). */
  | { type: 'sparsemixer'; topK: number; jitterEps: number };

/** Inputs to a policy for one layer and one block of tokens. */
export interface RouteInput {
  /** layer index in the model */
  layer: number;
  /** number of tokens in the block */
  T: number;
  /** number of router columns (experts, plus extra slots added by upcycling) */
  E: number;
  /** [T × E] raw router logits after logit interventions, row-major */
  logits: Float32Array;
  /** [T] token ids (hash router) */
  tokenIds?: Int32Array;
  /** [T] absolute positions of the tokens (for stateful policies and causal bookkeeping) */
  positions?: Int32Array;
  /** [T × D] router input hidden states (`moe_in`), for kmeans / cosine */
  hidden?: Float32Array;
  D?: number;
  /** [E × D] router weight rows, for kmeans initialisation and cosine anchors */
  routerWeights?: Float32Array;
  /** [E] this layer's selection bias (routers.bin); the native sigmoid_bias_grouped router prefers it to its own */
  correctionBias?: Float32Array;
}

/**
 * A routing decision for T tokens over E experts. Selections are variable-length per token,
 * stored CSR-style: token t owns experts[offsets[t] .. offsets[t+1]) (best first) with the
 * matching gates.
 */
export interface Routing {
  T: number;
  E: number;
  /** [T × E] softmax probabilities of the (intervened) logits, what the score views draw */
  probs: Float32Array;
  /** [T + 1] CSR offsets into experts/gates */
  offsets: Int32Array;
  /** [nnz] selected expert ids, best first within each token */
  experts: Int32Array;
  /** [nnz] gate weight of each selected expert */
  gates: Float32Array;
  /** [T] 1 when the token was dropped (no expert processed it: capacity overflow, null-only) */
  dropped: Uint8Array;
}

/** Per-layer state of a stateful policy, exposed so views can show it. */
export interface PolicyState {
  /** balance-bias: [E] current bias per layer */
  bias?: Float32Array;
  /** kmeans: [E × D] centroids, [E] counts */
  centroids?: Float32Array;
  counts?: Float32Array;
}

export interface RouterPolicy {
  /** canonical spec string, e.g. `topk:k=2,renorm=1` */
  readonly spec: string;
  readonly name: string;
  /** false when a token's routing depends on later tokens (expert-choice) */
  readonly causal: boolean;
  /** what the policy needs beyond logits */
  readonly needs: { hidden?: boolean; routerWeights?: boolean; tokenIds?: boolean };
  route(input: RouteInput): Routing;
  /** forget all learnt state (kmeans centroids, balance-bias biases) */
  reset(): void;
  /** current state of one layer, if stateful */
  state(layer: number): PolicyState | undefined;
}

export type InterventionKind =
  | 'bias'
  | 'steer'
  | 'force'
  | 'mask'
  | 'temp'
  | 'upcycle'
  | 'skip'
  | 'repeat'
  | 'rewire';

/** Layer selection of an intervention: '*' = every layer; otherwise an inclusive range. */
export type LayerRange = '*' | { from: number; to: number };

export interface Intervention {
  kind: InterventionKind;
  layers: LayerRange;
  /** expert ids the intervention acts on (empty = all experts where that makes sense) */
  experts: number[];
  /** kind-specific parameters: value (bias), lambda (steer), t (temp), noise (upcycle), n (repeat), steps + lr (rewire), seed */
  params: Record<string, number>;
}
