// The playground's losses, each with its gradient: the task's cross-entropy, the auxiliary
// load-balancing loss (Switch Transformer, HF `load_balancing_loss_func` form) and the
// expert–router coupling loss (ERC, Lv et al. 2025).
import type { MoeParams } from './params';
import { expertLayout } from './params';

/** Mean cross-entropy of logits o [T × C] against classes y, and dL/do. */
export function crossEntropy(
  o: Float64Array,
  y: Int32Array,
  T: number,
  C: number,
): { loss: number; grad: Float64Array; correct: number } {
  const grad = new Float64Array(T * C);
  let loss = 0;
  let correct = 0;
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++)
      if (o[t * C + c] > m) {
        m = o[t * C + c];
        arg = c;
      }
    if (arg === y[t]) correct++;
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(o[t * C + c] - m);
    loss += m + Math.log(s) - o[t * C + y[t]];
    for (let c = 0; c < C; c++)
      grad[t * C + c] = (Math.exp(o[t * C + c] - m) / s - (c === y[t] ? 1 : 0)) / T;
  }
  return { loss: loss / T, grad, correct };
}

/**
 * Auxiliary load-balancing loss E · Σ_i f_i · P_i with f_i = (assignments to i) / T (constant, no
 * gradient) and P_i = mean over tokens of q_i (the router's distribution). Its minimum, k when the
 * load is even (1 at k = 1), is reached by spreading q; dL/dq[t, i] = E · f_i / T.
 */
export function auxLoss(
  q: Float64Array,
  counts: Float64Array,
  T: number,
  E: number,
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(T * E);
  let loss = 0;
  for (let i = 0; i < E; i++) {
    const f = counts[i] / T;
    let P = 0;
    for (let t = 0; t < T; t++) P += q[t * E + i];
    loss += f * (P / T);
    for (let t = 0; t < T; t++) grad[t * E + i] = (E * f) / T;
  }
  return { loss: E * loss, grad };
}

/** The ERC margin α: proxy i must excite its own expert more than 1/α times any other (and vice versa). */
export const ERC_MARGIN = 0.5;

/**
 * ERC loss. Proxy token i is router row R_i scaled element-wise by δ_i (bounded noise, drawn by
 * the caller; all ones for none). M[i, j] = ‖W1_j · R̃_i‖, the norm of expert j's first-layer
 * pre-activation on proxy i. Loss (1/E²) Σ_i Σ_{j≠i} [max(M[i,j] − α·M[i,i], 0) + max(M[j,i] − α·M[i,i], 0)],
 * with its gradient in dR [E × d] and the experts' W1 (added into dExperts).
 */
export function ercLoss(
  p: MoeParams,
  delta: Float64Array | null,
  dR: Float64Array | null,
  dExperts: Float64Array[] | null,
  margin = ERC_MARGIN,
): { loss: number; M: Float64Array } {
  const { E, d, h } = p;
  const L = expertLayout(p);
  const Rt = new Float64Array(E * d);
  for (let i = 0; i < E * d; i++) Rt[i] = p.R[i] * (delta ? delta[i] : 1);
  const U = new Float64Array(E * E * h); // U[i, j] = W1_j · R̃_i
  const M = new Float64Array(E * E);
  for (let i = 0; i < E; i++)
    for (let j = 0; j < E; j++) {
      const w = p.experts[j];
      let n2 = 0;
      for (let r = 0; r < h; r++) {
        let s = 0;
        for (let a = 0; a < d; a++) s += w[L.W1 + r * d + a] * Rt[i * d + a];
        U[(i * E + j) * h + r] = s;
        n2 += s * s;
      }
      M[i * E + j] = Math.sqrt(n2);
    }
  let loss = 0;
  const dM = new Float64Array(E * E);
  const scale = 1 / (E * E);
  const hinge = (off: number, diag: number) => {
    const v = M[off] - margin * M[diag];
    if (v <= 0) return;
    loss += v * scale;
    dM[off] += scale;
    dM[diag] -= margin * scale;
  };
  for (let i = 0; i < E; i++)
    for (let j = 0; j < E; j++) {
      if (j === i) continue;
      hinge(i * E + j, i * E + i);
      hinge(j * E + i, i * E + i);
    }
  if (dR && dExperts)
    for (let i = 0; i < E; i++)
      for (let j = 0; j < E; j++) {
        const g = dM[i * E + j];
        const m = M[i * E + j];
        if (g === 0 || m === 0) continue;
        const w = p.experts[j];
        const dw = dExperts[j];
        for (let r = 0; r < h; r++) {
          const u = (g * U[(i * E + j) * h + r]) / m;
          for (let a = 0; a < d; a++) {
            dw[L.W1 + r * d + a] += u * Rt[i * d + a];
            dR[i * d + a] += u * w[L.W1 + r * d + a] * (delta ? delta[i * d + a] : 1);
          }
        }
      }
  return { loss, M };
}

/**
 * ε_i = min_{j≠i} ‖R_i − R_j‖ / (2‖R_i‖), the noise radius that keeps proxy i in its own cluster
 * (0 for a single expert or a zero row).
 */
export function ercRadii(R: Float64Array, E: number, d: number): Float64Array {
  const eps = new Float64Array(E);
  for (let i = 0; i < E; i++) {
    let ni = 0;
    for (let a = 0; a < d; a++) ni += R[i * d + a] ** 2;
    let best = Infinity;
    for (let j = 0; j < E; j++) {
      if (j === i) continue;
      let s = 0;
      for (let a = 0; a < d; a++) s += (R[i * d + a] - R[j * d + a]) ** 2;
      best = Math.min(best, Math.sqrt(s));
    }
    eps[i] = ni > 0 && Number.isFinite(best) ? best / (2 * Math.sqrt(ni)) : 0;
  }
  return eps;
}
