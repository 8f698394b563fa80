// tokenRouting() on a flat [T × E] logit array (a layer event's routerLogits) without building
// T row arrays: the same float64 operations in the same order, so the same numbers.
import type { TokenRouting } from './routing';

/** Per-token entropy, entropy / log E, top-1 probability and top-1 margin of z [T × E] (tokens × experts). */
export function tokenRoutingFlat(z: ArrayLike<number>, T: number, E: number): TokenRouting {
  const out = emptyTokenRouting(T);
  tokenRoutingRows(z, E, 0, T, out);
  return out;
}

/** [T]-long arrays for tokenRoutingRows to fill. */
export function emptyTokenRouting(T: number): TokenRouting {
  return { entropy: new Array<number>(T).fill(0), normalisedEntropy: new Array<number>(T).fill(0), confidence: new Array<number>(T).fill(0), margin: new Array<number>(T).fill(0) };
}

/** Fill tokens [from, to) of `out` from z [T × E]: a long layer can be computed a chunk at a time. */
export function tokenRoutingRows(z: ArrayLike<number>, E: number, from: number, to: number, out: TokenRouting): void {
  const { entropy, normalisedEntropy, confidence, margin } = out;
  const p = new Float64Array(E);
  const logE = E > 1 ? Math.log(E) : 0;
  for (let t = from; t < to; t++) {
    const o = t * E;
    let max = -Infinity;
    for (let i = 0; i < E; i++) if (z[o + i] > max) max = z[o + i];
    let h = 0;
    let first = 0;
    let second = 0;
    if (max !== -Infinity) {
      let sum = 0;
      for (let i = 0; i < E; i++) {
        p[i] = Math.exp(z[o + i] - max);
        sum += p[i];
      }
      for (let i = 0; i < E; i++) p[i] /= sum;
      for (let i = 0; i < E; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
      for (let i = 0; i < E; i++) {
        const x = p[i];
        if (x > first) {
          second = first;
          first = x;
        } else if (x > second) second = x;
      }
    }
    entropy[t] = h;
    normalisedEntropy[t] = E > 1 ? h / logE : 0;
    confidence[t] = first;
    margin[t] = first - second;
  }
}
