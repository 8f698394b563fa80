// Flow between layers at real-model scale: per layer, the top-N experts by load get their own
// node and every other expert goes into one "other" bucket; flows between consecutive layers are
// counted between buckets, so the result has (N+1)² numbers per layer pair whatever E is.

export interface FlowLayerInput {
  /** the layer's index in the model */
  layer: number;
  /** experts in the layer */
  E: number;
  /** [T][k_t] (tokens × chosen experts) */
  selected: number[][];
}

export interface FlowColumn {
  layer: number;
  E: number;
  /** experts with their own node, in draw order (by id when every expert is shown, else by load) */
  experts: number[];
  /** token-expert selections per shown expert (same order), counted over the chosen tokens */
  counts: number[];
  /** selections that went to the experts in "other" */
  other: number;
  /** how many experts are in "other" (0 when every expert is shown) */
  otherExperts: number;
}

export interface FlowBuckets {
  columns: FlowColumn[];
  /**
   * flows[i][a][b]: token-expert pairs from bucket a of columns[i] to bucket b of columns[i+1];
   * bucket index experts.length is "other". Every (a, b) pair with a in token t's selection at
   * layer i and b in its selection at layer i+1 counts once (as layerFlows does per expert).
   */
  flows: number[][][];
}

export interface FlowBucketOptions {
  /** experts with their own node per layer when the layer has more than `allUpTo` experts */
  topN: number;
  /** layers with at most this many experts show every expert and no "other" (default 16) */
  allUpTo?: number;
  /** count only these token positions (the layout, i.e. which experts are shown, still uses all) */
  tokens?: number[];
  /** per column, experts that always get their own node (e.g. the focused token's experts) */
  keep?: (column: number) => Iterable<number>;
}

/**
 * Bucket the layers' selections and count flows between consecutive columns. Time O(L·T·k) for
 * the loads and buckets plus, per token, (distinct buckets at l) × (distinct buckets at l+1)
 * additions for the flows (≤ k², far fewer when most selections fall into "other"); memory
 * O(L·(E + T·k + N²)). 61 layers × 2048 tokens × top-8 (1M selections) takes tens of ms; use
 * flowBucketer to spread it over several short slices.
 */
export function bucketFlows(layers: readonly FlowLayerInput[], opts: FlowBucketOptions): FlowBuckets {
  const b = flowBucketer(layers, opts);
  while (!b.step(() => false));
  return b.result()!;
}

export interface FlowBucketer {
  /** do units of work (one layer's buckets, or one layer pair's flows) until `stop()` or done; true when done */
  step(stop: () => boolean): boolean;
  /** units done and in all (2L − 1) */
  progress(): { done: number; total: number };
  /** the buckets once every unit is done, else null */
  result(): FlowBuckets | null;
}

/** bucketFlows one unit at a time, for a caller that yields to the browser between slices. */
export function flowBucketer(layers: readonly FlowLayerInput[], opts: FlowBucketOptions): FlowBucketer {
  const allUpTo = opts.allUpTo ?? 16;
  // Per layer and token, the distinct buckets the token's selections fall into and how many
  // selections each: flows then add count × count per distinct bucket pair (the "other" bucket
  // collects most selections at large E, so this is far fewer than k² pairs per token).
  const compact: { width: number; n: Uint8Array; bucket: Int32Array; count: Int32Array }[] = [];
  const columns: FlowColumn[] = [];
  const flows: number[][][] = [];
  const L = layers.length;
  const total = L + Math.max(0, L - 1);
  let done = 0;

  const column = (i: number): FlowColumn => {
    const ev = layers[i];
    const E = ev.E;
    const T = ev.selected.length;
    const load = new Int32Array(E);
    let width = 0;
    const sel = ev.selected;
    for (let t = 0; t < T; t++) {
      const s = sel[t];
      if (s.length > width) width = s.length;
      for (let j = 0; j < s.length; j++) {
        const e = s[j];
        if (e >= 0 && e < E) load[e]++;
      }
    }
    let experts: number[];
    if (E <= Math.max(allUpTo, opts.topN)) experts = Array.from({ length: E }, (_, e) => e);
    else {
      const keep = new Set<number>();
      for (const e of opts.keep?.(i) ?? []) if (Number.isInteger(e) && e >= 0 && e < E) keep.add(e);
      const byLoad = Array.from({ length: E }, (_, e) => e).sort((a, b) => load[b] - load[a] || a - b);
      const chosen = new Set(keep);
      for (const e of byLoad) {
        if (chosen.size >= Math.max(opts.topN, keep.size)) break;
        chosen.add(e);
      }
      experts = byLoad.filter((e) => chosen.has(e));
    }
    const bucketOf = new Int32Array(E).fill(experts.length);
    experts.forEach((e, j) => (bucketOf[e] = j));
    const n = new Uint8Array(T);
    const bucket = new Int32Array(T * width);
    const count = new Int32Array(T * width);
    const counts = new Array<number>(experts.length + 1).fill(0);
    const fill = (t: number) => {
      const base = t * width;
      let m = 0;
      const s = sel[t];
      for (let q = 0; q < s.length; q++) {
        const e = s[q];
        if (e < 0 || e >= E) continue;
        const b = bucketOf[e];
        counts[b]++;
        let j = 0;
        while (j < m && bucket[base + j] !== b) j++;
        if (j === m) {
          bucket[base + m] = b;
          count[base + m] = 0;
          m++;
        }
        count[base + j]++;
      }
      n[t] = m;
    };
    if (opts.tokens) {
      for (const t of opts.tokens) if (t >= 0 && t < T) fill(t);
    } else for (let t = 0; t < T; t++) fill(t);
    compact[i] = { width, n, bucket, count };
    const other = counts.pop()!;
    return { layer: ev.layer, E, experts, counts, other, otherExperts: E - experts.length };
  };

  const pair = (i: number): number[][] => {
    const na = columns[i].experts.length + 1;
    const nb = columns[i + 1].experts.length + 1;
    const m = new Int32Array(na * nb);
    const A = compact[i];
    const B = compact[i + 1];
    const T = Math.min(A.n.length, B.n.length);
    // tokens not asked for have n = 0 and add nothing
    for (let t = 0; t < T; t++) {
      const ma = A.n[t];
      const mb = B.n[t];
      const oa = t * A.width;
      const ob = t * B.width;
      for (let x = 0; x < ma; x++) {
        const row = A.bucket[oa + x] * nb;
        const ca = A.count[oa + x];
        for (let y = 0; y < mb; y++) m[row + B.bucket[ob + y]] += ca * B.count[ob + y];
      }
    }
    return Array.from({ length: na }, (_, a) => Array.from(m.subarray(a * nb, (a + 1) * nb)));
  };

  // Unit order: column 0, then column i and the pair (i−1, i) for i = 1…L−1, freeing each
  // layer's per-token buckets once both its pairs are counted.
  const unit = (u: number) => {
    if (u === 0) columns.push(column(0));
    else {
      const i = Math.ceil(u / 2);
      if (u % 2 === 1) columns.push(column(i));
      else {
        flows.push(pair(i - 1));
        if (i >= 2) compact[i - 2] = compact[i - 2] && { width: 0, n: new Uint8Array(0), bucket: new Int32Array(0), count: new Int32Array(0) };
      }
    }
  };

  return {
    step(stop) {
      while (done < total) {
        unit(done++);
        if (stop()) break;
      }
      return done >= total;
    },
    progress: () => ({ done, total }),
    result: () => (done >= total ? { columns, flows } : null),
  };
}
