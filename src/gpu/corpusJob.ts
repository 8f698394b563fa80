// The corpus view's run in the worker: the texts (or the bundle's probe articles) routed in batches
// through the split engine, aggregated as `moe-lab corpus` does (same windows, batches and
// accumulator, so the page shows the CLI's numbers); with a router or interventions set, the
// unmodified baseline is routed too and compared per layer.
import { forwardBatch } from './batch';
import { Cancelled } from './engine';
import type { Lab } from './lab';
import type { Progress } from './protocol';
import { parseIntervention } from '../routing/index';
import { CorpusAccumulator, meanSpecialisation } from '../routing/metrics/corpus';
import { addTraces, corpusLayerSpecs, modelLayerSpecs } from '../routing/metrics/corpusInputs';
import {
  batchesOf,
  compareCorpus,
  corpusWindows,
  type CorpusReport,
  type CorpusTexts,
} from '../routing/metrics/corpusRun';

export interface CorpusJob extends CorpusTexts {
  /** add the bundle's probe texts: each language one source, each article one sequence (the first `articles`) */
  probes?: { articles?: number };
  router: string;
  interventions: string[];
  minCount?: number;
  top?: number;
  contexts?: number;
  /** sequences per batch (default 32, the CLI's) */
  batch?: number;
}

export async function runCorpus(
  lab: Lab,
  job: CorpusJob,
  signal: { aborted: boolean },
  onProgress: (p: Progress) => void,
): Promise<CorpusReport> {
  const sources = [...job.sources];
  const texts = [...job.texts];
  if (job.probes) {
    if (!lab.probes.length) throw new Error('corpus: this bundle ships no probes/ texts');
    for (const p of lab.probes) {
      let s = sources.indexOf(p.lang);
      if (s < 0) s = sources.push(p.lang) - 1;
      for (const a of p.articles.slice(0, job.probes.articles ?? Infinity))
        texts.push({ source: s, text: a.text });
    }
  }
  const traces = job.traces ?? [];
  if (!texts.length && !traces.length)
    throw new Error('corpus: no sequence to route (the files hold only empty lines)');
  const m = lab.manifest;
  // (each trace must match the model's layers: an InputError naming the file otherwise)
  const specs = corpusLayerSpecs(modelLayerSpecs(m.layers), traces);
  // (only the options given: an undefined one would override the accumulator's default)
  const opts = Object.fromEntries(
    Object.entries({ minCount: job.minCount, top: job.top, contexts: job.contexts }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const acc = new CorpusAccumulator(specs, sources, opts);
  // captured traces: aggregated as captured, as `moe-lab corpus` does (nothing run)
  addTraces(acc, traces);
  const { windows, notices } = corpusWindows(
    texts.map((t) => ({ source: t.source, ids: lab.tokenizer.encode(t.text) })),
    sources.length,
    m.maxContext,
  );
  const policy = lab.policy(job.router);
  const ivs = job.interventions.map(parseIntervention);
  const changed = job.router !== 'native' || ivs.length > 0;
  if (changed && traces.length)
    notices.push(
      `the router and interventions apply to the texts only: the ${traces.length} trace${traces.length > 1 ? 's are' : ' is'} aggregated as captured`,
    );
  // [L][corpus tokens][k] of the run and of the baseline, for the comparison
  const sel: number[][][] = specs.map(() => []);
  const base: number[][][] = specs.map(() => []);
  const batches = batchesOf(
    windows.map((w) => w.ids.length),
    job.batch ?? 32,
  );
  const t0 = performance.now();
  let done = 0;
  let tokens = 0;
  onProgress({ status: 'item', label: 'Corpus: sequence', index: 0, count: windows.length });
  for (const batch of batches) {
    if (signal.aborted) throw new Cancelled();
    const chunk = batch.map((j) => windows[j]);
    const seqs = chunk.map((w) => w.ids);
    const r = await forwardBatch(lab.engine, { seqs, router: policy, interventions: ivs, signal });
    chunk.forEach((w, b) => {
      const events = r.events[b];
      acc.add({
        source: w.source,
        sequence: w.sequence,
        offset: w.offset,
        ids: w.ids,
        selected: events.map((e) => e.selected),
        gates: events.map((e) => e.gates),
      });
      if (changed) events.forEach((e, l) => sel[l].push(...e.selected));
    });
    if (changed) {
      const nat = await forwardBatch(lab.engine, {
        seqs,
        router: lab.policy('native'),
        interventions: [],
        signal,
      });
      nat.events.forEach((events) => events.forEach((e, l) => base[l].push(...e.selected)));
    }
    done += chunk.length;
    tokens += seqs.reduce((a, s) => a + s.length, 0);
    onProgress({ status: 'item', label: 'Corpus: sequence', index: done, count: windows.length });
  }
  const seconds = (performance.now() - t0) / 1000;
  const layers = acc.report((id) => lab.tokenizer.tokenText(id));
  return {
    model: m.id,
    router: job.router,
    interventions: job.interventions,
    tokens: acc.tokens,
    sources: sources.map((name, s) => ({
      name,
      sequences: acc.sourceSequences[s],
      tokens: acc.sourceTokens[s],
    })),
    layers,
    specialisation: meanSpecialisation(layers, sources),
    notices,
    ...(changed ? { compare: compareCorpus(base, sel, specs) } : {}),
    run: {
      seconds: Math.round(seconds * 100) / 100,
      tokensPerSecond: Math.round(tokens / Math.max(seconds, 1e-3)),
    },
  };
}
