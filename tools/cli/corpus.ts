// `moe-lab corpus`: expert specialisation over datasets (issue 19) — per layer and expert, the load,
// each source's share, the top tokens and top activating contexts — from texts routed through the
// engine in batches, or from captured trace JSON (nothing run).
import { BATCH_TOKENS, batchesOf, corpusWindows, type CorpusWindow } from '../../src/routing/metrics/corpusRun';
import { rename, writeFile } from 'node:fs/promises';
import { all, checkFlags, has, intFlag, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab, readBundle } from './nodeBundle';
import { readCorpusInputs, type CorpusInputs } from './corpusInputs';
import type { Lab } from '../../src/gpu/lab';
import { forwardBatch } from '../../src/gpu/batch';
import { Cancelled } from '../../src/gpu/engine';
import { LabTokenizer } from '../../src/models/tokenizer';
import { parseIntervention, parsePolicySpec } from '../../src/routing/index';
import {
  CorpusAccumulator,
  meanSpecialisation,
  type CorpusLayerSpec,
} from '../../src/routing/metrics/corpus';
import type { LayerEvent } from '../../src/routing/run';

export const CORPUS_FLAGS = [
  'model',
  'router',
  'intervene',
  'min-count',
  'top',
  'contexts',
  'batch',
  'backend',
  'probes',
  'articles',
  'out',
];

/** One window of a text to route: its source, the sequence it belongs to, its first position. */
export type Window = CorpusWindow;

/** Texts → windows of the model's context without overlap; notices say how many were split. */
export function windowsOf(lab: Lab, texts: CorpusInputs['texts'], nSources: number): { windows: Window[]; notices: string[] } {
  const encoded = texts.map(({ source, text }) => ({ source, ids: lab.tokenizer.encode(text) }));
  return corpusWindows(encoded, nSources, lab.manifest.maxContext);
}

/** Progress on stderr: a bar on a terminal, a line per tenth otherwise. */
export function progressBar(label: string, total: number) {
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  return (done: number, tokens: number) => {
    const frac = total ? done / total : 1;
    const rate = tokens / Math.max(1e-3, (performance.now() - t0) / 1000);
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${label} [${bar}] ${done}/${total} sequences, ${tokens} tokens, ${Math.round(rate)} tokens/s`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (Math.floor(frac * 10) !== lastTenth) {
      lastTenth = Math.floor(frac * 10);
      process.stderr.write(line + '\n');
    }
  };
}

/** Ctrl-C sets the flag (the run stops between layers); a second one exits at once. */
export function interruptible(): { signal: { aborted: boolean }; done: () => void } {
  const signal = { aborted: false };
  const onInt = () => {
    if (signal.aborted) process.exit(130);
    signal.aborted = true;
  };
  process.on('SIGINT', onInt);
  return { signal, done: () => process.off('SIGINT', onInt) };
}

export { BATCH_TOKENS, batchesOf };

/**
 * Route windows through the engine in batches (batchesOf; results do not depend on the order).
 * onWindow gets each window's events (and losses).
 */
export async function routeWindows(
  lab: Lab,
  windows: Window[],
  opts: {
    router: string;
    interventions: string[];
    batch: number;
    loss?: boolean;
    signal: { aborted: boolean };
    label: string;
  },
  onWindow: (w: Window, events: LayerEvent[], loss?: number[]) => void,
): Promise<{ seconds: number; tokens: number }> {
  const batches = batchesOf(
    windows.map((w) => w.ids.length),
    opts.batch,
  );
  const policy = lab.policy(opts.router);
  const ivs = opts.interventions.map(parseIntervention);
  const bar = progressBar(opts.label, windows.length);
  const t0 = performance.now();
  let tokens = 0;
  let done = 0;
  for (const batch of batches) {
    if (opts.signal.aborted) throw new Cancelled();
    const chunk = batch.map((j) => windows[j]);
    const r = await forwardBatch(lab.engine, {
      seqs: chunk.map((w) => w.ids),
      router: policy,
      interventions: ivs,
      loss: opts.loss,
      signal: opts.signal,
    });
    chunk.forEach((w, b) => onWindow(w, r.events[b], r.loss?.[b]));
    done += chunk.length;
    tokens += chunk.reduce((a, w) => a + w.ids.length, 0);
    bar(done, tokens);
  }
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

/** Write JSON through a temporary file, so an interrupted write never leaves a report that looks complete. */
export async function writeReport(path: string, report: object): Promise<void> {
  const tmp = `${path}.partial`;
  await writeFile(tmp, JSON.stringify(report) + '\n');
  await rename(tmp, path);
}

/** The bundle's probe texts as sources: each language one source, each article one sequence. */
export function probeInputs(lab: Lab, articles: number | undefined, into: CorpusInputs): void {
  if (!lab.probes.length) throw new UsageError('--probes: this bundle ships no probes/ texts');
  for (const p of lab.probes) {
    let s = into.sources.indexOf(p.lang);
    if (s < 0) s = into.sources.push(p.lang) - 1;
    p.articles
      .slice(0, articles ?? Infinity)
      .forEach((a) =>
        into.texts.push({ source: s, text: a.text, where: `probes/${p.lang}.json: ${a.id}` }),
      );
  }
}

export async function corpusCommand(argv: string[]): Promise<object> {
  const args = parseArgs(
    argv.map((a) => (a === '-o' ? '--out' : a)),
    ['probes'],
  );
  checkFlags(args, CORPUS_FLAGS, 'corpus', ['probes']);
  const minCount = intFlag(args, 'min-count', 3, 1);
  const top = intFlag(args, 'top', 10, 0);
  const contexts = intFlag(args, 'contexts', 5, 0);
  const batch = intFlag(args, 'batch', 32, 1);
  const articles =
    one(args, 'articles') === undefined ? undefined : intFlag(args, 'articles', 0, 1);
  const router = one(args, 'router') ?? 'native';
  const interventions = all(args, 'intervene');
  parsePolicySpec(router);
  interventions.forEach(parseIntervention);
  if (!args.positional.length && !has(args, 'probes'))
    throw new UsageError(
      'corpus: give input files (.txt, directories, .jsonl, trace .json) or --probes',
    );
  const inputs: CorpusInputs = args.positional.length
    ? await readCorpusInputs(args.positional)
    : { sources: [], texts: [], traces: [] };
  const model = one(args, 'model');
  const needsEngine = inputs.texts.length > 0 || has(args, 'probes');
  const lab = needsEngine
    ? await openLab(model ?? DEFAULT_MODEL_DIR, one(args, 'backend') ?? 'node')
    : undefined;
  if (lab && has(args, 'probes')) probeInputs(lab, articles, inputs);
  // Token text: the bundle's tokenizer when there is a model, else the traces' own token texts.
  let tokenizer = lab?.tokenizer;
  if (!tokenizer && model) {
    const b = await readBundle(model);
    tokenizer = LabTokenizer.fromBytes(
      b.files.get(b.manifest.tokenizer)!,
      b.manifest.tokenizerConfig ? b.files.get(b.manifest.tokenizerConfig) : undefined,
    );
  }
  const traceText = new Map<number, string>();
  for (const { trace } of inputs.traces)
    for (const t of trace.tokens) if (!traceText.has(t.id)) traceText.set(t.id, t.text);
  const text = (id: number) => tokenizer?.tokenText(id) ?? traceText.get(id) ?? `<${id}>`;

  const layers = layerSpecs(lab, inputs);
  const acc = new CorpusAccumulator(layers, inputs.sources, { minCount, top, contexts });
  const notices: string[] = [];
  for (const { source, trace } of inputs.traces) {
    const hasGates = trace.layers.every((l) => l.kind === 'dense' || l.gates);
    acc.add({
      source,
      ids: trace.tokens.map((t) => t.id),
      selected: trace.layers.map((l) => l.selected),
      ...(hasGates ? { gates: trace.layers.map((l) => l.gates ?? l.selected.map(() => [])) } : {}),
    });
  }
  let run: { seconds: number; tokens: number } | undefined;
  if (lab) {
    const { windows, notices: n } = windowsOf(lab, inputs.texts, inputs.sources.length);
    notices.push(...n);
    for (const x of n) process.stderr.write(`corpus: ${x}\n`);
    const { signal, done } = interruptible();
    try {
      run = await routeWindows(
        lab,
        windows,
        { router, interventions, batch, signal, label: 'corpus' },
        (w, events) =>
          acc.add({
            source: w.source,
            sequence: w.sequence,
            offset: w.offset,
            ids: w.ids,
            selected: events.map((e) => e.selected),
            gates: events.map((e) => e.gates),
          }),
      );
    } catch (e) {
      if (e instanceof Cancelled || signal.aborted)
        throw new Error('interrupted (Ctrl-C): no report written');
      throw e;
    } finally {
      done();
    }
  }
  if (!acc.hasGates && contexts > 0)
    notices.push(
      'contexts are empty for sources whose traces hold no gates (captures that record expert ids only)',
    );
  const reportLayers = acc.report(text);
  const report = {
    model:
      lab?.manifest.id ??
      (model ? (await readBundle(model)).manifest.id : inputs.traces[0].trace.model.id),
    router,
    ...(interventions.length ? { interventions } : {}),
    tokens: acc.tokens,
    sources: inputs.sources.map((name, s) => ({
      name,
      sequences: acc.sourceSequences[s],
      tokens: acc.sourceTokens[s],
    })),
    layers: reportLayers,
    specialisation: meanSpecialisation(reportLayers, inputs.sources),
    ...(run
      ? {
          run: {
            seconds: Math.round(run.seconds * 100) / 100,
            tokensPerSecond: Math.round(run.tokens / run.seconds),
            batch,
          },
        }
      : {}),
    notices,
  };
  const out = one(args, 'out');
  if (!out) return report;
  await writeReport(out, report);
  return {
    report: out,
    model: report.model,
    tokens: report.tokens,
    sources: report.sources,
    specialisation: report.specialisation,
    notices,
  };
}

/** Layer kinds and sizes: the model's (traces must match it), else the first trace's. */
function layerSpecs(lab: Lab | undefined, inputs: CorpusInputs): CorpusLayerSpec[] {
  const fromModel = lab?.manifest.layers.map((l): CorpusLayerSpec => ({
    kind: l.kind === 'dense' ? 'dense' : 'moe',
    numExperts: l.kind === 'dense' ? 0 : l.numExperts,
    topK: l.kind === 'dense' ? 0 : l.topK,
  }));
  const first = inputs.traces[0];
  const specs =
    fromModel ??
    first.trace.layers.map((l, i): CorpusLayerSpec => ({
      kind: l.kind,
      numExperts: l.kind === 'dense' ? 0 : first.trace.numExperts,
      topK:
        l.kind === 'dense'
          ? 0
          : Math.max(
              0,
              ...inputs.traces.map((t) =>
                Math.max(0, ...t.trace.layers[i].selected.map((s) => s.length)),
              ),
            ),
    }));
  for (const { trace, file } of inputs.traces) {
    if (trace.layers.length !== specs.length)
      throw new UsageError(
        `${file}: the trace has ${trace.layers.length} layers, ${fromModel ? 'the model' : inputs.traces[0].file} ${specs.length}`,
      );
    trace.layers.forEach((l, i) => {
      if (specs[i].kind === 'moe' && l.kind === 'moe' && trace.numExperts > specs[i].numExperts)
        throw new UsageError(
          `${file}: layers[${i}]: ${trace.numExperts} experts, ${fromModel ? 'the model' : inputs.traces[0].file} has ${specs[i].numExperts}`,
        );
    });
  }
  return specs;
}
