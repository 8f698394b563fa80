// Two runs over the same tokens (two checkpoints, fp32 vs q4, two routers): per layer, the share of
// tokens whose top-k set is unchanged (OLMoE's router saturation when b is the later checkpoint),
// the mean Jaccard of the expert sets, the load drift and the tokens that flipped (Megatron's
// routing comparison tools).

export interface RoutingComparison {
  /** fraction of tokens whose selected set is the same (order ignored); 1 when there are no tokens */
  unchanged: number;
  /** mean over tokens of |A∩B| / |A∪B| (two empty sets count as 1); 1 when there are no tokens */
  jaccard: number;
  /** [E] selections of each expert / all selections, in a and in b (zeros when none) */
  loadA: number[];
  loadB: number[];
  /** total variation distance of the loads, ½ Σ_e |loadA_e − loadB_e| (0 … 1) */
  loadDrift: number;
  /** positions whose set changed, ascending */
  flipped: number[];
}

/** a, b: [T][k_t] (tokens × chosen experts) of one layer in the two runs; E experts. */
export function compareRouting(a: number[][], b: number[][], E: number): RoutingComparison {
  if (a.length !== b.length)
    throw new Error(`compare: the runs have ${a.length} and ${b.length} tokens`);
  const T = a.length;
  const flipped: number[] = [];
  let jac = 0;
  a.forEach((sa, t) => {
    const A = new Set(sa);
    const B = new Set(b[t]);
    let inter = 0;
    for (const e of A) if (B.has(e)) inter++;
    const union = A.size + B.size - inter;
    jac += union ? inter / union : 1;
    if (inter !== A.size || inter !== B.size) flipped.push(t);
  });
  const loadA = load(a, E);
  const loadB = load(b, E);
  let drift = 0;
  for (let e = 0; e < E; e++) drift += Math.abs(loadA[e] - loadB[e]);
  return {
    unchanged: T ? 1 - flipped.length / T : 1,
    jaccard: T ? jac / T : 1,
    loadA,
    loadB,
    loadDrift: drift / 2,
    flipped,
  };
}

function load(sel: number[][], E: number): number[] {
  const c = new Array<number>(E).fill(0);
  let n = 0;
  for (const s of sel)
    for (const e of s) {
      if (!(Number.isInteger(e) && e >= 0 && e < E))
        throw new Error(`compare: expert ${e} out of range 0..${E - 1}`);
      c[e]++;
      n++;
    }
  return n ? c.map((x) => x / n) : c;
}
