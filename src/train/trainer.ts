// A training run of the playground MoE: seeded batches, one optimiser step at a time, loss-free
// bias updates, upcycling, the per-step statistics the plots draw, and the decision regions.
import { createRng, mixSeed, type Rng } from '../routing/rng';
import type { TrainConfig } from './config';
import { TASK_CLASSES, TASK_DIMS, VOCAB, gridPoints, oneHot, sampleBatch } from './data';
import type { LayerEvent } from '../routing/run';
import { ercLoss, ercRadii } from './losses';
import { forwardBackward, newGrads, type ForwardOptions } from './moe';
import { createOptimizer, type Optimizer } from './optim';
import { cloneParams, initParams, tensors, upcycleParams, type MoeParams } from './params';
import { hasRouterRows } from './routers';

export interface StepStats {
  step: number;
  /** total loss (task + weighted balance term) */
  loss: number;
  task: number;
  aux: number;
  erc: number;
  /** fraction of the batch classified right */
  accuracy: number;
  /** share of the assignments each expert was chosen for (before capacity), [E], sums to 1 */
  load: number[];
  /** (max load − mean load) / mean load (Wang et al. 2024) */
  maxVio: number;
  /** mean routing entropy per token, nats (0 for hash routing) */
  entropy: number;
  /** share of assignments dropped by capacity; for expert choice, of tokens no expert took */
  dropped: number;
}

/** MaxVio of expert counts: (max − mean) / mean; 0 when nothing was routed. */
export function maxVio(counts: ArrayLike<number>): number {
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i];
    max = Math.max(max, counts[i]);
  }
  const mean = sum / counts.length;
  return mean > 0 ? (max - mean) / mean : 0;
}

/** Upcycling stops doubling beyond this many experts. */
export const MAX_UPCYCLED_EXPERTS = 32;

export class Trainer {
  readonly config: TrainConfig;
  params: MoeParams;
  /** loss-free balancing bias [E] (DeepSeek-V3 / Wang et al. 2024); zeros unless balance = lossfree */
  bias: Float64Array;
  step = 0;
  upcycles = 0;
  private opt: Optimizer;
  private data: Rng;
  private noise: Rng;
  private ercRng: Rng;

  constructor(config: TrainConfig) {
    this.config = { ...config };
    const C = TASK_CLASSES[config.task];
    this.params = initParams(
      { E: config.experts, d: TASK_DIMS[config.task], h: config.width, C },
      createRng(mixSeed(config.seed, 1)),
    );
    this.bias = new Float64Array(config.experts);
    this.data = createRng(mixSeed(config.seed, 2));
    this.noise = createRng(mixSeed(config.seed, 3));
    this.ercRng = createRng(mixSeed(config.seed, 4));
    this.opt = this.newOptimizer();
  }

  private newOptimizer(): Optimizer {
    return createOptimizer(
      this.config.optimiser,
      this.config.lr,
      tensors(this.params).map((t) => t.length),
    );
  }

  get experts(): number {
    return this.params.E;
  }

  private options(T: number, training: boolean): ForwardOptions {
    const c = this.config;
    const E = this.params.E;
    let noise: Float64Array | null = null;
    if (training && c.noise > 0 && hasRouterRows(c.router)) {
      noise = new Float64Array(T * E);
      for (let i = 0; i < noise.length; i++) noise[i] = c.noise * this.noise.normal();
    }
    let ercDelta: Float64Array | null = null;
    if (training && c.balance === 'erc') {
      const d = this.params.d;
      const eps = ercRadii(this.params.R, E, d);
      ercDelta = new Float64Array(E * d);
      for (let i = 0; i < ercDelta.length; i++)
        ercDelta[i] = 1 + eps[Math.floor(i / d)] * (2 * this.ercRng.next() - 1);
    }
    return {
      kind: c.router,
      k: Math.min(c.topk, E),
      capacity: c.capacity,
      renorm: c.renorm,
      balance: c.balance,
      weight: c.weight,
      noise,
      bias: c.balance === 'lossfree' ? this.bias : null,
      ercDelta,
      hashSeed: c.seed,
    };
  }

  /** One optimiser step on a fresh batch; returns what it measured. */
  train(): StepStats {
    const c = this.config;
    if (c.upcycleAt > 0 && this.step === c.upcycleAt && this.upcycles === 0) this.upcycle();
    const T = c.batch;
    const E = this.params.E;
    const { x, y } = sampleBatch(c.task, T, this.data);
    const grads = newGrads(this.params);
    const r = forwardBackward(this.params, x, y, T, this.options(T, true), grads);
    this.opt.step(tensors(this.params), tensors(grads));
    const counts = r.assignment.counts;
    if (c.balance === 'lossfree') {
      // b_i += u · sign(mean load − load_i): under-loaded experts become more likely to be chosen.
      const mean = counts.reduce((a, b) => a + b, 0) / E;
      for (let i = 0; i < E; i++) this.bias[i] += c.weight * Math.sign(mean - counts[i]);
    }
    this.step++;
    const total = counts.reduce((a, b) => a + b, 0);
    let entropy = 0;
    if (r.q) {
      for (let i = 0; i < r.q.length; i++) if (r.q[i] > 0) entropy -= r.q[i] * Math.log(r.q[i]);
      entropy /= T;
    }
    return {
      step: this.step,
      loss: r.loss,
      task: r.task,
      aux: r.aux,
      erc: r.erc,
      accuracy: r.correct / T,
      load: Array.from(counts, (v) => (total ? v / total : 0)),
      maxVio: maxVio(counts),
      entropy,
      dropped:
        c.router === 'expert-choice'
          ? r.assignment.unrouted / T
          : r.assignment.dropped / (T * r.assignment.slots),
    };
  }

  /**
   * Duplicate every expert and router row (Expert Upcycling): E → 2E. The optimiser starts
   * afresh (its moments were per expert) and the loss-free bias is copied with the experts.
   * False (nothing done) when 2E would pass MAX_UPCYCLED_EXPERTS.
   */
  upcycle(): boolean {
    if (this.params.E * 2 > MAX_UPCYCLED_EXPERTS) return false;
    this.upcycles++;
    this.params = upcycleParams(
      this.params,
      createRng(mixSeed(this.config.seed, 5, this.upcycles)),
    );
    const b = new Float64Array(this.params.E);
    b.set(this.bias);
    b.set(this.bias, this.bias.length);
    this.bias = b;
    this.opt = this.newOptimizer();
    return true;
  }

  /**
   * The plane on a G × G grid (row-major from the top-left): the expert each point's top choice
   * goes to (no noise, no capacity; expert choice shows its per-token argmax) and the class predicted.
   */
  regions(G: number): { experts: Int32Array; classes: Int32Array } {
    return this.routeInputs(gridPoints(G), G * G);
  }

  /**
   * The sequence task's counterpart of the regions: for every token of the vocabulary, the expert
   * its top choice goes to and the next token predicted.
   */
  tokenRouting(): { experts: Int32Array; classes: Int32Array } {
    return this.routeInputs(oneHot(Array.from({ length: VOCAB }, (_, v) => v)), VOCAB);
  }

  private routeInputs(x: Float64Array, n: number): { experts: Int32Array; classes: Int32Array } {
    const c = this.config;
    const o = this.options(n, false);
    if (c.router === 'expert-choice') o.kind = 'softmax';
    o.capacity = 0;
    const r = forwardBackward(this.params, x, new Int32Array(n), n, o, null);
    const C = this.params.C;
    const classes = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      let best = 0;
      for (let k = 1; k < C; k++) if (r.logits[t * C + k] > r.logits[t * C + best]) best = k;
      classes[t] = best;
    }
    const S = r.assignment.slots;
    const experts = new Int32Array(n);
    for (let t = 0; t < n; t++) experts[t] = r.assignment.sel[t * S];
    return { experts, classes };
  }

  /**
   * The sequence task's tokens `seq` as the lab's routing views see a layer: one MoE layer's event
   * (scores, probabilities, chosen experts and gates, dropped tokens; expert output norms are not
   * measured here and left 0) and each token's loss on its successor (nats, [T − 1]).
   */
  routeSequence(seq: readonly number[]): { event: LayerEvent; loss: number[] } {
    const T = seq.length;
    const E = this.params.E;
    const C = this.params.C;
    const o = this.options(T, false);
    const y = new Int32Array(T);
    for (let t = 0; t + 1 < T; t++) y[t] = seq[t + 1];
    const r = forwardBackward(this.params, oneHot(seq), y, T, o, null);
    const a = r.assignment;
    const selected: number[][] = [];
    const gates: number[][] = [];
    const dropped = new Uint8Array(T);
    for (let t = 0; t < T; t++) {
      const sel: number[] = [];
      const g: number[] = [];
      for (let s = 0; s < a.slots; s++)
        if (a.kept[t * a.slots + s]) {
          sel.push(a.sel[t * a.slots + s]);
          g.push(a.gate[t * a.slots + s]);
        }
      // best first, as the lab's traces list them
      const order = sel.map((_, i) => i).sort((i, j) => g[j] - g[i] || sel[i] - sel[j]);
      selected.push(order.map((i) => sel[i]));
      gates.push(order.map((i) => g[i]));
      if (sel.length === 0) dropped[t] = 1;
    }
    const loss: number[] = [];
    for (let t = 0; t + 1 < T; t++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, r.logits[t * C + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(r.logits[t * C + c] - m);
      loss.push(m + Math.log(s) - r.logits[t * C + y[t]]);
    }
    const event: LayerEvent = {
      layer: 0,
      kind: 'moe',
      T,
      E,
      routerLogits: Float32Array.from(r.z ?? new Float64Array(T * E)),
      probs: Float32Array.from(r.q ?? new Float64Array(T * E).fill(1 / E)),
      selected,
      gates,
      expertNorms: new Float32Array(T * E),
      dropped,
    };
    return { event, loss };
  }

  /** ERC's matrix M [E × E] on the clean router rows (proxy i × expert j); empty for hash routing. */
  coupling(): Float64Array {
    if (!hasRouterRows(this.config.router)) return new Float64Array(0);
    return ercLoss(this.params, null, null, null).M;
  }

  /** A copy of the parameters (for tests). */
  snapshotParams(): MoeParams {
    return cloneParams(this.params);
  }
}
