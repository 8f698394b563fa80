// Cross-lingual routing alignment maths (Multilingual Routing in MoE, Bandarkar et al. 2025):
// per layer, a sentence's mean softmax routing vector; Jensen–Shannon divergence against the
// parallel sentence in the reference language (English), in bits so it lies in [0, 1].
import type { Trace } from './trace';
import { softmax } from './routing';

/** Mean of per-token routing distributions: probs [T][E] (tokens × experts) → [E]. */
export function meanRoutingVector(probs: number[][]): number[] {
  const E = probs[0]?.length ?? 0;
  const out = new Array<number>(E).fill(0);
  for (const row of probs) for (let e = 0; e < E; e++) out[e] += row[e];
  return out.map((x) => x / Math.max(1, probs.length));
}

/** Shannon entropy in bits (0·log 0 = 0). */
export function entropyBits(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log2(p[i]);
  return h;
}

/**
 * Jensen–Shannon divergence in bits, in [0, 1]: JSD = ½·KL(p‖m) + ½·KL(q‖m), m = (p+q)/2, log base 2.
 * 0 for identical, 1 for disjoint distributions. Computed in the KL form so both ends are exact.
 */
export function jsdBits(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length)
    throw new Error(`jsdBits: distributions of length ${p.length} and ${q.length}`);
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) d += p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) d += q[i] * Math.log2(q[i] / m);
  }
  return Math.min(1, Math.max(0, d / 2));
}

/**
 * The entropy-normalised variant, labelled "JSD / mean entropy":
 *   nJSD(p, q) = JSD_bits(p, q) / ((H_bits(p) + H_bits(q)) / 2).
 * It discounts divergence between diffuse (high-entropy) routing vectors against divergence between
 * sharp ones. Range [0, ∞): unlike JSD it is not bounded by 1 (sharp, different vectors make it
 * large). Degenerate case: when both entropies are 0 (two one-hot vectors) it is 0 if p = q and
 * +Infinity otherwise. Shown beside jsdBits, never instead of it.
 */
export function jsdOverMeanEntropy(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const jsd = jsdBits(p, q);
  const h = (entropyBits(p) + entropyBits(q)) / 2;
  if (h > 0) return jsd / h;
  return jsd === 0 ? 0 : Infinity;
}

export interface LayerAlignment {
  ref: string;
  /** languages in the order given (the reference included: its rows are all 0) */
  languages: string[];
  /** parallel sentences per language */
  sentences: number;
  numLayers: number;
  /** lang → [L] mean over sentences of jsdBits(sentence vector, reference sentence vector); null on dense layers (no router) */
  jsd: Record<string, (number | null)[]>;
  /** lang → [L] mean over sentences of jsdOverMeanEntropy (same pairs); null on dense layers */
  jsdOverMeanEntropy: Record<string, (number | null)[]>;
}

/**
 * [L][E] (layers × experts) per-layer mean softmax routing vector of one sentence's trace; a dense
 * layer (no router) gives an empty vector.
 */
export function sentenceRoutingVectors(trace: Trace, what = 'trace'): number[][] {
  if (trace.tokens.length === 0) throw new Error(`${what}: has no tokens`);
  return trace.layers.map((l, i) => {
    if (l.kind === 'dense') return [];
    if (!l.routerLogits)
      throw new Error(
        `${what}: layers[${i}] has no routerLogits (alignment needs the full softmax routing vector)`,
      );
    return meanRoutingVector(l.routerLogits.map(softmax));
  });
}

/**
 * Per language and layer, the mean JSD (bits) between each sentence's mean routing vector and its
 * parallel sentence in `ref`. sets: lang → the traces of its sentences, parallel by position
 * (sets[lang][i] translates sets[ref][i]). Every trace needs router logits at every MoE layer;
 * dense layers (of the reference's first sentence) get null: there is no routing to compare.
 */
export function alignmentByLayer(sets: Record<string, Trace[]>, ref = 'en'): LayerAlignment {
  const languages = Object.keys(sets);
  const refSet = sets[ref];
  if (!refSet)
    throw new Error(
      `alignment: no sentences for the reference language "${ref}" (have: ${languages.join(', ') || 'none'})`,
    );
  const n = refSet.length;
  if (n === 0) throw new Error(`alignment: the reference language "${ref}" has no sentences`);
  const L = refSet[0].layers.length;
  const vectors: Record<string, number[][][]> = {};
  for (const lang of languages) {
    if (sets[lang].length !== n)
      throw new Error(
        `alignment: ${lang} has ${sets[lang].length} sentences, ${ref} has ${n} (the sets must be parallel)`,
      );
    sets[lang].forEach((tr, i) => {
      if (tr.layers.length !== L)
        throw new Error(
          `alignment: ${lang} sentence ${i} has ${tr.layers.length} layers, ${ref} sentence 0 has ${L}`,
        );
    });
  }
  for (const lang of languages)
    vectors[lang] = sets[lang].map((tr, i) =>
      sentenceRoutingVectors(tr, `alignment: ${lang} sentence ${i}`),
    );
  const jsd: Record<string, (number | null)[]> = {};
  const norm: Record<string, (number | null)[]> = {};
  for (const lang of languages) {
    jsd[lang] = [];
    norm[lang] = [];
    for (let l = 0; l < L; l++) {
      if (refSet[0].layers[l].kind === 'dense') {
        jsd[lang].push(null);
        norm[lang].push(null);
        continue;
      }
      let a = 0;
      let b = 0;
      for (let i = 0; i < n; i++) {
        const p = vectors[lang][i][l];
        const q = vectors[ref][i][l];
        if (p.length !== q.length)
          throw new Error(
            `alignment: layer ${l} has ${p.length} experts in ${lang} sentence ${i} but ${q.length} in ${ref}`,
          );
        a += jsdBits(p, q);
        b += jsdOverMeanEntropy(p, q);
      }
      jsd[lang].push(a / n);
      norm[lang].push(b / n);
    }
  }
  return { ref, languages, sentences: n, numLayers: L, jsd, jsdOverMeanEntropy: norm };
}

/** One layer's routing of a prompt: softmax probabilities [T × E], row-major; null for a dense layer. */
export interface LayerProbs {
  probs: ArrayLike<number>;
  T: number;
  E: number;
}

/**
 * Two prompts (e.g. a sentence and its translation) compared layer by layer: JSD in bits between
 * their mean routing vectors, the alignment measure applied to one pair of texts. null where
 * either prompt's layer is dense or missing, or the two have different expert counts.
 */
export function promptPairDivergence(a: (LayerProbs | null)[], b: (LayerProbs | null)[]): (number | null)[] {
  const mean = (x: LayerProbs) => {
    const out = new Array<number>(x.E).fill(0);
    for (let t = 0; t < x.T; t++) for (let e = 0; e < x.E; e++) out[e] += x.probs[t * x.E + e];
    return out.map((v) => v / Math.max(1, x.T));
  };
  return Array.from({ length: Math.max(a.length, b.length) }, (_, l) => {
    const x = a[l];
    const y = b[l];
    if (!x || !y || x.E !== y.E || x.E === 0 || x.T === 0 || y.T === 0) return null;
    return jsdBits(mean(x), mean(y));
  });
}
