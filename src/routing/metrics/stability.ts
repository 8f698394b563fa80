// Routing stability between two runs over the same token positions (an intervention, a perturbed
// input of the same length, another model variant): per layer, the share of tokens whose top-k SET
// is unchanged (order and gates ignored) and the positions that flipped.
import type { Trace } from './trace';

export interface LayerStability {
  /** position of the layer in the runs (for traces: the trace's layer index) */
  layer: number;
  /** fraction of tokens whose selected set is the same in both runs (1 when there are no tokens) */
  unchanged: number;
  /** token positions whose set changed, ascending */
  flipped: number[];
}

/** a, b: [L][T][k_t] (layers × tokens × chosen experts) selections of the two runs. */
export function routingStability(a: number[][][], b: number[][][]): LayerStability[] {
  if (a.length !== b.length) throw new Error(`runs have ${a.length} and ${b.length} layers`);
  const key = (s: number[]) => [...s].sort((p, q) => p - q).join(',');
  return a.map((la, l) => {
    const lb = b[l];
    if (la.length !== lb.length)
      throw new Error(`layer ${l}: runs have ${la.length} and ${lb.length} tokens`);
    const flipped: number[] = [];
    la.forEach((s, t) => {
      if (key(s) !== key(lb[t])) flipped.push(t);
    });
    return { layer: l, unchanged: la.length ? 1 - flipped.length / la.length : 1, flipped };
  });
}

/** A dense layer (no router) in a trace comparison: nothing routed, so no stability number. */
export interface DenseLayerStability {
  layer: number;
  kind: 'dense';
  unchanged: null;
  flipped: [];
}

/**
 * Stability between two traces, position by position. They must have the same number of tokens
 * and layers; token ids may differ (a perturbed input of the same length). `layer` is the trace's
 * layer index. Dense layers (in either trace) are marked, not scored: their empty selections
 * would read as "all unchanged".
 */
export function traceStability(a: Trace, b: Trace): (LayerStability | DenseLayerStability)[] {
  if (a.tokens.length !== b.tokens.length)
    throw new Error(`stability: the traces have ${a.tokens.length} and ${b.tokens.length} tokens`);
  return routingStability(
    a.layers.map((l) => l.selected),
    b.layers.map((l) => l.selected),
  ).map((s, i) =>
    a.layers[i].kind === 'dense' || b.layers[i].kind === 'dense'
      ? { layer: a.layers[i].index, kind: 'dense', unchanged: null, flipped: [] }
      : { ...s, layer: a.layers[i].index },
  );
}
