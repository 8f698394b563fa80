// Expert co-activation within a layer and expert-to-expert flows between consecutive layers.

/** [E × E] tokens that selected both i and j (diagonal: tokens that selected i). selected: [T][k_t]. */
export function coActivation(selected: number[][], E: number): number[][] {
  const m = Array.from({ length: E }, () => new Array<number>(E).fill(0));
  for (const s of selected) for (const a of s) for (const b of s) m[a][b]++;
  return m;
}

/**
 * [E × E] flow from layer l to layer l+1: every (expert at l, expert at l+1) pair of a token counts
 * once, so a top-2 → top-2 token adds four unit flows. `tokens` restricts it to some positions.
 */
export function layerFlows(from: number[][], to: number[][], E: number, tokens?: number[]): number[][] {
  const m = Array.from({ length: E }, () => new Array<number>(E).fill(0));
  const ts = tokens ?? from.map((_, t) => t);
  for (const t of ts) for (const a of from[t] ?? []) for (const b of to[t] ?? []) m[a][b]++;
  return m;
}
