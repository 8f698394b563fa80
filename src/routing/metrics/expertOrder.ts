// Orders of the expert axis for the expert views (load bars, co-activation matrix): by id, by
// load, or by co-activation cluster (a seriation that puts experts that fire together side by
// side). Pure functions over plain arrays; E ≤ a few hundred, so O(E²) is cheap.

export type ExpertSort = 'id' | 'load' | 'cluster';

/** [E] flat co-activation counts, row-major [E × E]: entry i·E + j = tokens whose selection holds both i and j (the diagonal is the load). Same numbers as coActivation(), without E arrays. */
export function coActivationCounts(selected: number[][], E: number): Uint32Array {
  const m = new Uint32Array(E * E);
  for (const s of selected)
    for (let a = 0; a < s.length; a++) {
      const row = s[a] * E;
      for (let b = 0; b < s.length; b++) m[row + s[b]]++;
    }
  return m;
}

/** 0, 1, …, E − 1 */
export function orderById(E: number): number[] {
  return Array.from({ length: E }, (_, e) => e);
}

/** Experts by load, busiest first; ties go to the lower id. */
export function orderByLoad(counts: ArrayLike<number>): number[] {
  return orderById(counts.length).sort((a, b) => counts[b] - counts[a] || a - b);
}

/**
 * Co-activation seriation: a greedy nearest-neighbour chain over the cosine-normalised
 * co-activation a(i, j) = M[i][j] / √(M[i][i] · M[j][j]) (so busy experts do not pull every chain
 * towards themselves). The chain starts at the busiest expert and always appends the unplaced
 * expert most co-activated with the last one placed; when the last one has no co-activated
 * unplaced expert left it starts a new chain at the busiest unplaced expert. Experts never chosen
 * come last, by id. Ties go to the lower id, so the order is deterministic.
 * M: flat row-major [E × E] counts (diagonal = load), e.g. coActivationCounts().
 */
export function seriate(M: ArrayLike<number>, E: number): number[] {
  if (M.length < E * E) throw new Error(`seriate: ${M.length} counts, expected E × E = ${E * E}`);
  const load = (i: number) => M[i * E + i];
  const used = orderById(E).filter((e) => load(e) > 0);
  const placed = new Uint8Array(E);
  const order: number[] = [];
  const busiestLeft = () => {
    let best = -1;
    for (const e of used) if (!placed[e] && (best < 0 || load(e) > load(best))) best = e;
    return best;
  };
  let cur = busiestLeft();
  while (cur >= 0) {
    placed[cur] = 1;
    order.push(cur);
    let next = -1;
    let bestA = 0;
    for (const j of used) {
      if (placed[j]) continue;
      const a = M[cur * E + j] / Math.sqrt(load(cur) * load(j));
      if (a > bestA) {
        bestA = a;
        next = j;
      }
    }
    cur = next >= 0 ? next : busiestLeft();
  }
  for (let e = 0; e < E; e++) if (!placed[e]) order.push(e);
  return order;
}

/** The expert axis order for `sort`: counts [E] (load), M flat [E × E] co-activation (cluster only). */
export function expertOrder(sort: ExpertSort, counts: ArrayLike<number>, M?: ArrayLike<number>): number[] {
  const E = counts.length;
  if (sort === 'load') return orderByLoad(counts);
  if (sort === 'cluster' && M) return seriate(M, E);
  return orderById(E);
}

/** The inverse permutation: position of each expert on the axis. */
export function positionsOf(order: number[]): Int32Array {
  const pos = new Int32Array(order.length).fill(-1);
  order.forEach((e, i) => (pos[e] = i));
  return pos;
}
