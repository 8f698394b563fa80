// The playground's routers on a batch: scores z [T × E], probabilities p [T × E], the chosen
// (token, expert, gate) assignments with capacity, and the backward pass from the gates (and any
// gradient on p) to the router rows R [E × d].
import type { RouterKind } from './config';

/** Temperature of the k-means router: z_i = −‖x − R_i‖² / τ. */
export const KMEANS_TAU = 0.1;
/** Side of the grid whose cells the hash router hashes (the 2-D stand-in for a token id). */
export const HASH_CELLS = 6;

export const isTokenChoice = (k: RouterKind) =>
  k === 'softmax' || k === 'sigmoid' || k === 'kmeans';
/** Routers with learned rows (all but hash): they have logits, probabilities and ERC proxies. */
export const hasRouterRows = (k: RouterKind) => k !== 'hash';

/** z [T × E]: R·x (softmax, sigmoid, expert choice) or −‖x − R_i‖²/τ (k-means); `noise` [T × E] is added. */
export function routerScores(
  kind: RouterKind,
  R: Float64Array,
  x: Float64Array,
  T: number,
  E: number,
  d: number,
  noise: Float64Array | null,
): Float64Array {
  const z = new Float64Array(T * E);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < E; i++) {
      let s = 0;
      if (kind === 'kmeans')
        for (let a = 0; a < d; a++) {
          const u = x[t * d + a] - R[i * d + a];
          s -= (u * u) / KMEANS_TAU;
        }
      else for (let a = 0; a < d; a++) s += R[i * d + a] * x[t * d + a];
      z[t * E + i] = s + (noise ? noise[t * E + i] : 0);
    }
  return z;
}

/** p [T × E]: a softmax over experts per token, or an independent sigmoid per expert (sigmoid router). */
export function routerProbs(kind: RouterKind, z: Float64Array, T: number, E: number): Float64Array {
  const p = new Float64Array(T * E);
  if (kind === 'sigmoid') {
    for (let i = 0; i < z.length; i++) p[i] = 1 / (1 + Math.exp(-z[i]));
    return p;
  }
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let i = 0; i < E; i++) m = Math.max(m, z[t * E + i]);
    let s = 0;
    for (let i = 0; i < E; i++) s += p[t * E + i] = Math.exp(z[t * E + i] - m);
    for (let i = 0; i < E; i++) p[t * E + i] /= s;
  }
  return p;
}

/** The distribution over experts the balance loss and the entropy use: p itself, or s/Σs for sigmoid. */
export function balanceProbs(
  kind: RouterKind,
  p: Float64Array,
  T: number,
  E: number,
): Float64Array {
  if (kind !== 'sigmoid') return p;
  const q = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = 0; i < E; i++) s += p[t * E + i];
    for (let i = 0; i < E; i++) q[t * E + i] = p[t * E + i] / s;
  }
  return q;
}

/** Routing of a batch: `sel` [T × k] experts chosen per token (−1: none, expert choice), `gate` [T × k], `kept` [T × k]. */
export interface Assignment {
  /** token-major slots; for expert choice, slot r of token t is the r-th expert that picked t (up to E) */
  sel: Int32Array;
  gate: Float64Array;
  kept: Uint8Array;
  /** slots per token (k, or E for expert choice) */
  slots: number;
  /** per expert: assignments chosen before capacity (the load) */
  counts: Float64Array;
  /** assignments dropped by the capacity limit */
  dropped: number;
  /** tokens that no expert processed */
  unrouted: number;
}

/** ⌈cf·k·T/E⌉, or Infinity when cf = 0 (no limit). */
export const expertCapacity = (cf: number, k: number, T: number, E: number) =>
  cf > 0 ? Math.ceil((cf * k * T) / E) : Infinity;

/** A 32-bit mix of integers (FNV-1a + xorshift), for the hash router. */
function hash32(a: number, b: number): number {
  let h = 0x811c9dc5 ^ a;
  h = Math.imul(h, 0x01000193) >>> 0;
  h ^= b;
  h = Math.imul(h, 0x01000193) >>> 0;
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

/**
 * What the hash router hashes for input t of x [T × d]: the grid cell of a point of the plane
 * (d = 2), or the token id of a one-hot input (the index of its largest entry).
 */
export function hashKey(x: Float64Array, t: number, d: number): number {
  if (d === 2) {
    const cell = (v: number) =>
      Math.min(HASH_CELLS - 1, Math.max(0, Math.floor(((v + 1) / 2) * HASH_CELLS)));
    return cell(x[2 * t]) * HASH_CELLS + cell(x[2 * t + 1]);
  }
  let best = 0;
  for (let a = 1; a < d; a++) if (x[t * d + a] > x[t * d + best]) best = a;
  return best;
}

/** The hash router's experts for a key: k distinct experts from its hash. */
export function hashExperts(key: number, k: number, E: number, seed: number): number[] {
  const start = hash32(seed, key) % E;
  return Array.from({ length: k }, (_, r) => (start + r) % E);
}

export interface AssignOptions {
  kind: RouterKind;
  k: number;
  capacity: number;
  renorm: boolean;
  /** loss-free balancing bias, added to the scores for the choice only (token-choice routers) */
  bias: Float64Array | null;
  hashSeed: number;
  /** input width (what the hash router hashes depends on it) */
  d: number;
}

/**
 * Choose experts. Token choice: each token's top-k of p + bias (ties to the lower index), gates p
 * (or p over the chosen set's sum with `renorm`), then each expert keeps its first ⌈cf·k·T/E⌉
 * assignments, first choices of all tokens before second choices (GShard). Expert choice: each
 * expert takes its top-c tokens by p, c = ⌈cf·k·T/E⌉ (cf = 0 counts as 1), gate p. Hash: the
 * cell's experts, gate 1/k, then capacity.
 */
export function assign(
  p: Float64Array | null,
  x: Float64Array,
  T: number,
  E: number,
  o: AssignOptions,
): Assignment {
  const { kind, k } = o;
  const counts = new Float64Array(E);
  if (kind === 'expert-choice') {
    const c = Math.min(T, Math.ceil(((o.capacity > 0 ? o.capacity : 1) * k * T) / E));
    const sel = new Int32Array(T * E).fill(-1);
    const gate = new Float64Array(T * E);
    const kept = new Uint8Array(T * E);
    const order = Array.from({ length: T }, (_, t) => t);
    for (let e = 0; e < E; e++) {
      order.sort((a, b) => p![b * E + e] - p![a * E + e] || a - b);
      for (let j = 0; j < c; j++) {
        const t = order[j];
        // Slot e of token t: the slot index is the expert, so a token's slots stay in expert order.
        sel[t * E + e] = e;
        gate[t * E + e] = p![t * E + e];
        kept[t * E + e] = 1;
      }
      counts[e] = c;
    }
    let unrouted = 0;
    for (let t = 0; t < T; t++) if (!kept.subarray(t * E, t * E + E).some((v) => v)) unrouted++;
    return { sel, gate, kept, slots: E, counts, dropped: 0, unrouted };
  }
  const sel = new Int32Array(T * k);
  const gate = new Float64Array(T * k);
  for (let t = 0; t < T; t++) {
    if (kind === 'hash') {
      hashExperts(hashKey(x, t, o.d), k, E, o.hashSeed).forEach((e, r) => {
        sel[t * k + r] = e;
        gate[t * k + r] = 1 / k;
      });
      continue;
    }
    const used = new Uint8Array(E);
    let sum = 0;
    for (let r = 0; r < k; r++) {
      let best = -1;
      let bv = -Infinity;
      for (let i = 0; i < E; i++) {
        if (used[i]) continue;
        const v = p![t * E + i] + (o.bias ? o.bias[i] : 0);
        if (v > bv) {
          bv = v;
          best = i;
        }
      }
      used[best] = 1;
      sel[t * k + r] = best;
      gate[t * k + r] = p![t * E + best];
      sum += p![t * E + best];
    }
    if (o.renorm) for (let r = 0; r < k; r++) gate[t * k + r] /= sum;
  }
  const cap = expertCapacity(o.capacity, k, T, E);
  const kept = new Uint8Array(T * k);
  let dropped = 0;
  for (let r = 0; r < k; r++)
    for (let t = 0; t < T; t++) {
      const e = sel[t * k + r];
      if (counts[e] < cap) kept[t * k + r] = 1;
      else dropped++;
      counts[e]++;
    }
  let unrouted = 0;
  for (let t = 0; t < T; t++) if (!kept.subarray(t * k, t * k + k).some((v) => v)) unrouted++;
  return { sel, gate, kept, slots: k, counts, dropped, unrouted };
}

/** dL/dp [T × E] from dL/dgate [T × slots] (kept slots only carry a gradient). */
export function gateToProbGrad(
  a: Assignment,
  p: Float64Array,
  dgate: Float64Array,
  T: number,
  E: number,
  kind: RouterKind,
  renorm: boolean,
): Float64Array {
  const dp = new Float64Array(T * E);
  if (kind === 'hash') return dp;
  const S = a.slots;
  for (let t = 0; t < T; t++) {
    if (kind === 'expert-choice' || !renorm) {
      for (let r = 0; r < S; r++)
        if (a.sel[t * S + r] >= 0) dp[t * E + a.sel[t * S + r]] += dgate[t * S + r];
      continue;
    }
    // g_j = p_j / Σ_sel p  ⇒  ∂L/∂p_j = (∂L/∂g_j − Σ_i g_i ∂L/∂g_i) / Σ_sel p
    let sum = 0;
    let dot = 0;
    for (let r = 0; r < S; r++) {
      sum += p[t * E + a.sel[t * S + r]];
      dot += a.gate[t * S + r] * dgate[t * S + r];
    }
    for (let r = 0; r < S; r++) dp[t * E + a.sel[t * S + r]] += (dgate[t * S + r] - dot) / sum;
  }
  return dp;
}

/** dL/dp from dL/dq where q = balanceProbs(p): identity, or through s/Σs for sigmoid (adds into dp). */
export function balanceToProbGrad(
  kind: RouterKind,
  p: Float64Array,
  q: Float64Array,
  dq: Float64Array,
  dp: Float64Array,
  T: number,
  E: number,
): void {
  for (let t = 0; t < T; t++) {
    if (kind !== 'sigmoid') {
      for (let i = 0; i < E; i++) dp[t * E + i] += dq[t * E + i];
      continue;
    }
    let s = 0;
    let dot = 0;
    for (let i = 0; i < E; i++) {
      s += p[t * E + i];
      dot += q[t * E + i] * dq[t * E + i];
    }
    for (let i = 0; i < E; i++) dp[t * E + i] += (dq[t * E + i] - dot) / s;
  }
}

/** dL/dR [E × d] (added into dR) from dL/dp, through p(z) and z(R). */
export function probToRouterGrad(
  kind: RouterKind,
  R: Float64Array,
  x: Float64Array,
  p: Float64Array,
  dp: Float64Array,
  T: number,
  E: number,
  d: number,
  dR: Float64Array,
): void {
  const dz = new Float64Array(E);
  for (let t = 0; t < T; t++) {
    if (kind === 'sigmoid')
      for (let i = 0; i < E; i++) dz[i] = dp[t * E + i] * p[t * E + i] * (1 - p[t * E + i]);
    else {
      let dot = 0;
      for (let i = 0; i < E; i++) dot += p[t * E + i] * dp[t * E + i];
      for (let i = 0; i < E; i++) dz[i] = p[t * E + i] * (dp[t * E + i] - dot);
    }
    for (let i = 0; i < E; i++) {
      if (dz[i] === 0) continue;
      for (let a = 0; a < d; a++)
        dR[i * d + a] +=
          kind === 'kmeans'
            ? (dz[i] * 2 * (x[t * d + a] - R[i * d + a])) / KMEANS_TAU
            : dz[i] * x[t * d + a];
    }
  }
}
