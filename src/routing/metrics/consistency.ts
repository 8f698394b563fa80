// Local routing consistency (moe-lrc, "Local Routing Consistency of Mixture-of-Experts Models"):
// how well a window of m consecutive tokens could share one set of loaded experts.
// selected: [T][k_t] (tokens × chosen experts) expert ids of one layer, tokens in order.

export interface SrpTau {
  tau: number;
  /** Σ c over predicted (window, expert) pairs */
  matches: number;
  /** m · #predicted pairs */
  preds: number;
  /** Σ c over all (window, expert) pairs = all selections inside all windows */
  acts: number;
  /** 2·matches / (preds + acts), 0 when preds + acts = 0 */
  f1: number;
}

export interface SrpDetail {
  m: number;
  /** number of stride-1 windows, max(0, T − m + 1) */
  windows: number;
  /** [m + 1] one entry per τ = 0..m */
  perTau: SrpTau[];
  /** max over τ of F1 (SRP); 0 when there is no window */
  srp: number;
  /** the smallest τ reaching the maximum */
  bestTau: number;
}

/**
 * Segment Routing best Performance, with its working. Over the stride-1 windows w of m tokens
 * (starts 0..T−m), let c(w, e) = number of tokens of w whose selection holds e. For a threshold τ
 * the "prediction" for w is every expert with c(w, e) ≥ max(τ, 1) — only experts that appear in
 * the window, so τ = 0 predicts the same pairs as τ = 1 (never the E − |w| absent experts):
 *   matches = Σ c over predicted pairs, preds = m·#predicted pairs, acts = Σ c over all pairs,
 *   F1(τ) = 2·matches / (preds + acts);   SRP(m) = max over τ ∈ 0..m of F1(τ).
 */
export function srpDetail(selected: number[][], m: number): SrpDetail {
  if (!(Number.isInteger(m) && m >= 1))
    throw new Error(`srp: m must be a positive integer, got ${m}`);
  const T = selected.length;
  const windows = Math.max(0, T - m + 1);
  // hist[c] = number of (window, expert) pairs with count exactly c (1..m·max k, usually ≤ m)
  const hist: number[] = [];
  const c = new Map<number, number>();
  const add = (t: number, d: number) => {
    for (const e of selected[t]) {
      const v = (c.get(e) ?? 0) + d;
      if (v === 0) c.delete(e);
      else c.set(e, v);
    }
  };
  for (let t = 0; t < Math.min(m - 1, T); t++) add(t, 1);
  for (let s = 0; s < windows; s++) {
    add(s + m - 1, 1);
    for (const v of c.values()) hist[v] = (hist[v] ?? 0) + 1;
    add(s, -1);
  }
  let acts = 0;
  hist.forEach((n, v) => (acts += n * v));
  const perTau: SrpTau[] = [];
  let best = 0;
  let bestTau = 0;
  for (let tau = 0; tau <= m; tau++) {
    let matches = 0;
    let pairs = 0;
    hist.forEach((n, v) => {
      if (v >= Math.max(tau, 1)) {
        matches += n * v;
        pairs += n;
      }
    });
    const preds = m * pairs;
    const f1 = preds + acts > 0 ? (2 * matches) / (preds + acts) : 0;
    perTau.push({ tau, matches, preds, acts, f1 });
    if (f1 > best) {
      best = f1;
      bestTau = tau;
    }
  }
  return { m, windows, perTau, srp: best, bestTau };
}

/** SRP(m): see srpDetail. 0 when the layer has fewer than m tokens (no window). */
export function srp(selected: number[][], m: number): number {
  return srpDetail(selected, m).srp;
}

/**
 * Segment Cache best Hit rate SCH(m, C): an oracle cache of C experts. Before token t, the experts
 * seen in tokens 0..t−1 are ranked by (uses in tokens t..t+m−1, last use) descending, ties by
 * lower id; an access of expert e at t is a hit when its rank < C. A first-ever access counts at
 * rank = number of distinct experts seen in tokens before t (so while fewer than C experts have
 * been seen, first accesses are hits: the cache is still filling). Two first-ever experts of the
 * same token share that rank. Hit rate over all Σ_t k_t accesses (T·k for top-k); 0 when none.
 */
export function sch(selected: number[][], m: number, C: number): number {
  const T = selected.length;
  let maxId = -1;
  for (const s of selected) for (const e of s) if (e > maxId) maxId = e;
  const future = new Int32Array(maxId + 1); // uses in tokens t..t+m−1
  const last = new Int32Array(maxId + 1).fill(-1); // last token that used e, −1 = never seen
  const seen: number[] = [];
  const bump = (t: number, d: number) => {
    if (t < T) for (const e of selected[t]) future[e] += d;
  };
  for (let u = 0; u < Math.min(m, T); u++) bump(u, 1);
  let hits = 0;
  let total = 0;
  for (let t = 0; t < T; t++) {
    for (const e of selected[t]) {
      total++;
      if (last[e] < 0) {
        if (seen.length < C) hits++; // first-ever access: rank = distinct experts seen before t
        continue;
      }
      // rank of e = seen experts ordered before it by (future, last use) descending, then lower id
      let rank = 0;
      for (const x of seen) {
        if (x === e) continue;
        if (
          future[x] > future[e] ||
          (future[x] === future[e] && (last[x] > last[e] || (last[x] === last[e] && x < e)))
        ) {
          if (++rank >= C) break;
        }
      }
      if (rank < C) hits++;
    }
    for (const e of selected[t]) {
      if (last[e] < 0) seen.push(e);
      last[e] = t;
    }
    bump(t, -1);
    bump(t + m, 1);
  }
  return total ? hits / total : 0;
}
