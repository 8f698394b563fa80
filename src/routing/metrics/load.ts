// Expert-load metrics of one layer (DESIGN.md §6), from per-token selections.

export interface LoadMetrics {
  /** [E] tokens routed to each expert */
  counts: number[];
  total: number;
  /** total selections / E */
  ideal: number;
  maxOverMean: number;
  /** population std / mean of counts */
  cv: number;
  /** (max − ideal) / ideal */
  maxVio: number;
  /** H(counts/total) / log E */
  loadEntropy: number;
  /** fraction of tokens with no expert */
  dropped: number;
  /** selections per token */
  meanActive: number;
}

/** selected: [T][k_t] (tokens × chosen experts) expert ids; E experts. */
export function loadMetrics(selected: number[][], E: number): LoadMetrics {
  const counts = new Array<number>(E).fill(0);
  let dropped = 0;
  for (const s of selected) {
    if (s.length === 0) dropped++;
    for (const e of s) counts[e]++;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const T = selected.length;
  const ideal = total / E;
  let max = -Infinity;
  for (const c of counts) max = Math.max(max, c);
  const variance = counts.reduce((a, c) => a + (c - ideal) ** 2, 0) / E;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log(c / total);
  return {
    counts,
    total,
    ideal,
    maxOverMean: ideal > 0 ? max / ideal : 0,
    cv: ideal > 0 ? Math.sqrt(variance) / ideal : 0,
    maxVio: ideal > 0 ? (max - ideal) / ideal : 0,
    loadEntropy: total > 0 && E > 1 ? h / Math.log(E) : 0,
    dropped: T ? dropped / T : 0,
    meanActive: T ? total / T : 0,
  };
}

/**
 * HF load-balancing loss E·Σ_e f_e·P_e: f_e = fraction of tokens whose selection holds e, P_e =
 * mean router probability of e. selected: [T][k_t]; probs: flat row-major [T × E] (tokens × experts)
 * softmax probabilities. Uniform routing gives k (1 for top-1).
 */
export function hfAux(selected: number[][], probs: ArrayLike<number>, E: number): number {
  const T = selected.length;
  if (T === 0) return 0;
  if (probs.length < T * E)
    throw new Error(`hfAux: probs holds ${probs.length} values, expected T × E = ${T} × ${E}`);
  const f = new Array<number>(E).fill(0); // tokens whose selection holds e
  const P = new Array<number>(E).fill(0); // Σ_t p_t,e
  selected.forEach((s, t) => {
    for (let i = 0; i < s.length; i++) if (s.indexOf(s[i]) === i) f[s[i]]++;
    for (let e = 0; e < E; e++) P[e] += probs[t * E + e];
  });
  let loss = 0;
  for (let e = 0; e < E; e++) loss += (f[e] / T) * (P[e] / T);
  return E * loss;
}
