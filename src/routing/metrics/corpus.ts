// Corpus-scale expert specialisation (issue 19, `moe-lab corpus`): per layer and expert, the load,
// the share of each source's tokens routed to it (OLMoE's domain specialisation), the tokens it
// takes most of (OLMoE's vocabulary specialisation) and its top activating contexts. Sequences are
// added one at a time, so a corpus never has to sit in memory; only counts and the few best
// contexts per expert are kept.
//
// Axes: S = sources, E = experts of a layer, L = layers, T = tokens of a sequence, k_t = experts
// chosen for token t.

/** One layer as the corpus sees it. */
export interface CorpusLayerSpec {
  kind: 'moe' | 'dense';
  numExperts: number;
  /** k of uniform routing k/E (the model's top-k; a trace without a model: its widest selection) */
  topK: number;
}

/** One routed sequence: its token ids and, per layer, what each token chose. */
export interface CorpusSequence {
  /** index into the accumulator's sources */
  source: number;
  /** [T] token ids */
  ids: number[];
  /** [L] per layer [T][k_t] expert ids (empty per token for a dense layer) */
  selected: number[][][];
  /** [L] per layer [T][k_t] gates matching `selected`; absent when the capture has none */
  gates?: number[][][];
  /**
   * A window of a longer sequence: the sequence's index within its source and the position of the
   * window's first token (default: the next sequence of the source, offset 0). Windows with an
   * offset > 0 do not count as another sequence.
   */
  sequence?: number;
  offset?: number;
}

export interface CorpusContext {
  gate: number;
  /** source name */
  source: string;
  /** the sequence's index within its source (0-based, in input order) */
  sequence: number;
  /** the token's position in the sequence */
  position: number;
  /** [≤ 2w + 1] token ids around it; the token is at `at` */
  ids: number[];
  at: number;
  /** the same as text: before, the token, after */
  before: string;
  token: string;
  after: string;
}

export interface CorpusTopToken {
  id: number;
  text: string;
  /** occurrences in the corpus */
  count: number;
  /** occurrences routed to this expert / occurrences */
  share: number;
}

export interface CorpusExpert {
  id: number;
  /** selections of this expert / all selections in the layer (0 when the layer selected nothing) */
  load: number;
  /** per source: its tokens whose selection includes this expert / its tokens (uniform: k/E) */
  sources: Record<string, number>;
  topTokens: CorpusTopToken[];
  contexts: CorpusContext[];
}

export type CorpusLayer =
  | {
      index: number;
      kind: 'moe';
      numExperts: number;
      topK: number;
      experts: CorpusExpert[];
      /** per source: max over experts of share ÷ (k/E); 1 = no expert prefers it beyond uniform */
      specialisation: Record<string, number | null>;
    }
  | { index: number; kind: 'dense' };

export interface CorpusOptions {
  /** tokens must occur at least this often in the corpus to be a top token (default 3) */
  minCount?: number;
  /** top tokens per expert (default 10) */
  top?: number;
  /** contexts per expert (default 5) */
  contexts?: number;
  /** tokens either side of a context's token (default 4) */
  window?: number;
}

interface Kept {
  gate: number;
  position: number;
  source: number;
  sequence: number;
  ids: number[];
  at: number;
}

/** a before b: higher gate, then earlier source, sequence, position (independent of the order sequences are added in) */
const better = (a: Kept, b: Kept) =>
  a.gate !== b.gate
    ? a.gate > b.gate
    : a.source !== b.source
      ? a.source < b.source
      : a.sequence !== b.sequence
        ? a.sequence < b.sequence
        : a.position < b.position;

export class CorpusAccumulator {
  /** [S] tokens per source */
  readonly sourceTokens: number[];
  /** [S] sequences per source */
  readonly sourceSequences: number[];
  /** occurrences of each token id in the corpus */
  readonly occurrences = new Map<number, number>();
  /** [L][E] selections */
  private selections: Float64Array[];
  /** [L][E × S] tokens of source s whose selection includes e */
  private bySource: Float64Array[];
  /** [L] token id → [E] occurrences routed to e */
  private byToken: Map<number, Int32Array>[];
  /** [L][E] best contexts, best first */
  private kept: Kept[][][];
  private readonly opts: Required<CorpusOptions>;
  /** false once a sequence without gates was added: contexts need gates */
  hasGates = true;

  constructor(
    readonly layers: CorpusLayerSpec[],
    readonly sources: string[],
    opts: CorpusOptions = {},
  ) {
    this.opts = { minCount: 3, top: 10, contexts: 5, window: 4, ...opts };
    for (const [k, v] of Object.entries(this.opts))
      if (!(Number.isInteger(v) && v >= 0))
        throw new Error(`corpus: ${k} must be a non-negative integer, got ${v}`);
    const S = sources.length;
    this.sourceTokens = new Array<number>(S).fill(0);
    this.sourceSequences = new Array<number>(S).fill(0);
    this.selections = layers.map((l) => new Float64Array(l.kind === 'moe' ? l.numExperts : 0));
    this.bySource = layers.map((l) => new Float64Array(l.kind === 'moe' ? l.numExperts * S : 0));
    this.byToken = layers.map(() => new Map());
    this.kept = layers.map((l) =>
      Array.from({ length: l.kind === 'moe' ? l.numExperts : 0 }, () => []),
    );
  }

  get tokens(): number {
    return this.sourceTokens.reduce((a, b) => a + b, 0);
  }

  add(seq: CorpusSequence): void {
    const { ids, source: s } = seq;
    const T = ids.length;
    const S = this.sources.length;
    if (!(Number.isInteger(s) && s >= 0 && s < S))
      throw new Error(`corpus: source index ${s} out of range 0..${S - 1}`);
    if (seq.selected.length !== this.layers.length)
      throw new Error(
        `corpus: a sequence has ${seq.selected.length} layers, the corpus ${this.layers.length}`,
      );
    const offset = seq.offset ?? 0;
    const sequence = seq.sequence ?? this.sourceSequences[s];
    if (offset === 0) this.sourceSequences[s]++;
    this.sourceTokens[s] += T;
    for (const id of ids) this.occurrences.set(id, (this.occurrences.get(id) ?? 0) + 1);
    if (!seq.gates) this.hasGates = false;
    const w = this.opts.window;
    this.layers.forEach((spec, l) => {
      if (spec.kind !== 'moe') return;
      const E = spec.numExperts;
      const sel = seq.selected[l];
      if (sel.length !== T)
        throw new Error(`corpus: layer ${l} has ${sel.length} tokens, the sequence ${T}`);
      const sels = this.selections[l];
      const bySrc = this.bySource[l];
      const byTok = this.byToken[l];
      for (let t = 0; t < T; t++) {
        let row = byTok.get(ids[t]);
        if (!row) byTok.set(ids[t], (row = new Int32Array(E)));
        const seen = new Set<number>();
        sel[t].forEach((e, j) => {
          if (!(Number.isInteger(e) && e >= 0 && e < E))
            throw new Error(`corpus: layer ${l} token ${t}: expert ${e} out of range 0..${E - 1}`);
          sels[e]++;
          if (seen.has(e)) return; // a token counts once per expert
          seen.add(e);
          bySrc[e * S + s]++;
          row[e]++;
          const gate = seq.gates?.[l]?.[t]?.[j];
          if (gate !== undefined && this.opts.contexts > 0)
            this.keep(l, e, { gate, position: offset + t, source: s, sequence, ids, at: t }, w);
        });
      }
    });
  }

  private keep(l: number, e: number, c: Kept, w: number): void {
    const list = this.kept[l][e];
    const n = this.opts.contexts;
    if (list.length >= n && !better(c, list[list.length - 1])) return;
    const lo = Math.max(0, c.at - w);
    const item = { ...c, ids: c.ids.slice(lo, c.at + w + 1), at: c.at - lo };
    let i = list.length;
    while (i > 0 && better(item, list[i - 1])) i--;
    list.splice(i, 0, item);
    if (list.length > n) list.pop();
  }

  /** The report's layers. `text` spells a token id (the bundle's tokenizer, or the traces' texts). */
  report(text: (id: number) => string): CorpusLayer[] {
    const { minCount, top } = this.opts;
    const S = this.sources.length;
    const frequent = [...this.occurrences].filter(([, c]) => c >= minCount);
    return this.layers.map((spec, index) => {
      if (spec.kind !== 'moe') return { index, kind: 'dense' as const };
      const E = spec.numExperts;
      const sels = this.selections[index];
      const total = sels.reduce((a, b) => a + b, 0);
      const bySrc = this.bySource[index];
      const byTok = this.byToken[index];
      const experts: CorpusExpert[] = Array.from({ length: E }, (_, e) => {
        const sources: Record<string, number> = {};
        this.sources.forEach(
          (name, s) =>
            (sources[name] = this.sourceTokens[s] ? bySrc[e * S + s] / this.sourceTokens[s] : 0),
        );
        const topTokens = topTokensOf(
          frequent.map(([id, count]) => ({ id, count, routed: byTok.get(id)?.[e] ?? 0 })),
          top,
        ).map((x) => ({ ...x, text: text(x.id) }));
        const contexts = this.kept[index][e].map((c) => ({
          gate: c.gate,
          source: this.sources[c.source],
          sequence: c.sequence,
          position: c.position,
          ids: c.ids,
          at: c.at,
          before: c.ids.slice(0, c.at).map(text).join(''),
          token: text(c.ids[c.at]),
          after: c.ids
            .slice(c.at + 1)
            .map(text)
            .join(''),
        }));
        return {
          id: e,
          load: total ? sels[e] / total : 0,
          sources,
          topTokens: topTokens.map(({ id, text: t, count, share }) => ({
            id,
            text: t,
            count,
            share,
          })),
          contexts,
        };
      });
      return {
        index,
        kind: 'moe' as const,
        numExperts: E,
        topK: spec.topK,
        experts,
        specialisation: specialisation(experts, this.sources, this.sourceTokens, spec.topK, E),
      };
    });
  }
}

/**
 * OLMoE's vocabulary specialisation for one expert: tokens (already filtered to count ≥ min-count)
 * with share = routed / count, sorted by share desc, then count desc, then id asc; the first `top`.
 */
export function topTokensOf(
  tokens: { id: number; count: number; routed: number }[],
  top: number,
): { id: number; count: number; share: number }[] {
  return tokens
    .map(({ id, count, routed }) => ({ id, count, share: routed / count }))
    .sort((a, b) => b.share - a.share || b.count - a.count || a.id - b.id)
    .slice(0, top);
}

/**
 * Per source: the max over experts of share ÷ (k/E) — how much more than uniform routing the most
 * source-specific expert takes. null for a source with no tokens.
 */
export function specialisation(
  experts: { sources: Record<string, number> }[],
  sources: string[],
  sourceTokens: number[],
  k: number,
  E: number,
): Record<string, number | null> {
  const uniform = k / E;
  return Object.fromEntries(
    sources.map((name, s) => [
      name,
      sourceTokens[s] && uniform > 0
        ? Math.max(...experts.map((x) => x.sources[name])) / uniform
        : null,
    ]),
  );
}

/** Model-wide: per source, the mean over MoE layers of the layer's specialisation (null-free layers). */
export function meanSpecialisation(
  layers: CorpusLayer[],
  sources: string[],
): Record<string, number | null> {
  const moe = layers.filter((l) => l.kind === 'moe');
  return Object.fromEntries(
    sources.map((name) => {
      const xs = moe
        .map((l) => (l.kind === 'moe' ? l.specialisation[name] : null))
        .filter((x): x is number => x !== null);
      return [name, xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null];
    }),
  );
}

/**
 * Windows of at most `max` tokens without overlap, in order (the last one shorter): how a sequence
 * longer than the model's context is routed.
 */
export function contextWindows(ids: number[], max: number): number[][] {
  if (!(Number.isInteger(max) && max >= 1))
    throw new Error(`corpus: context must be a positive integer, got ${max}`);
  const out: number[][] = [];
  for (let i = 0; i < ids.length; i += max) out.push(ids.slice(i, i + max));
  return out;
}
