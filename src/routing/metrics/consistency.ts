// Local routing consistency (moe-lrc): how well a window of tokens can share one set of experts.
// selected: [T][k_t] expert ids of one layer, tokens in order.

/**
 * Segment Routing Best Performance SRP(m): over stride-1 windows of m tokens, let c(w, e) be the
 * number of tokens of w that select e. For a threshold τ, "predict" every (w, e) with c ≥ τ:
 * matches = Σ c over predicted pairs, preds = m · #predicted pairs, acts = Σ c over all pairs.
 * SRP = max over τ ∈ 1..m of F1 = 2·matches / (preds + acts). (τ = 0 would predict experts that
 * never appear in the window; with c ≥ max(τ, 1) it equals τ = 1, so it is folded into it.)
 */
export function srp(selected: number[][], m: number): number {
  const T = selected.length;
  if (T < m || m < 1) return 0;
  const pairs: number[] = [];
  let acts = 0;
  for (let s = 0; s + m <= T; s++) {
    const c = new Map<number, number>();
    for (let t = s; t < s + m; t++) for (const e of selected[t]) c.set(e, (c.get(e) ?? 0) + 1);
    for (const v of c.values()) {
      pairs.push(v);
      acts += v;
    }
  }
  let best = 0;
  for (let tau = 1; tau <= m; tau++) {
    let matches = 0;
    let n = 0;
    for (const v of pairs)
      if (v >= tau) {
        matches += v;
        n++;
      }
    const f1 = (2 * matches) / (m * n + acts);
    if (n > 0) best = Math.max(best, f1);
  }
  return best;
}

/**
 * Segment Cache Best Hit Rate SCH(m, C): before token t, the experts seen so far are ranked by
 * (uses in tokens t..t+m−1, last use) descending; an access of expert e at t is a hit when its
 * rank < C. A first-ever access counts at rank = number of distinct experts seen before it.
 * Hit rate over all accesses (Σ_t k_t).
 */
export function sch(selected: number[][], m: number, C: number): number {
  const T = selected.length;
  const last = new Map<number, number>();
  let hits = 0;
  let total = 0;
  for (let t = 0; t < T; t++) {
    const future = new Map<number, number>();
    for (let u = t; u < Math.min(T, t + m); u++) for (const e of selected[u]) future.set(e, (future.get(e) ?? 0) + 1);
    const ranked = [...last.keys()].sort((a, b) => (future.get(b) ?? 0) - (future.get(a) ?? 0) || last.get(b)! - last.get(a)! || a - b);
    for (const e of selected[t]) {
      total++;
      const r = ranked.indexOf(e);
      const rank = r < 0 ? ranked.length : r;
      if (rank < C) hits++;
    }
    for (const e of selected[t]) last.set(e, t);
  }
  return total ? hits / total : 0;
}
