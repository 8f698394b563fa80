// Expert co-activation within a layer and expert-to-expert flows between consecutive layers.
import type { Trace } from './trace';

/**
 * [E][E] (expert × expert) number of tokens that selected both i and j; the diagonal [i][i] is the
 * number of tokens that selected i (the load). selected: [T][k_t] (tokens × chosen experts).
 */
export function coActivation(selected: number[][], E: number): number[][] {
  const m = Array.from({ length: E }, () => new Array<number>(E).fill(0));
  for (const s of selected) for (const a of s) for (const b of s) m[a][b]++;
  return m;
}

/**
 * [E][E] (expert at layer l × expert at layer l+1) transition counts: every (a, b) pair with a in
 * token t's selection at l and b in its selection at l+1 counts once, so a top-2 → top-2 token adds
 * four unit flows. from, to: [T][k_t]. `tokens` restricts it to some token positions.
 */
export function layerFlows(
  from: number[][],
  to: number[][],
  E: number,
  tokens?: number[],
): number[][] {
  const m = Array.from({ length: E }, () => new Array<number>(E).fill(0));
  const ts = tokens ?? from.map((_, t) => t);
  for (const t of ts) for (const a of from[t] ?? []) for (const b of to[t] ?? []) m[a][b]++;
  return m;
}

/**
 * [E][E] (top-1 expert at l × top-1 expert at l+1) transition counts: each token adds one unit flow
 * from its best expert at l to its best expert at l+1 (tokens dropped at either layer add none).
 */
export function topOneFlows(from: number[][], to: number[][], E: number): number[][] {
  return layerFlows(
    from.map((s) => s.slice(0, 1)),
    to.map((s) => s.slice(0, 1)),
    E,
  );
}

/**
 * [L−1][E][E] (layer pair × expert at l × expert at l+1) transition counts of one trace, all
 * selected pairs or (top1) the best expert only. Entry l is the flow from layers[l] to layers[l+1].
 */
export function traceFlows(trace: Trace, opts: { top1?: boolean } = {}): number[][][] {
  const f = opts.top1 ? topOneFlows : layerFlows;
  return trace.layers
    .slice(1)
    .map((to, i) => f(trace.layers[i].selected, to.selected, trace.numExperts));
}
