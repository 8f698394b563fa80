// Input and output names of a bundle's graphs (DESIGN.md §2): the contract between the converters
// that write the graphs and the engine that feeds them, so they are spelled here only.
export const GRAPH_IO = {
  inputIds: 'input_ids',
  positionIds: 'position_ids',
  hidden: 'hidden',
  pastKey: 'past_key',
  pastValue: 'past_value',
  hiddenMid: 'hidden_mid',
  moeIn: 'moe_in',
  routerLogits: 'router_logits',
  presentKey: 'present_key',
  presentValue: 'present_value',
  gates: 'gates',
  moeOut: 'moe_out',
  expertNorms: 'expert_norms',
  logits: 'logits',
  /** added by the engine to its head session (logProbHead.ts); not in bundles */
  logProbs: 'logprobs',
} as const;

/** The inputs and outputs a graph of the bundle must have. */
export interface GraphIo {
  inputs: string[];
  outputs: string[];
}

export const EMBED_IO: GraphIo = { inputs: [GRAPH_IO.inputIds], outputs: [GRAPH_IO.hidden] };

export const HEAD_IO: GraphIo = { inputs: [GRAPH_IO.hidden], outputs: [GRAPH_IO.logits] };

/** A dense layer (no router) has no router_logits output. */
export function attnIo(dense: boolean): GraphIo {
  return {
    inputs: [GRAPH_IO.hidden, GRAPH_IO.positionIds, GRAPH_IO.pastKey, GRAPH_IO.pastValue],
    outputs: [GRAPH_IO.hiddenMid, GRAPH_IO.moeIn, ...(dense ? [] : [GRAPH_IO.routerLogits]), GRAPH_IO.presentKey, GRAPH_IO.presentValue],
  };
}

/** A dense layer's graph is the plain MLP: no gates input, no expert_norms output. */
export function moeIo(dense: boolean): GraphIo {
  return dense ? { inputs: [GRAPH_IO.moeIn], outputs: [GRAPH_IO.moeOut] } : { inputs: [GRAPH_IO.moeIn, GRAPH_IO.gates], outputs: [GRAPH_IO.moeOut, GRAPH_IO.expertNorms] };
}
