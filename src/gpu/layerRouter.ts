// Glue between the engine and the pure routing core: per layer, apply the logit interventions,
// run the policy, fold upcycled slots back onto their experts and build the dense gate matrix.
import { applyLogitInterventions, denseGates, foldSlots, interventionsAt } from '../routing/index';
import type { Intervention, RouterPolicy, Routing } from '../routing/types';
import type { RouterWeights } from './routerWeights';

export interface RoutedLayer {
  routing: Routing;
  /** [T × E] router logits after interventions (real experts only) */
  logits: Float32Array;
  /** [T × E] dense gates for the moe graph */
  denseGates: Float32Array;
}

const STATEFUL = new Set(['kmeans', 'balance-bias']);

export class LayerRouter {
  readonly stateful: boolean;

  constructor(
    readonly policy: RouterPolicy,
    readonly interventions: Intervention[],
    private weights: RouterWeights,
    /** per-layer additive logit vectors (rewire), [L][E] */
    private extraBias?: Float32Array[],
  ) {
    this.stateful = STATEFUL.has(policy.name);
  }

  /** Everything that decides this layer's routing, as a cache key. */
  key(layer: number): string {
    const b = this.extraBias?.[layer];
    return `${this.policy.spec}|${JSON.stringify(interventionsAt(layer, this.interventions))}|${b ? Array.from(b).join(',') : ''}`;
  }

  skips(layer: number): boolean {
    return interventionsAt(layer, this.interventions).some((iv) => iv.kind === 'skip');
  }

  /** How many times the MoE block runs (Chain-of-Experts `repeat`), 1 by default. */
  repeats(layer: number): number {
    const r = interventionsAt(layer, this.interventions).filter((iv) => iv.kind === 'repeat');
    return r.length ? Math.max(0, Math.round(r[r.length - 1].params.n ?? 1)) : 1;
  }

  route(layer: number, rawLogits: Float32Array, T: number, E: number, ids: number[], positions: number[], moeIn: Float32Array): RoutedLayer {
    let logits = rawLogits;
    const extra = this.extraBias?.[layer];
    if (extra) {
      logits = rawLogits.slice();
      for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) logits[t * E + e] += extra[e];
    }
    const iv = applyLogitInterventions(logits, T, E, layer, this.interventions);
    const W = this.weights.weight(layer);
    const D = W.length / E;
    let routerWeights = W;
    let correctionBias = this.weights.correctionBias(layer);
    if (iv.E > E) {
      // Upcycled slots reuse their expert's router row (and selection bias).
      routerWeights = new Float32Array(iv.E * D);
      for (let s = 0; s < iv.E; s++) routerWeights.set(W.subarray(iv.slotToExpert[s] * D, (iv.slotToExpert[s] + 1) * D), s * D);
      const cb = correctionBias;
      if (cb) correctionBias = Float32Array.from({ length: iv.E }, (_, s) => cb[iv.slotToExpert[s]]);
    }
    const routed = this.policy.route({
      layer,
      T,
      E: iv.E,
      logits: iv.logits,
      tokenIds: Int32Array.from(ids),
      positions: Int32Array.from(positions),
      hidden: moeIn,
      D,
      routerWeights,
      ...(correctionBias ? { correctionBias } : {}),
    });
    const routing = iv.E > E ? foldSlots(routed, iv.slotToExpert, E) : routed;
    let shown = iv.logits;
    if (iv.E > E) {
      shown = new Float32Array(T * E);
      for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) shown[t * E + e] = iv.logits[t * iv.E + e];
    }
    return { routing, logits: shown, denseGates: denseGates(routing, E) };
  }
}
