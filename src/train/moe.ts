// One MoE layer on the plane, forward and backward by hand: route each point, run its chosen
// experts (d → h → h → C MLPs, tanh), mix their logits by the gates, and return the total loss
// (task + α·aux or β·ERC) with its gradient for every parameter.
import type { Balance, RouterKind } from './config';
import { auxLoss, crossEntropy, ercLoss } from './losses';
import { expertLayout, zerosLike, type ExpertLayout, type MoeParams } from './params';
import {
  assign,
  balanceProbs,
  balanceToProbGrad,
  gateToProbGrad,
  hasRouterRows,
  isTokenChoice,
  probToRouterGrad,
  routerProbs,
  routerScores,
  type Assignment,
} from './routers';

export interface ForwardOptions {
  kind: RouterKind;
  k: number;
  capacity: number;
  renorm: boolean;
  balance: Balance;
  /** α, u or β (u is not a loss weight: the trainer applies it) */
  weight: number;
  /** router logit noise [T × E], or null */
  noise: Float64Array | null;
  /** loss-free bias [E] added to the scores for the choice only, or null */
  bias: Float64Array | null;
  /** ERC proxy noise δ [E × d] (null: none) */
  ercDelta: Float64Array | null;
  hashSeed: number;
}

export interface ForwardResult {
  /** total loss: task + α·aux (aux) or + β·ERC (erc) */
  loss: number;
  task: number;
  aux: number;
  erc: number;
  correct: number;
  /** router scores z [T × E] (null for hash) */
  z: Float64Array | null;
  /** router probabilities as balanced [T × E] (null for hash) */
  q: Float64Array | null;
  assignment: Assignment;
  /** mixed logits [T × C] */
  logits: Float64Array;
}

/** One expert on one point, keeping the activations for backward. */
function expertForward(
  w: Float64Array,
  L: ExpertLayout,
  x: Float64Array,
  xo: number,
  d: number,
  h: number,
  C: number,
  h1: Float64Array,
  h2: Float64Array,
  y: Float64Array,
): void {
  for (let r = 0; r < h; r++) {
    let s = w[L.b1 + r];
    for (let a = 0; a < d; a++) s += w[L.W1 + r * d + a] * x[xo + a];
    h1[r] = Math.tanh(s);
  }
  for (let r = 0; r < h; r++) {
    let s = w[L.b2 + r];
    for (let a = 0; a < h; a++) s += w[L.W2 + r * h + a] * h1[a];
    h2[r] = Math.tanh(s);
  }
  for (let c = 0; c < C; c++) {
    let s = w[L.b3 + c];
    for (let a = 0; a < h; a++) s += w[L.W3 + c * h + a] * h2[a];
    y[c] = s;
  }
}

/** Backward of expertForward given dL/dy; adds into dw. */
function expertBackward(
  w: Float64Array,
  dw: Float64Array,
  L: ExpertLayout,
  x: Float64Array,
  xo: number,
  d: number,
  h: number,
  C: number,
  h1: Float64Array,
  h2: Float64Array,
  dy: Float64Array,
  tmp1: Float64Array,
  tmp2: Float64Array,
): void {
  tmp2.fill(0);
  for (let c = 0; c < C; c++) {
    const g = dy[c];
    dw[L.b3 + c] += g;
    for (let a = 0; a < h; a++) {
      dw[L.W3 + c * h + a] += g * h2[a];
      tmp2[a] += g * w[L.W3 + c * h + a];
    }
  }
  tmp1.fill(0);
  for (let r = 0; r < h; r++) {
    const g = tmp2[r] * (1 - h2[r] * h2[r]);
    dw[L.b2 + r] += g;
    for (let a = 0; a < h; a++) {
      dw[L.W2 + r * h + a] += g * h1[a];
      tmp1[a] += g * w[L.W2 + r * h + a];
    }
  }
  for (let r = 0; r < h; r++) {
    const g = tmp1[r] * (1 - h1[r] * h1[r]);
    dw[L.b1 + r] += g;
    for (let a = 0; a < d; a++) dw[L.W1 + r * d + a] += g * x[xo + a];
  }
}

/**
 * Route and run a batch x [T × d] with classes y. With `grads` the gradient of the total loss is
 * written into it (it must be zeros shaped like p); without, only the forward pass runs.
 */
export function forwardBackward(
  p: MoeParams,
  x: Float64Array,
  y: Int32Array,
  T: number,
  o: ForwardOptions,
  grads: MoeParams | null,
): ForwardResult {
  const { E, d, h, C } = p;
  const L = expertLayout(p);
  const routed = hasRouterRows(o.kind);
  const z = routed ? routerScores(o.kind, p.R, x, T, E, d, o.noise) : null;
  const probs = z ? routerProbs(o.kind, z, T, E) : null;
  const q = probs ? balanceProbs(o.kind, probs, T, E) : null;
  const a = assign(probs, x, T, E, {
    kind: o.kind,
    k: o.k,
    capacity: o.capacity,
    renorm: o.renorm,
    bias: o.bias,
    hashSeed: o.hashSeed,
    d,
  });
  const S = a.slots;

  // Experts on their kept assignments; logits mixed by the gates.
  const logits = new Float64Array(T * C);
  const acts: { h1: Float64Array; h2: Float64Array; y: Float64Array }[] = new Array(T * S);
  for (let t = 0; t < T; t++)
    for (let r = 0; r < S; r++) {
      const s = t * S + r;
      if (!a.kept[s]) continue;
      const act = { h1: new Float64Array(h), h2: new Float64Array(h), y: new Float64Array(C) };
      expertForward(p.experts[a.sel[s]], L, x, t * d, d, h, C, act.h1, act.h2, act.y);
      acts[s] = act;
      for (let c = 0; c < C; c++) logits[t * C + c] += a.gate[s] * act.y[c];
    }
  const ce = crossEntropy(logits, y, T, C);
  const useAux = o.balance === 'aux' && q !== null && isTokenChoice(o.kind);
  const aux = useAux ? auxLoss(q, a.counts, T, E) : null;
  const useErc = o.balance === 'erc' && routed;
  const erc = useErc ? ercLoss(p, o.ercDelta, grads?.R ?? null, grads?.experts ?? null) : null;
  // ercLoss added its unweighted gradient; scale it by β below, before anything else is added.
  if (grads && erc && o.weight !== 1) {
    for (let i = 0; i < grads.R.length; i++) grads.R[i] *= o.weight;
    for (const g of grads.experts) for (let i = 0; i < g.length; i++) g[i] *= o.weight;
  }
  const result: ForwardResult = {
    loss: ce.loss + (aux ? o.weight * aux.loss : 0) + (erc ? o.weight * erc.loss : 0),
    task: ce.loss,
    aux: aux?.loss ?? 0,
    erc: erc?.loss ?? 0,
    correct: ce.correct,
    z,
    q,
    assignment: a,
    logits,
  };
  if (!grads) return result;

  const dgate = new Float64Array(T * S);
  const dy = new Float64Array(C);
  const tmp1 = new Float64Array(h);
  const tmp2 = new Float64Array(h);
  for (let t = 0; t < T; t++)
    for (let r = 0; r < S; r++) {
      const s = t * S + r;
      if (!a.kept[s]) continue;
      const act = acts[s];
      let dg = 0;
      for (let c = 0; c < C; c++) {
        const g = ce.grad[t * C + c];
        dg += g * act.y[c];
        dy[c] = g * a.gate[s];
      }
      dgate[s] = dg;
      expertBackward(
        p.experts[a.sel[s]],
        grads.experts[a.sel[s]],
        L,
        x,
        t * d,
        d,
        h,
        C,
        act.h1,
        act.h2,
        dy,
        tmp1,
        tmp2,
      );
    }
  if (probs && z) {
    const dp = gateToProbGrad(a, probs, dgate, T, E, o.kind, o.renorm);
    if (aux && q) {
      const dq = aux.grad;
      for (let i = 0; i < dq.length; i++) dq[i] *= o.weight;
      balanceToProbGrad(o.kind, probs, q, dq, dp, T, E);
    }
    probToRouterGrad(o.kind, p.R, x, probs, dp, T, E, d, grads.R);
  }
  return result;
}

/** Zero gradients for p. */
export const newGrads = (p: MoeParams): MoeParams => zerosLike(p);
