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
import { generatedLayers } from '../../src/routing/metrics/corpusGeneration';
import {
  addTraces,
  corpusLayerSpecs,
  modelLayerSpecs,
  traceTokenTexts,
} from '../../src/routing/metrics/corpusInputs';
import { InputError } from '../../src/routing/safeJson';
import { SAMPLING_FLAGS, samplingFlags, type Sampling } from './traceGeneration';

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
  ...SAMPLING_FLAGS,
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

/**
 * Continue each window by up to `n` tokens with `trace --generate`'s sampler (Lab.generateFrom,
 * the same seed for every window, so a window continues exactly as `trace --text <its line>
 * --generate n --seed S` continues it); onWindow gets the generated ids and each step's events.
 * Generation stops early at EOS or at the model's context.
 */
export async function generateWindows(
  lab: Lab,
  windows: Window[],
  opts: {
    n: number;
    sampling: Sampling;
    router: string;
    interventions: string[];
    signal: { aborted: boolean };
  },
  onWindow: (w: Window, ids: number[], steps: LayerEvent[][]) => void,
): Promise<void> {
  const bar = progressBar('generate', windows.length);
  let tokens = 0;
  for (const [i, w] of windows.entries()) {
    if (opts.signal.aborted) throw new Cancelled();
    const steps: LayerEvent[][] = [];
    const g = await lab.generateFrom(w.ids, {
      router: opts.router,
      interventions: opts.interventions,
      maxTokens: opts.n,
      ...opts.sampling,
      signal: opts.signal,
      onToken: (_, events) => steps.push(events),
    });
    // generateFrom stops (without throwing) when aborted: a cut continuation must not count
    if (opts.signal.aborted) throw new Cancelled();
    onWindow(w, g.ids, steps);
    tokens += g.ids.length;
    bar(i + 1, tokens);
  }
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
  const { generate, sampling } = samplingFlags(args);
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
  const traceText = traceTokenTexts(inputs.traces);
  const text = (id: number) => tokenizer?.tokenText(id) ?? traceText.get(id) ?? `<${id}>`;

  const layers = layerSpecs(lab, inputs);
  const acc = new CorpusAccumulator(layers, inputs.sources, { minCount, top, contexts });
  const notices: string[] = [];
  if (generate && !(inputs.texts.length || has(args, 'probes')))
    throw new UsageError(
      '--generate continues texts through the model: give .txt/.jsonl inputs or --probes (trace inputs are aggregated as captured)',
    );
  if (generate && inputs.traces.length)
    notices.push(
      `--generate continues the texts only: the ${inputs.traces.length} trace input${inputs.traces.length > 1 ? 's are' : ' is'} aggregated as captured, without generation`,
    );
  // The generated tokens: their own accumulator, so the prompt's numbers stay as without --generate.
  const genAcc = generate
    ? new CorpusAccumulator(layers, inputs.sources, { minCount, top: 0, contexts: 0 })
    : undefined;
  addTraces(acc, inputs.traces);
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
      if (genAcc) {
        let full = 0;
        await generateWindows(
          lab,
          windows,
          { n: generate, sampling, router, interventions, signal },
          (w, ids, steps) => {
            if (w.ids.length >= lab.manifest.maxContext) full++;
            genAcc.add({
              source: w.source,
              sequence: w.sequence,
              offset: w.offset,
              ids,
              selected: layers.map((_, l) => steps.map((events) => events[l].selected[0])),
            });
          },
        );
        if (full)
          notices.push(
            `${full} window${full > 1 ? 's' : ''} filled the model's context of ${lab.manifest.maxContext} tokens: nothing was generated after ${full > 1 ? 'them' : 'it'}`,
          );
      }
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
    ...(genAcc
      ? {
          generated: {
            tokens: genAcc.tokens,
            perSequence: generate,
            sampling,
            sources: inputs.sources.map((name, s) => ({ name, tokens: genAcc.sourceTokens[s] })),
            layers: generatedLayers(reportLayers, genAcc.report(text)),
          },
        }
      : {}),
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
    ...(report.generated ? { generated: { tokens: report.generated.tokens } } : {}),
    notices,
  };
}

/** Layer kinds and sizes: the model's (traces must match it), else the first trace's. */
function layerSpecs(lab: Lab | undefined, inputs: CorpusInputs): CorpusLayerSpec[] {
  try {
    return corpusLayerSpecs(lab && modelLayerSpecs(lab.manifest.layers), inputs.traces);
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}
