// What a run produces: the per-layer events of a forward pass, its summary, the counterfactual
// diff against the unmodified baseline, and the results of the probe-set analyses (alignment,
// steering). Plain data, below both the engine (src/gpu, which produces it) and the page
// (src/state, src/components, which show it), so neither side imports the other for its types.
import { klLogits } from './logits';
import { routingStability } from './metrics/stability';

/** Where a pass ran: onnxruntime-web's WebGPU or WASM backend, or onnxruntime-node (the CLI). */
export type BackendName = 'webgpu' | 'wasm' | 'node';

/** One layer of a forward pass, emitted as soon as it is computed. Arrays are plain so they
 * structured-clone cheaply; shapes are written on each field. */
export interface LayerEvent {
  layer: number;
  kind: 'moe' | 'dense';
  T: number;
  /** number of experts (router columns after folding upcycled slots back) */
  E: number;
  /** [T × E] raw router logits (after logit interventions, before the policy) */
  routerLogits: Float32Array;
  /** [T × E] softmax of routerLogits */
  probs: Float32Array;
  /** [T][k_t] selected expert ids, best first (variable length allowed) */
  selected: number[][];
  /** [T][k_t] gate weights matching `selected` */
  gates: number[][];
  /** [T × E] L2 norm of each expert's output for each token */
  expertNorms: Float32Array;
  /** [T] 1 when no expert processed the token */
  dropped: Uint8Array;
  /** true when this layer was skipped by an intervention (output = attention output) */
  skipped?: boolean;
}

export interface NextToken {
  id: number;
  text: string;
  p: number;
}

export interface ForwardSummary {
  tokens: { id: number; text: string }[];
  /** [T-1] per-token NLL in nats (token t+1 given ≤ t) */
  loss: number[];
  next: NextToken[];
  /** the first layer that was recomputed (0 = full pass) */
  from: number;
  ms: number;
  router: string;
  interventions: string[];
  /** notes the engine wants the user to see (e.g. prompt truncated, non-causal router) */
  notices: string[];
}

/** One whole pass: its summary, every layer's event and the head's logits. */
export interface PassResult {
  summary: ForwardSummary;
  events: LayerEvent[];
  /** [T × V] */
  logits: Float32Array;
}

export interface LayerDiff {
  layer: number;
  /** fraction of tokens whose selected set changed */
  flipped: number;
  flippedTokens: number[];
}

export interface CounterfactualDiff {
  layers: LayerDiff[];
  /** KL(baseline next-token ‖ modified next-token) at the last position, nats */
  nextKL: number;
  /** [T-1] modified loss − baseline loss per token */
  lossDelta: number[];
  meanLossDelta: number;
}

/** The first layer with a router (per-layer views open there: DeepSeek-V3's layers 0–2 are dense); 0 when none. */
export function firstMoeLayer(layers: ({ kind: 'moe' | 'dense' } | undefined)[]): number {
  const l = layers.findIndex((x) => x?.kind === 'moe');
  return l < 0 ? 0 : l;
}

/** Routing flips per layer (top-k sets, as routingStability), next-token KL and per-token loss change. */
export function diffPasses(base: PassResult, mod: PassResult, V: number): CounterfactualDiff {
  const stability = routingStability(
    base.events.map((e) => e.selected),
    mod.events.map((e) => e.selected),
  );
  const layers = stability.map((s, l) => {
    const T = base.events[l].T;
    return { layer: s.layer, flipped: T ? s.flipped.length / T : 0, flippedTokens: s.flipped };
  });
  const T = base.summary.tokens.length;
  const lossDelta = base.summary.loss.map((x, i) => mod.summary.loss[i] - x);
  return {
    layers,
    nextKL: klLogits(base.logits, mod.logits, V, T - 1, T - 1),
    lossDelta,
    meanLossDelta: lossDelta.length ? lossDelta.reduce((a, b) => a + b, 0) / lossDelta.length : 0,
  };
}

/** Cross-lingual alignment over a bundle's parallel probe set (see gpu/align.ts). */
export interface AlignResult {
  ref: string;
  languages: string[];
  articles: string[];
  numLayers: number;
  /** language → [L] mean JSD (bits) to the reference language; null on dense layers (no router) */
  jsd: Record<string, (number | null)[]>;
  /** language → [L][E] routing frequency (fraction of tokens selecting each expert), for steering */
  frequency: Record<string, number[][]>;
  tokens: Record<string, number>;
}

export interface SteerArm {
  layers: number[];
  interventions: string[];
  /** mean per-token NLL (nats) on the target-language probes, without and with steering */
  lossBefore: number;
  lossAfter: number;
  delta: number;
}

/** Multilingual steering in the middle layers vs outside them (see gpu/steering.ts). */
export interface SteerResult {
  target: string;
  ref: string;
  tau: number;
  lambda: number;
  middle: SteerArm;
  outside: SteerArm;
}
