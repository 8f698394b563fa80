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
 * Segment Cache best Hit rate SCH(m, C), as moe-lrc's `calc_fsf` (src/41_sch_calc.py) computes it:
 * a demand-fetch cache of C experts whose eviction looks m tokens ahead. A token's experts hit
 * when they were cached as the token started. On a miss with a full cache the cached expert with
 * the lowest priority is evicted; priority = (uses in the m tokens starting at the current token,
 * then last access) — an access of e at t first drops that use of t from e's count, and later
 * experts of the same token count as accessed later. A never-seen expert counts as a hit while
 * fewer than C distinct experts have been seen before it (the cache is still filling; a second
 * new expert of a token sees the first). E.g. the trace 0, 1, 0 with m = 2, C = 1 gives 1/3.
 * Hit rate over all Σ_t k_t accesses (T·k for top-k); 0 when there are none.
 */
export function sch(selected: number[][], m: number, C: number): number {
  const curve = schHitsByDepth(selected, m);
  let hits = 0;
  for (let d = 0; d < Math.min(C, curve.depths.length); d++) hits += curve.depths[d];
  return curve.accesses ? hits / curve.accesses : 0;
}

/**
 * One pass for every cache size at once (Mattson's stack algorithm, as calc_fsf): the stack holds
 * every expert seen, and the cache of size C is its first C entries. depths[d] = accesses whose
 * expert stood at stack depth d as its token started (a never-seen expert: at the number of
 * distinct experts seen before it), so SCH(m, C) = Σ_{d<C} depths[d] / accesses.
 * The stack update on an access of x at depth p carries the lowest-priority expert of each level
 * i < p down to level i + 1 (the expert the size-i cache evicts), x goes on top.
 */
export function schHitsByDepth(
  selected: number[][],
  m: number,
): { depths: number[]; accesses: number } {
  if (!(Number.isInteger(m) && m >= 1))
    throw new Error(`sch: m must be a positive integer, got ${m}`);
  const T = selected.length;
  let maxId = -1;
  for (const s of selected) for (const e of s) if (e > maxId) maxId = e;
  const future = new Int32Array(maxId + 1); // uses in the window of m tokens starting at the current one
  const last = new Float64Array(maxId + 1); // access counter of the last access (1-based; 0 = never)
  const before = (a: number, b: number) =>
    future[a] > future[b] || (future[a] === future[b] && last[a] > last[b]);
  const stack: number[] = [];
  const depths: number[] = [];
  let accesses = 0;
  let clock = 0;
  for (let u = 0; u < Math.min(m, T); u++) for (const e of selected[u]) future[e]++;
  const depthAtStart = new Map<number, number>();
  for (let t = 0; t < T; t++) {
    depthAtStart.clear();
    stack.forEach((e, d) => depthAtStart.set(e, d));
    let fresh = stack.length;
    for (const e of selected[t]) {
      const d = depthAtStart.get(e) ?? fresh++;
      depths[d] = (depths[d] ?? 0) + 1;
      accesses++;
    }
    for (const x of selected[t]) {
      const p = stack.indexOf(x);
      const end = p < 0 ? stack.length : p;
      if (end > 0) {
        let carry = stack[0];
        for (let i = 1; i < end; i++) {
          // level i keeps the higher-priority one; the other sinks (the size-i cache evicts it)
          if (!before(stack[i], carry)) [stack[i], carry] = [carry, stack[i]];
        }
        stack[end] = carry;
        stack[0] = x;
      } else if (p < 0) stack.push(x);
      future[x]--;
      last[x] = ++clock;
    }
    if (t + m < T) for (const e of selected[t + m]) future[e]++;
  }
  for (let d = 0; d < depths.length; d++) depths[d] ??= 0;
  return { depths, accesses };
}
