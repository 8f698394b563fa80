// Two models (or two runs) over the same corpus, side by side (issue 21: babel-moe vs deepseek-moe on the
// probe texts): per source and MoE layer, how specialised the most source-specific expert is, and how many
// experts the source's tokens actually use. Inputs are two `moe-lab corpus` reports.
import type { CorpusLayer } from './corpus';

type MoeLayer = Extract<CorpusLayer, { kind: 'moe' }>;

export interface SourceUse {
  /** max over experts of share ÷ (k/E) (the corpus report's specialisation) */
  specialisation: number;
  /** exp(entropy) of the source's selections over experts: 1 = one expert takes all, E = uniform */
  effectiveExperts: number;
  /** effectiveExperts ÷ E, so models with different E compare */
  effectiveShare: number;
  /** fewest experts that together carry ≥ 90 % of the source's selections */
  cover90: number;
}

/**
 * One source in one layer. The source's selections over experts are p_e = share_e / Σ share (share_e: the
 * fraction of the source's tokens whose top-k includes e, so Σ share = k when every token selects k).
 * null when the source has no selections in the layer.
 */
export function sourceUse(layer: MoeLayer, source: string): SourceUse | null {
  const shares = layer.experts.map((e) => e.sources[source] ?? 0);
  const sum = shares.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return null;
  const p = shares.map((s) => s / sum);
  const H = -p.reduce((a, x) => (x > 0 ? a + x * Math.log(x) : a), 0);
  const sorted = [...p].sort((a, b) => b - a);
  let cover90 = 0;
  // 1e-12: shares that sum to exactly 0.9 in exact arithmetic must not need one more expert from rounding
  for (let acc = 0; acc < 0.9 - 1e-12 && cover90 < sorted.length; cover90++) acc += sorted[cover90];
  const uniform = layer.topK / layer.numExperts;
  return {
    specialisation: Math.max(...shares) / uniform,
    effectiveExperts: Math.exp(H),
    effectiveShare: Math.exp(H) / layer.numExperts,
    cover90,
  };
}

export interface ModelReportLike {
  model: string;
  sources: { name: string; tokens: number }[];
  layers: CorpusLayer[];
}

export interface SourceSummary {
  source: string;
  /** per model (a, b): means over its MoE layers */
  a: {
    specialisation: number;
    effectiveExperts: number;
    effectiveShare: number;
    cover90: number;
  } | null;
  b: {
    specialisation: number;
    effectiveExperts: number;
    effectiveShare: number;
    cover90: number;
  } | null;
}

export interface CorpusModelsComparison {
  models: [string, string];
  experts: [number[], number[]];
  sources: string[];
  summary: SourceSummary[];
  layers: {
    model: 'a' | 'b';
    index: number;
    numExperts: number;
    topK: number;
    sources: Record<string, SourceUse | null>;
  }[];
  notices: string[];
}

function meanUse(uses: (SourceUse | null)[]): SourceSummary['a'] {
  const xs = uses.filter((u): u is SourceUse => u !== null);
  if (!xs.length) return null;
  const m = (f: (u: SourceUse) => number) => xs.reduce((a, u) => a + f(u), 0) / xs.length;
  return {
    specialisation: m((u) => u.specialisation),
    effectiveExperts: m((u) => u.effectiveExperts),
    effectiveShare: m((u) => u.effectiveShare),
    cover90: m((u) => u.cover90),
  };
}

/** Sources are matched by name; ones only in one report are listed in a notice and left out. */
export function compareCorpusModels(
  a: ModelReportLike,
  b: ModelReportLike,
): CorpusModelsComparison {
  const inB = new Set(b.sources.map((s) => s.name));
  const names = a.sources.map((s) => s.name).filter((n) => inB.has(n));
  const notices: string[] = [];
  const only = [
    ...a.sources.filter((s) => !inB.has(s.name)).map((s) => `${s.name} (only in ${a.model})`),
    ...b.sources
      .filter((s) => !a.sources.some((x) => x.name === s.name))
      .map((s) => `${s.name} (only in ${b.model})`),
  ];
  if (only.length) notices.push(`sources left out: ${only.join(', ')}`);
  for (const n of names) {
    const ta = a.sources.find((s) => s.name === n)!.tokens;
    const tb = b.sources.find((s) => s.name === n)!.tokens;
    if (ta !== tb)
      notices.push(
        `${n}: ${ta} tokens in ${a.model}, ${tb} in ${b.model} (different tokenizers or texts)`,
      );
  }
  const moe = (r: ModelReportLike) => r.layers.filter((l): l is MoeLayer => l.kind === 'moe');
  const layers: CorpusModelsComparison['layers'] = [];
  for (const [tag, r] of [
    ['a', a],
    ['b', b],
  ] as const)
    for (const l of moe(r))
      layers.push({
        model: tag,
        index: l.index,
        numExperts: l.numExperts,
        topK: l.topK,
        sources: Object.fromEntries(names.map((n) => [n, sourceUse(l, n)])),
      });
  const of = (tag: 'a' | 'b', n: string) =>
    meanUse(layers.filter((l) => l.model === tag).map((l) => l.sources[n]));
  return {
    models: [a.model, b.model],
    experts: [moe(a).map((l) => l.numExperts), moe(b).map((l) => l.numExperts)],
    sources: names,
    summary: names.map((n) => ({ source: n, a: of('a', n), b: of('b', n) })),
    layers,
    notices,
  };
}

/** Is this parsed JSON a `moe-lab corpus` report (rather than a trace)? */
export function isCorpusReport(j: unknown): j is ModelReportLike {
  const o = j as { sources?: unknown; layers?: unknown };
  return (
    typeof j === 'object' &&
    j !== null &&
    Array.isArray(o.sources) &&
    Array.isArray(o.layers) &&
    (o.layers as { kind?: string; experts?: unknown }[]).some(
      (l) => l?.kind === 'moe' && Array.isArray(l.experts),
    )
  );
}
