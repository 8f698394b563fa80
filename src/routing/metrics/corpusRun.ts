// The corpus view's pure parts (issue 19, the page half of `moe-lab corpus`): picked text files →
// sources and sequences exactly as the CLI reads them, windows and batches as the CLI routes them,
// the report the worker sends back, the comparison of a run with the unmodified baseline summed
// over the corpus, and the expert atlas's profiles.
import { compareRouting } from './compare';
import { contextWindows, type CorpusLayer } from './corpus';
import { pca2 } from './pca';
import type { Spread } from './ablation';
import type { CorpusTrace } from './corpusInputs';

/** Texts to route: each picked file one source, each non-empty line one sequence (as the CLI). */
export interface CorpusTexts {
  sources: string[];
  texts: { source: number; text: string }[];
  /** captured traces (corpusInputs.ts): aggregated as captured, nothing run */
  traces?: CorpusTrace[];
}

/** A file's source name: its name without the extension (the CLI's basename(file, extname(file))). */
export function sourceName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Files (name, text) → sources and sequences; files of the same name share a source. */
export function corpusTextsOf(files: { name: string; text: string }[]): CorpusTexts {
  const out: CorpusTexts = { sources: [], texts: [] };
  for (const f of files) {
    const name = sourceName(f.name);
    let s = out.sources.indexOf(name);
    if (s < 0) s = out.sources.push(name) - 1;
    for (const line of f.text.split(/\r?\n/))
      if (line.trim()) out.texts.push({ source: s, text: line });
  }
  return out;
}

export interface CorpusWindow {
  source: number;
  /** the sequence's index within its source */
  sequence: number;
  /** position of the window's first token in its sequence */
  offset: number;
  ids: number[];
}

/** Token ids of each text → windows of `max` tokens without overlap, with the CLI's notices. */
export function corpusWindows(
  encoded: { source: number; ids: number[] }[],
  nSources: number,
  max: number,
): { windows: CorpusWindow[]; notices: string[] } {
  const perSource = new Array<number>(nSources).fill(0);
  const windows: CorpusWindow[] = [];
  let split = 0;
  let empty = 0;
  for (const { source, ids } of encoded) {
    if (!ids.length) {
      empty++;
      continue;
    }
    const ws = contextWindows(ids, max);
    if (ws.length > 1) split++;
    const sequence = perSource[source]++;
    ws.forEach((w, i) => windows.push({ source, sequence, offset: i * max, ids: w }));
  }
  const notices: string[] = [];
  if (split)
    notices.push(
      `${split} sequence${split > 1 ? 's' : ''} longer than the model's context of ${max} tokens ${split > 1 ? 'were' : 'was'} split into windows of ${max} without overlap`,
    );
  if (empty)
    notices.push(
      `${empty} line${empty > 1 ? 's' : ''} gave no token and ${empty > 1 ? 'were' : 'was'} skipped`,
    );
  return { windows, notices };
}

/** Padded tokens (B × longest) one batch may hold (the CLI's BATCH_TOKENS). */
export const BATCH_TOKENS = 8192;

/** Window indices in batches: by length, at most `max` sequences and `budget` padded tokens each. */
export function batchesOf(lengths: number[], max: number, budget = BATCH_TOKENS): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const out: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    if (cur.length && (cur.length >= max || (cur.length + 1) * lengths[i] > budget)) {
      out.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Per MoE layer: the run against the unmodified baseline over every token of the corpus. */
export interface CorpusCompareLayer {
  index: number;
  /** share of tokens whose expert set is unchanged */
  unchanged: number;
  /** mean Jaccard of the expert sets */
  jaccard: number;
  /** total variation distance of the loads */
  loadDrift: number;
  flipped: number;
  tokens: number;
}

/**
 * a, b: [L][tokens of the whole corpus][k] (baseline, run), layer kinds from `moe`. The corpus is
 * compared as one long sequence: per-token measures average over all its tokens.
 */
export function compareCorpus(
  a: number[][][],
  b: number[][][],
  layers: { kind: 'moe' | 'dense'; numExperts: number }[],
): CorpusCompareLayer[] {
  return layers.flatMap((spec, l) => {
    if (spec.kind !== 'moe') return [];
    const r = compareRouting(a[l], b[l], spec.numExperts);
    return [
      {
        index: l,
        unchanged: r.unchanged,
        jaccard: r.jaccard,
        loadDrift: r.loadDrift,
        flipped: r.flipped.length,
        tokens: a[l].length,
      },
    ];
  });
}

/** What the worker answers a corpus request with: `moe-lab corpus`'s report, plus the comparison. */
export interface CorpusReport {
  model: string;
  router: string;
  interventions: string[];
  tokens: number;
  sources: { name: string; sequences: number; tokens: number }[];
  layers: CorpusLayer[];
  specialisation: Record<string, number | null>;
  notices: string[];
  /** with a router or interventions set: the run against the unmodified baseline, per MoE layer */
  compare?: CorpusCompareLayer[];
  run: { seconds: number; tokensPerSecond: number };
}

export interface AtlasPoint {
  layer: number;
  expert: number;
  x: number;
  y: number;
  /** the source with the largest share (ties: the first) */
  dominant: number;
  /** that share ÷ (k/E): how far beyond uniform the expert prefers it */
  ratio: number;
}

/**
 * The expert atlas: every (layer, expert) of the MoE layers, laid out by PCA of its source profile
 * (its shares normalised to sum 1, so a busy expert and a quiet one with the same preferences sit
 * together; never chosen: uniform).
 */
export function expertAtlas(report: Pick<CorpusReport, 'layers' | 'sources'>): {
  points: AtlasPoint[];
  explained: [number, number];
} {
  const names = report.sources.map((s) => s.name);
  const S = names.length;
  const rows: number[][] = [];
  const meta: Omit<AtlasPoint, 'x' | 'y'>[] = [];
  for (const l of report.layers) {
    if (l.kind !== 'moe') continue;
    const uniform = l.topK / l.numExperts;
    for (const e of l.experts) {
      const shares = names.map((n) => e.sources[n] ?? 0);
      const sum = shares.reduce((a, b) => a + b, 0);
      rows.push(sum > 0 ? shares.map((x) => x / sum) : shares.map(() => 1 / S));
      let dominant = 0;
      shares.forEach((x, s) => {
        if (x > shares[dominant]) dominant = s;
      });
      meta.push({
        layer: l.index,
        expert: e.id,
        dominant,
        ratio: uniform > 0 ? shares[dominant] / uniform : 0,
      });
    }
  }
  const p = pca2(rows);
  return {
    points: meta.map((m, i) => ({ ...m, x: p.points[i][0], y: p.points[i][1] })),
    explained: p.explained,
  };
}

/** The corpus view's ablation (`moe-lab ablate`'s numbers): mean per-token loss (nats) and its change. */
export interface AblationResult {
  source: string;
  n: number;
  /** the MoE layers masked */
  layers: number[];
  /** mean per-token loss on the source and on the other sources pooled, unmodified */
  baseline: { target: number; others: number };
  /** per masked layer, the n experts the source prefers; the loss change when they are masked */
  preferred: { experts: number[][]; deltaLoss: { target: number; others: number } };
  /** n random experts per layer, over the seeds: the loss change's mean and spread */
  random: { target: Spread; others: Spread };
}

/** Per MoE layer: how a corpus run's aggregates moved from an earlier run's. */
export interface ReportDrift {
  index: number;
  /** total variation distance of the expert loads, ½ Σ_e |load_e − load'_e| */
  loadDrift: number;
  /** the largest |share change| over experts and the sources both runs have, and where */
  maxShareChange: { expert: number; source: string; delta: number } | null;
}

/**
 * Two corpus reports of one model (e.g. before and after an intervention, or two routers): per
 * MoE layer present in both with the same expert count, the load drift and the largest change of a
 * source's share on an expert (signed: now − before). Per-token measures (unchanged sets,
 * Jaccard) need the tokens, which a report does not keep.
 */
export function compareReports(
  before: Pick<CorpusReport, 'layers'>,
  now: Pick<CorpusReport, 'layers'>,
): ReportDrift[] {
  return now.layers.flatMap((l) => {
    const b = before.layers.find((x) => x.index === l.index);
    if (l.kind !== 'moe' || b?.kind !== 'moe' || b.numExperts !== l.numExperts) return [];
    let drift = 0;
    let best: ReportDrift['maxShareChange'] = null;
    l.experts.forEach((e, i) => {
      const eb = b.experts[i];
      drift += Math.abs(e.load - eb.load);
      for (const [source, share] of Object.entries(e.sources)) {
        if (!(source in eb.sources)) continue;
        const delta = share - eb.sources[source];
        if (!best || Math.abs(delta) > Math.abs(best.delta)) best = { expert: e.id, source, delta };
      }
    });
    return [{ index: l.index, loadDrift: drift / 2, maxShareChange: best }];
  });
}
