// Local routing consistency, as computed by moe-lrc (Liang et al. 2025, "Not All Models Suit Expert
// Offloading: On Local Routing Consistency of Mixture-of-Expert Models", github.com/ljcleo/moe-lrc:
// src/30_srp_calc.py + 31_srp_refine.py for SRP, src/41_sch_calc.py `calc_fsf` for SCH).
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
  /** number of experts E (the τ = 0 row predicts all of them) */
  E: number;
  /** number of stride-1 windows, max(0, T − m + 1) */
  windows: number;
  /** [m + 1] one entry per τ = 0..m */
  perTau: SrpTau[];
  /** max over τ of F1 (SRP); 0 when there is no window or no selection */
  srp: number;
  /** the smallest τ reaching the maximum */
  bestTau: number;
}

/**
 * hist[c] = number of (window, expert) pairs whose count is exactly c ≥ 1, over the stride-1
 * windows of m tokens (c(w, e) = tokens of w whose selection holds e). Returns the number of
 * windows too. A sliding count: O(T·k) map updates.
 */
function windowHistogram(selected: number[][], m: number): { hist: number[]; windows: number } {
  const T = selected.length;
  const windows = Math.max(0, T - m + 1);
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
  return { hist, windows };
}

function maxId(selected: number[][]): number {
  let max = -1;
  for (const s of selected) for (const e of s) if (e > max) max = e;
  return max;
}

/**
 * Per-τ counts of one or more sequences, pooled (summed) over all their windows, as moe-lrc
 * aggregates a layer over a dataset. See srpDetail for the definition.
 */
function srpFromHistograms(
  parts: { hist: number[]; windows: number }[],
  m: number,
  E: number,
): SrpDetail {
  const hist: number[] = [];
  let windows = 0;
  for (const p of parts) {
    windows += p.windows;
    p.hist.forEach((n, v) => (hist[v] = (hist[v] ?? 0) + n));
  }
  let acts = 0;
  hist.forEach((n, v) => (acts += n * v));
  const perTau: SrpTau[] = [];
  let best = 0;
  let bestTau = 0;
  for (let tau = 0; tau <= m; tau++) {
    let matches = 0;
    let pairs = 0;
    if (tau === 0) {
      // c ≥ 0 holds for every (window, expert) pair, absent experts (c = 0) included
      matches = acts;
      pairs = windows * E;
    } else
      hist.forEach((n, v) => {
        if (v >= tau) {
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
  return { m, E, windows, perTau, srp: best, bestTau };
}

function checkM(m: number): void {
  if (!(Number.isInteger(m) && m >= 1))
    throw new Error(`srp: m must be a positive integer, got ${m}`);
}

/**
 * Segment Routing best Performance (SRP), with its working, exactly as moe-lrc computes it. Over
 * the stride-1 windows w of m tokens (starts 0..T−m) and every expert e of E, let c(w, e) = number
 * of tokens of w whose selection holds e (0 for an absent expert). For a threshold τ the
 * "prediction" for w is every expert with c(w, e) ≥ τ:
 *   matches = Σ c over predicted pairs, preds = m·#predicted pairs, acts = Σ c over all pairs
 *   (= m·k per window for a fixed top-k), F1(τ) = 2·matches / (preds + acts),
 *   SRP(m) = max over τ ∈ 0..m of F1(τ).
 * τ = 0 predicts all E experts of every window (absent ones too: preds = m·windows·E), exactly as
 * moe-lrc's histogram does, so F1(0) = 2·acts/(m·windows·E + acts) ≤ F1(1): it never decides SRP,
 * but perTau[0] matches moe-lrc's row. E defaults to (and is raised to at least) max selected
 * id + 1. Dropped tokens (no expert) add nothing to any count.
 */
export function srpDetail(selected: number[][], m: number, E?: number): SrpDetail {
  checkM(m);
  return srpFromHistograms(
    [windowHistogram(selected, m)],
    m,
    Math.max(E ?? 0, maxId(selected) + 1),
  );
}

/** SRP(m): see srpDetail. 0 when the layer has fewer than m tokens (no window). */
export function srp(selected: number[][], m: number, E?: number): number {
  return srpDetail(selected, m, E).srp;
}

/**
 * moe-lrc's dataset-level SRP of one layer: the counts (matches, preds, acts per τ) of every
 * sequence's windows are summed first, then F1 and the max over τ are taken (windows never
 * straddle two sequences). sequences: [S][T_s][k_t]. analyzeTraces reports the token-weighted
 * mean of per-trace SRP instead (see analyze.ts); this is the pooled alternative.
 */
export function srpPooled(sequences: number[][][], m: number, E?: number): SrpDetail {
  checkM(m);
  const E0 = Math.max(E ?? 0, Math.max(-1, ...sequences.map(maxId)) + 1);
  return srpFromHistograms(
    sequences.map((s) => windowHistogram(s, m)),
    m,
    E0,
  );
}

export interface SchDetail {
  m: number;
  /** Σ_t k_t: every access of the layer */
  accesses: number;
  /**
   * [R] atRank[r] = accesses whose expert stood at depth r of the cache stack at the start of its
   * token (first-ever accesses at r = distinct experts seen before them). SCH(m, C) =
   * Σ_{r<C} atRank[r] / accesses. R = number of distinct experts.
   */
  atRank: number[];
}

/**
 * Segment Cache best Hit rate (SCH), with the per-depth counts, exactly as moe-lrc's `calc_fsf`.
 *
 * It simulates, for every cache size C at once, a cache of C experts whose replacement priority is
 * (uses still ahead in tokens t..t+m−1, last access) — the experts needed most in the next m tokens
 * stay, ties to the most recently accessed. Token by token:
 *  1. Each access of the token is scored against the cache as it stood when the token began: a hit
 *     when its expert sits at depth < C of the priority stack. A first-ever access counts at depth
 *     = number of distinct experts seen before it (so it hits while the cache still has a free slot;
 *     two new experts of one token get consecutive depths).
 *  2. Then the token's experts are accessed one by one, in selection order (best first): each moves
 *     to the top of the stack, and the entries it passes are re-ordered Mattson-style (at every
 *     depth above its old one, the lower-priority of the pushed-down entry and the resident entry
 *     moves on down). Its uses-ahead count drops by one and its last-access time is the access
 *     counter, so within a token later experts count as more recent.
 *  3. Token t+m enters the look-ahead window.
 * For each C the top C of the stack is exactly the content of a C-slot cache that, on each miss,
 * evicts its lowest-priority expert — which is what SCH(m, C) scores.
 *
 * Note: this is NOT a fresh sort of the seen experts by priority before every token (the
 * simplified wording of DESIGN §3): a C-slot cache cannot fetch back an expert it evicted before
 * that expert is used. E.g. tokens 0, 1, 0 with m = 2, C = 1: the cache holds 1 after token 1, so
 * token 2's access of 0 misses (SCH = 1/3), where a re-sort would rank 0 first (2/3).
 * moe-lrc's Python and this code agree on thousands of random traces (see consistency.test.ts).
 */
export function schDetail(selected: number[][], m: number): SchDetail {
  if (!(Number.isInteger(m) && m >= 1))
    throw new Error(`sch: m must be a positive integer, got ${m}`);
  const T = selected.length;
  const n = maxId(selected) + 1;
  const ahead = new Int32Array(n); // uses in the look-ahead window not yet served
  const last = new Float64Array(n); // access counter of the last access (0 = never)
  const stack: number[] = []; // top (highest priority) first
  const atRank: number[] = [];
  let clock = 0;
  let accesses = 0;
  // priority(a) < priority(b)
  const lower = (a: number, b: number) =>
    ahead[a] < ahead[b] || (ahead[a] === ahead[b] && last[a] < last[b]);
  for (let u = 0; u < Math.min(m, T); u++) for (const e of selected[u]) ahead[e]++;
  for (let t = 0; t < T; t++) {
    let distinct = stack.length;
    for (const e of selected[t]) {
      const d = stack.indexOf(e);
      const r = d >= 0 ? d : distinct++;
      atRank[r] = (atRank[r] ?? 0) + 1;
      accesses++;
    }
    for (const e of selected[t]) {
      let d = stack.indexOf(e);
      if (d < 0) d = stack.length;
      if (d > 0) {
        let carry = stack[0];
        for (let j = 1; j < d; j++)
          if (lower(stack[j], carry)) [stack[j], carry] = [carry, stack[j]];
        stack[d] = carry; // e's old slot, or a new slot at the bottom
        stack[0] = e;
      } else if (stack.length === 0) stack.push(e);
      last[e] = ++clock;
      ahead[e]--;
    }
    if (t + m < T) for (const e of selected[t + m]) ahead[e]++;
  }
  for (let r = 0; r < atRank.length; r++) atRank[r] ??= 0;
  return { m, accesses, atRank };
}

/** SCH(m, C) from a schDetail: hits at depth < C / accesses (0 when there is no access). */
export function schFromDetail(d: SchDetail, C: number): number {
  let hits = 0;
  for (let r = 0; r < Math.min(C, d.atRank.length); r++) hits += d.atRank[r];
  return d.accesses ? hits / d.accesses : 0;
}

/**
 * SCH(m, C): moe-lrc's segment cache best hit rate of a C-slot cache with m tokens of look-ahead
 * (see schDetail). Hit rate over all Σ_t k_t accesses (T·k for top-k); 0 when there is none.
 */
export function sch(selected: number[][], m: number, C: number): number {
  return schFromDetail(schDetail(selected, m), C);
}

/** {"<C>": SCH(m, C)} for each C, from one pass. */
export function schCurve(selected: number[][], m: number, Cs: number[]): Record<string, number> {
  const d = schDetail(selected, m);
  return Object.fromEntries(Cs.map((C) => [String(C), schFromDetail(d, C)]));
}
