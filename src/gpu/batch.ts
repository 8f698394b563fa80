// Batched forward for corpus-scale runs: B sequences at once, right-padded to the longest, one ORT
// call per graph per layer ([B × T × D]). The graphs are causal, so padding after a sequence never
// changes its positions; padded rows get all-zero gates, which the routed MoE graph skips.
// Routing runs per sequence (the policy sees exactly what Engine.forward would show it for that
// sequence alone), so the events equal B separate forwards. Policies that learn across calls
// (kmeans, balance-bias) and Chain-of-Experts repeats go one sequence at a time.
import { Cancelled, denseEvent, eventOf, type Engine } from './engine';
import { LayerRouter } from './layerRouter';
import type { Intervention, RouterPolicy } from '../routing/types';
import type { LayerEvent } from '../routing/run';
import { tokenLosses, tokenLossesFromLogProbs } from '../routing/logits';

export interface BatchRequest {
  /** [B][T_b] token ids; every sequence non-empty and within the model's context */
  seqs: number[][];
  router: RouterPolicy;
  interventions: Intervention[];
  /** also run the head for the per-token losses (ablation); routing alone does not need it */
  loss?: boolean;
  signal?: { aborted: boolean };
}

export interface BatchResult {
  /** [B][L] each sequence's layer events, as Engine.forward gives them */
  events: LayerEvent[][];
  /** [B][T_b − 1] per-token NLL in nats, with `loss` */
  loss?: number[][];
  /** true when the sequences went through the graphs together (false: one by one) */
  batched: boolean;
}

/** Whether this routing can run batched (see the file comment). */
export function batchable(router: LayerRouter, numLayers: number): boolean {
  if (router.stateful) return false;
  for (let l = 0; l < numLayers; l++) if (!router.skips(l) && router.repeats(l) !== 1) return false;
  return true;
}

export async function forwardBatch(engine: Engine, req: BatchRequest): Promise<BatchResult> {
  const { seqs } = req;
  const m = engine.manifest;
  const L = m.numLayers;
  const V = engine.V;
  const router = new LayerRouter(req.router, req.interventions, engine.routerWeights);
  for (const s of seqs)
    if (s.length === 0 || s.length > m.maxContext)
      throw new Error(`batch: a sequence has ${s.length} tokens (1..${m.maxContext})`);
  if (seqs.length <= 1 || !batchable(router, L)) {
    const events: LayerEvent[][] = [];
    const loss: number[][] = [];
    for (const ids of seqs) {
      if (req.signal?.aborted) throw new Cancelled();
      const r = await engine.forward({
        ids,
        router: req.router,
        interventions: req.interventions,
        slot: 'batch',
        signal: req.signal,
      });
      events.push(r.events);
      if (req.loss)
        loss.push(
          r.logProbs ? tokenLossesFromLogProbs(r.logProbs, V, ids) : tokenLosses(r.logits, V, ids),
        );
    }
    return { events, ...(req.loss ? { loss } : {}), batched: false };
  }
  const B = seqs.length;
  const Tm = Math.max(...seqs.map((s) => s.length));
  const D = engine.D;
  const padded = new Array<number>(B * Tm).fill(m.eosTokenId ?? 0);
  seqs.forEach((s, b) => s.forEach((id, t) => (padded[b * Tm + t] = id)));
  let hidden = await engine.embedIds(padded, B);
  const events: LayerEvent[][] = seqs.map(() => []);
  for (let l = 0; l < L; l++) {
    if (req.signal?.aborted) throw new Cancelled();
    const spec = m.layers[l];
    const a = await engine.runAttn(l, hidden, Tm, 0, undefined, B);
    const h = a.mid.slice();
    const skipped = router.skips(l);
    if (spec.kind === 'dense') {
      if (!skipped) {
        const moe = await engine.runMoe(l, a.moeIn, new Float32Array(0), Tm, B);
        for (let i = 0; i < h.length; i++) h[i] += moe.out[i];
      }
      seqs.forEach((s, b) => events[b].push(denseEvent(l, s.length, skipped)));
    } else {
      const E = spec.numExperts;
      const gates = new Float32Array(B * Tm * E);
      const routed = seqs.map((ids, b) => {
        const T = ids.length;
        const positions = Array.from({ length: T }, (_, t) => t);
        const r = router.route(
          l,
          a.logits.subarray(b * Tm * E, (b * Tm + T) * E),
          T,
          E,
          ids,
          positions,
          a.moeIn.subarray(b * Tm * D, (b * Tm + T) * D),
        );
        gates.set(r.denseGates, b * Tm * E);
        return r;
      });
      let norms: Float32Array = new Float32Array(B * Tm * E);
      if (!skipped) {
        const moe = await engine.runMoe(l, a.moeIn, gates, Tm, B);
        for (let i = 0; i < h.length; i++) h[i] += moe.out[i];
        norms = moe.norms;
      }
      routed.forEach((r, b) => {
        const T = seqs[b].length;
        const e = eventOf(l, 'moe', r, norms.slice(b * Tm * E, (b * Tm + T) * E), skipped);
        if (skipped) {
          e.selected = e.selected.map(() => []);
          e.gates = e.gates.map(() => []);
        }
        events[b].push(e);
      });
    }
    hidden = h;
  }
  if (!req.loss) return { events, batched: true };
  // The head one sequence at a time: [T × V] log-probabilities of a large vocabulary add up fast.
  const loss: number[][] = [];
  for (let b = 0; b < B; b++) {
    const T = seqs[b].length;
    const r = await engine.runHeadWithLogProbs(hidden.slice(b * Tm * D, (b * Tm + T) * D), T);
    loss.push(
      r.logProbs
        ? tokenLossesFromLogProbs(r.logProbs, V, seqs[b])
        : tokenLosses(r.logits, V, seqs[b]),
    );
  }
  return { events, loss, batched: true };
}
