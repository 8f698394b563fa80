// The routers real models were trained with (manifest `router`), reproduced exactly.
import type { NativeRouter, RouteInput, Routing } from '../types';
import { routingFrom, softmaxRows, topkChoices, topkRow, type Choice } from './build';

/** Mixtral / Qwen-MoE / OLMoE: p = softmax(z); top-k of p; renormalise when normTopkProb. */
export function softmaxTopk(inp: RouteInput, k: number, renorm: boolean): Routing {
  const p = softmaxRows(inp.logits, inp.T, inp.E);
  return routingFrom(inp.T, inp.E, p, topkChoices(inp.logits, p, inp.T, inp.E, k, renorm));
}

/** Granite-MoE: top-k of the logits, then softmax over those k logits. */
export function topkSoftmax(inp: RouteInput, k: number): Routing {
  const { T, E, logits } = inp;
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const ex = topkRow(logits, E, t, k);
    const m = Math.max(...ex.map((e) => logits[t * E + e]));
    const w = ex.map((e) => Math.exp(logits[t * E + e] - m));
    const s = w.reduce((a, b) => a + b, 0);
    choices.push({ experts: ex, gates: w.map((x) => x / s) });
  }
  return routingFrom(T, E, softmaxRows(logits, T, E), choices);
}

/**
 * DeepSeek-V3 (noaux_tc): s = sigmoid(z); choose with s + correction bias, limited to the
 * topkGroup groups with the best sum of their two best biased scores (other groups' scores are
 * zeroed as in HF); gates = unbiased s of the chosen, renormalised if asked, × routedScalingFactor.
 */
export function sigmoidBiasGrouped(inp: RouteInput, r: Extract<NativeRouter, { type: 'sigmoid_bias_grouped' }>): Routing {
  const { T, E, logits } = inp;
  const G = r.nGroup;
  if (E % G !== 0) throw new Error(`sigmoid_bias_grouped: ${E} experts do not split into ${G} groups`);
  const per = E / G;
  // per-layer bias from routers.bin (converted DeepSeek bundles), else the router's own (imported traces)
  const bias = inp.correctionBias ?? r.correctionBias;
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const s = Array.from({ length: E }, (_, e) => (logits[t * E + e] === -Infinity ? 0 : 1 / (1 + Math.exp(-logits[t * E + e]))));
    const choice = s.map((v, e) => (logits[t * E + e] === -Infinity ? -Infinity : v + (bias?.[e] ?? 0)));
    // Sum of the two best unmasked scores of each group; a masked expert adds nothing (σ(−∞) = 0)
    // instead of sinking its whole group; a group with no unmasked expert scores −∞.
    const groupScore = Array.from({ length: G }, (_, g) => {
      const xs = choice.slice(g * per, (g + 1) * per).filter((v) => v !== -Infinity).sort((a, b) => b - a);
      return xs.length === 0 ? -Infinity : xs[0] + (per > 1 ? (xs[1] ?? 0) : 0);
    });
    const keep = groupScore.map((v, g) => [v, g]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, r.topkGroup).map((x) => x[1]);
    const masked = Float32Array.from(choice, (v, e) => (keep.includes(Math.floor(e / per)) ? v : v === -Infinity ? -Infinity : 0));
    const ex = topkRow(masked, E, 0, r.topK);
    let g = ex.map((e) => s[e]);
    if (r.normTopkProb) {
      const sum = g.reduce((a, b) => a + b, 0) + 1e-20;
      g = g.map((x) => x / sum);
    }
    choices.push({ experts: ex, gates: g.map((x) => x * r.routedScalingFactor) });
  }
  return routingFrom(T, E, softmaxRows(logits, T, E), choices);
}

/**
 * PhiMoE sparsemixer, inference path: the top expert's gate is its softmax among the logits
 * within 2·ε (relative, scaled by max(|z|, z_max)) of the max; then the same for the runner-up
 * with the first expert removed.
 */
export function sparsemixer(inp: RouteInput, jitterEps: number, k: number): Routing {
  const { T, E, logits } = inp;
  const choices: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const z = Array.from(logits.subarray(t * E, (t + 1) * E));
    const experts: number[] = [];
    const gates: number[] = [];
    let scores = z.slice();
    for (let round = 0; round < Math.min(k, 2); round++) {
      let top = -1;
      for (let e = 0; e < E; e++) if (scores[e] !== -Infinity && (top < 0 || scores[e] > scores[top])) top = e;
      if (top < 0) break;
      const thr = scores[top];
      const kept = scores.map((v, e) => ((thr - z[e]) / Math.max(Math.abs(z[e]), thr) > 2 * jitterEps ? -Infinity : v));
      const m = Math.max(...kept);
      const sum = kept.reduce((a, v) => a + (v === -Infinity ? 0 : Math.exp(v - m)), 0);
      experts.push(top);
      gates.push(Math.exp(kept[top] - m) / sum);
      scores = scores.map((v, e) => (e === top ? -Infinity : v));
    }
    choices.push({ experts, gates });
  }
  return routingFrom(T, E, softmaxRows(logits, T, E), choices);
}

export function routeNative(inp: RouteInput, r: NativeRouter): Routing {
  switch (r.type) {
    case 'softmax_topk':
      return softmaxTopk(inp, r.topK, r.normTopkProb);
    case 'topk_softmax':
      return topkSoftmax(inp, r.topK);
    case 'sigmoid_bias_grouped':
      return sigmoidBiasGrouped(inp, r);
    case 'sparsemixer':
      return sparsemixer(inp, r.jitterEps, r.topK);
  }
}
