// Routing stability between two runs over the same tokens (an intervention, a perturbed input,
// another model variant): per layer, the share of tokens whose top-k SET is unchanged.
export interface LayerStability {
  layer: number;
  unchanged: number;
  flipped: number[];
}

export function routingStability(a: number[][][], b: number[][][]): LayerStability[] {
  if (a.length !== b.length) throw new Error(`runs have ${a.length} and ${b.length} layers`);
  return a.map((la, l) => {
    const lb = b[l];
    if (la.length !== lb.length) throw new Error(`layer ${l}: runs have ${la.length} and ${lb.length} tokens`);
    const flipped: number[] = [];
    la.forEach((s, t) => {
      const x = [...s].sort((p, q) => p - q).join(',');
      const y = [...lb[t]].sort((p, q) => p - q).join(',');
      if (x !== y) flipped.push(t);
    });
    return { layer: l, unchanged: la.length ? 1 - flipped.length / la.length : 1, flipped };
  });
}
