// The playground MoE's parameters: router rows R [E × d] and one flat array per expert MLP
// (d → h → h → C, tanh), plus their seeded initialisation and expert upcycling.
import type { Rng } from '../routing/rng';

export interface MoeShape {
  /** experts */
  E: number;
  /** input width (2 for the plane) */
  d: number;
  /** hidden width of both hidden layers */
  h: number;
  /** classes */
  C: number;
}

export interface MoeParams extends MoeShape {
  /** router rows (router embeddings / k-means centroids), [E × d] row-major */
  R: Float64Array;
  /** per expert: W1 [h × d], b1 [h], W2 [h × h], b2 [h], W3 [C × h], b3 [C], concatenated */
  experts: Float64Array[];
}

/** Offsets of an expert's tensors in its flat array. */
export interface ExpertLayout {
  W1: number;
  b1: number;
  W2: number;
  b2: number;
  W3: number;
  b3: number;
  size: number;
}

export function expertLayout({ d, h, C }: MoeShape): ExpertLayout {
  const W1 = 0;
  const b1 = W1 + h * d;
  const W2 = b1 + h;
  const b2 = W2 + h * h;
  const W3 = b2 + h;
  const b3 = W3 + C * h;
  return { W1, b1, W2, b2, W3, b3, size: b3 + C };
}

/** Uniform weights scaled by √(3/fan-in), zero biases; router rows ~ N(0, 0.5²·2/d). */
export function initParams(shape: MoeShape, rng: Rng): MoeParams {
  const L = expertLayout(shape);
  const { E, d, h, C } = shape;
  const R = new Float64Array(E * d);
  // N(0, 0.5²) on the plane; scaled by √(2/d) for wider inputs so the scores keep their spread.
  const rs = 0.5 * Math.sqrt(2 / d);
  for (let i = 0; i < R.length; i++) R[i] = rs * rng.normal();
  const fill = (a: Float64Array, off: number, n: number, fanIn: number) => {
    const s = Math.sqrt(3 / fanIn);
    for (let i = 0; i < n; i++) a[off + i] = s * (2 * rng.next() - 1);
  };
  const experts = Array.from({ length: E }, () => {
    const w = new Float64Array(L.size);
    fill(w, L.W1, h * d, d);
    fill(w, L.W2, h * h, h);
    fill(w, L.W3, C * h, h);
    return w;
  });
  return { ...shape, R, experts };
}

export function cloneParams(p: MoeParams): MoeParams {
  return { ...p, R: p.R.slice(), experts: p.experts.map((w) => w.slice()) };
}

/** Zero arrays shaped like p (for gradients and optimiser moments). */
export function zerosLike(p: MoeParams): MoeParams {
  return {
    ...p,
    R: new Float64Array(p.R.length),
    experts: p.experts.map((w) => new Float64Array(w.length)),
  };
}

/** Every tensor of p, in a fixed order (router first), for the optimiser. */
export const tensors = (p: MoeParams): Float64Array[] => [p.R, ...p.experts];

/**
 * Expert upcycling: every expert is copied (E → 2E, copy of expert i is expert E + i) and the
 * router is extended with a copy of each row, nudged by N(0, jitter²) so the twins can part: with
 * identical rows a tie always goes to the lower index and a copy would never be picked.
 */
export function upcycleParams(p: MoeParams, rng: Rng, jitter = 0.05): MoeParams {
  const { E, d } = p;
  const R = new Float64Array(2 * E * d);
  R.set(p.R);
  for (let i = 0; i < E * d; i++) R[E * d + i] = p.R[i] + jitter * rng.normal();
  return {
    ...p,
    E: 2 * E,
    R,
    experts: [...p.experts.map((w) => w.slice()), ...p.experts.map((w) => w.slice())],
  };
}
