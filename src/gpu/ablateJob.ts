// The corpus view's *Ablate* in the worker: `moe-lab ablate` on the same texts (same windows,
// batches and order of draws, so the same numbers). Route the corpus natively to find, per MoE
// layer, the n experts the source prefers; mask them and measure the mean per-token loss change
// on the source and on the others; then mask n random experts per layer over several seeds.
import { forwardBatch } from './batch';
import { Cancelled } from './engine';
import type { Lab } from './lab';
import type { Progress } from './protocol';
import { parseIntervention } from '../routing/index';
import { createRng } from '../routing/rng';
import { CorpusAccumulator, type CorpusLayerSpec } from '../routing/metrics/corpus';
import {
  meanOverTokens,
  preferredExperts,
  randomExperts,
  spread,
} from '../routing/metrics/ablation';
import {
  batchesOf,
  corpusWindows,
  type AblationResult,
  type CorpusTexts,
  type CorpusWindow,
} from '../routing/metrics/corpusRun';

export interface AblateJob extends CorpusTexts {
  probes?: { articles?: number };
  /** the source whose preferred experts are masked */
  source: string;
  n: number;
  seeds: number;
  /** the first seed (default 0) */
  seed?: number;
  batch?: number;
}

export async function runAblation(
  lab: Lab,
  job: AblateJob,
  signal: { aborted: boolean },
  onProgress: (p: Progress) => void,
): Promise<AblationResult> {
  const sources = [...job.sources];
  const texts = [...job.texts];
  if (job.traces?.length)
    throw new Error(
      `${job.traces[0].file}: ablate runs the model on texts; a captured trace has no loss to ablate (route the corpus without trace files)`,
    );
  if (job.probes)
    for (const p of lab.probes) {
      let s = sources.indexOf(p.lang);
      if (s < 0) s = sources.push(p.lang) - 1;
      for (const a of p.articles.slice(0, job.probes.articles ?? Infinity))
        texts.push({ source: s, text: a.text });
    }
  const target = sources.indexOf(job.source);
  if (target < 0)
    throw new Error(`ablate: no source "${job.source}" (have: ${sources.join(', ')})`);
  if (sources.length < 2)
    throw new Error(
      'ablate: needs at least two sources (the target and the others it is compared with)',
    );
  const m = lab.manifest;
  const layers = m.layers.flatMap((s, l) => (s.kind === 'moe' ? [l] : []));
  for (const l of layers)
    if (job.n > m.layers[l].numExperts)
      throw new Error(`ablate: n = ${job.n}, but layer ${l} has ${m.layers[l].numExperts} experts`);
  const { windows } = corpusWindows(
    texts.map((t) => ({ source: t.source, ids: lab.tokenizer.encode(t.text) })),
    sources.length,
    m.maxContext,
  );
  const batches = batchesOf(
    windows.map((w) => w.ids.length),
    job.batch ?? 32,
  );
  const S = sources.length;
  const passes = 2 + job.seeds;
  let passIndex = 0;
  const pass = async (
    interventions: string[],
    onWindow?: (w: CorpusWindow, sel: number[][][]) => void,
  ) => {
    const ivs = interventions.map(parseIntervention);
    const losses: number[][][] = Array.from({ length: S }, () => []);
    for (const batch of batches) {
      if (signal.aborted) throw new Cancelled();
      const chunk = batch.map((j) => windows[j]);
      const r = await forwardBatch(lab.engine, {
        seqs: chunk.map((w) => w.ids),
        router: lab.policy('native'),
        interventions: ivs,
        loss: true,
        signal,
      });
      chunk.forEach((w, b) => {
        losses[w.source].push(r.loss?.[b] ?? []);
        onWindow?.(
          w,
          r.events[b].map((e) => e.selected),
        );
      });
    }
    onProgress({ status: 'item', label: 'Ablation: pass', index: ++passIndex, count: passes });
    const perSource = losses.map((x) => meanOverTokens(x));
    return {
      perSource,
      target: perSource[target],
      others: meanOverTokens(losses.filter((_, s) => s !== target).flat()),
    };
  };
  const specs: CorpusLayerSpec[] = m.layers.map((l) => ({
    kind: l.kind === 'dense' ? 'dense' : 'moe',
    numExperts: l.kind === 'dense' ? 0 : l.numExperts,
    topK: l.kind === 'dense' ? 0 : l.topK,
  }));
  const acc = new CorpusAccumulator(specs, sources, { top: 0, contexts: 0 });
  onProgress({ status: 'item', label: 'Ablation: pass', index: 0, count: passes });
  const base = await pass([], (w, selected) =>
    acc.add({ source: w.source, sequence: w.sequence, offset: w.offset, ids: w.ids, selected }),
  );
  const report = acc.report(String);
  const chosen = layers.map((l) => {
    const r = report[l];
    return r.kind === 'moe'
      ? preferredExperts(
          r.experts.map((e) => e.sources[job.source]),
          job.n,
        )
      : [];
  });
  const specOf = (experts: number[][]) =>
    layers.map((l, i) => `mask:layers=${l},experts=${experts[i].join('+')}`);
  const delta = (r: Awaited<ReturnType<typeof pass>>) => ({
    target: r.target! - base.target!,
    others: r.others! - base.others!,
  });
  const targeted = delta(await pass(specOf(chosen)));
  const random: { target: number; others: number }[] = [];
  const seed0 = job.seed ?? 0;
  for (let k = 0; k < job.seeds; k++) {
    const rng = createRng(seed0 + k);
    random.push(
      delta(
        await pass(specOf(layers.map((l) => randomExperts(m.layers[l].numExperts, job.n, rng)))),
      ),
    );
  }
  return {
    source: job.source,
    n: job.n,
    layers,
    baseline: { target: base.target!, others: base.others! },
    preferred: { experts: chosen, deltaLoss: targeted },
    random: {
      target: spread(random.map((r) => r.target)),
      others: spread(random.map((r) => r.others)),
    },
  };
}
