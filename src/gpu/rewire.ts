// Test-time rerouting ("Rewiring Experts on the Fly"): fit per-layer additive router-logit
// vectors to the context's own next-token loss. The engine has no backprop through ORT, so we use
// SPSA (Spall 1992): two forward passes per step estimate the gradient along a random ±1
// direction. Documented in the README; it is a gradient-free stand-in for the paper's updates.
import type { Intervention, RouterPolicy } from '../routing/types';
import { layerInRange } from '../routing/index';
import { tokenLosses, tokenLossesFromLogProbs } from '../routing/logits';
import { createRng } from '../routing/rng';
import { modelExperts } from '../models/manifest';
import type { Engine } from './engine';
import type { Progress } from './protocol';

export interface RewireFit {
  /** [L][E] fitted additive logit vectors (zero outside the intervention's layers) */
  bias: Float32Array[];
  before: number;
  after: number;
  steps: number;
}

export async function fitRewire(
  engine: Engine,
  ids: number[],
  policy: RouterPolicy,
  ivs: Intervention[],
  rw: Intervention,
  signal?: { aborted: boolean },
  onProgress?: (p: Progress) => void,
): Promise<RewireFit> {
  const m = engine.manifest;
  const layers = m.layers.map((_, l) => l).filter((l) => layerInRange(l, rw.layers));
  const E = modelExperts(m);
  const steps = Math.max(1, Math.round(rw.params.steps ?? 8));
  const lr = rw.params.lr ?? 0.5;
  const c = rw.params.c ?? 0.1;
  const rng = createRng(rw.params.seed ?? 0);
  const others = ivs.filter((iv) => iv.kind !== 'rewire');
  const theta = layers.map(() => new Float32Array(E));
  const toBias = (th: Float32Array[]) => m.layers.map((_, l) => (layers.includes(l) ? th[layers.indexOf(l)] : new Float32Array(E)));
  const loss = async (th: Float32Array[]) => {
    const r = await engine.forward({ ids, router: policy, interventions: others, slot: 'rewire', extraBias: toBias(th), signal });
    const ls = r.logProbs ? tokenLossesFromLogProbs(r.logProbs, engine.V, ids) : tokenLosses(r.logits, engine.V, ids);
    return ls.reduce((a, b) => a + b, 0) / Math.max(1, ls.length);
  };
  const before = await loss(theta);
  let best = { loss: before, theta: theta.map((t) => t.slice()) };
  for (let k = 0; k < steps; k++) {
    onProgress?.({ status: 'item', label: 'rewire', index: k + 1, count: steps });
    const ck = c / Math.pow(k + 1, 0.101);
    const ak = lr / Math.pow(k + 1, 0.602);
    const delta = theta.map(() => Float32Array.from({ length: E }, () => (rng.next() < 0.5 ? -1 : 1)));
    const plus = theta.map((t, i) => t.map((v, e) => v + ck * delta[i][e]));
    const minus = theta.map((t, i) => t.map((v, e) => v - ck * delta[i][e]));
    const g = ((await loss(plus)) - (await loss(minus))) / (2 * ck);
    theta.forEach((t, i) => t.forEach((v, e) => (t[e] = v - ak * g * delta[i][e])));
    const now = await loss(theta);
    if (now < best.loss) best = { loss: now, theta: theta.map((t) => t.slice()) };
  }
  return { bias: toBias(best.theta), before, after: best.loss, steps };
}
