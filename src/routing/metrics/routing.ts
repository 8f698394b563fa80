// Per-token routing entropy and router confidence (DESIGN.md §6), in float64 on plain arrays.
// Logits of −Infinity (masked experts) get probability 0; a row that is all −Infinity gets all
// zeros (entropy 0, confidence 0).

/** softmax of one row of E logits → [E] probabilities. */
export function softmax(z: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i] > max) max = z[i];
  if (max === -Infinity) return new Array<number>(z.length).fill(0);
  const out = new Array<number>(z.length);
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    out[i] = Math.exp(z[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < z.length; i++) out[i] /= sum;
  return out;
}

/** [T][E] router logits (tokens × experts) → [T][E] softmax probabilities. */
export function routingProbs(logits: number[][]): number[][] {
  return logits.map(softmax);
}

/** Shannon entropy in nats (0·log 0 = 0). */
export function entropyNats(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}

export interface TokenRouting {
  /** [T] H(softmax(z_t)) in nats */
  entropy: number[];
  /** [T] entropy / log E, in [0, 1] (E = the row width, masked experts included; 0 when E = 1) */
  normalisedEntropy: number[];
  /** [T] router confidence max_e softmax(z_t)_e */
  confidence: number[];
  /** [T] top-1 margin: largest minus second-largest probability (= confidence when E = 1) */
  margin: number[];
}

/** Per-token routing entropy and confidence from [T][E] (tokens × experts) router logits. */
export function tokenRouting(logits: number[][]): TokenRouting {
  const entropy: number[] = [];
  const normalisedEntropy: number[] = [];
  const confidence: number[] = [];
  const margin: number[] = [];
  for (const z of logits) {
    const p = softmax(z);
    const h = entropyNats(p);
    // Probabilities are ≥ 0, so 0 is a safe floor for both (and the answer for E < 2).
    let first = 0;
    let second = 0;
    for (const x of p) {
      if (x > first) {
        second = first;
        first = x;
      } else if (x > second) second = x;
    }
    entropy.push(h);
    normalisedEntropy.push(z.length > 1 ? h / Math.log(z.length) : 0);
    confidence.push(first);
    margin.push(first - second);
  }
  return { entropy, normalisedEntropy, confidence, margin };
}
