// Inputs of `moe-lab corpus` / `ablate` and of the page's Corpus view, read from (name, text)
// pairs — the CLI reads the files, the page the picked or dropped ones, and both parse them here:
// `.txt` (one sequence per non-empty line), `.jsonl` (a "text" field per line, an optional
// "source") and trace `.json` (captured routing: nothing is run, it is aggregated as captured). A
// source is named by its file name without extension (a .jsonl line's "source" overrides it).
// Errors are InputErrors naming the file, the line and the field.
import { InputError, readJson } from '../safeJson';
import { parseTrace, type Trace } from './trace';
import type { CorpusAccumulator, CorpusLayerSpec } from './corpus';
import { sourceName } from './corpusRun';

/** A captured trace given as a corpus input: one source, aggregated without running anything. */
export interface CorpusTrace {
  source: number;
  trace: Trace;
  /** the file it came from, for messages */
  file: string;
}

export interface CorpusInputs {
  /** source names, in order of first appearance */
  sources: string[];
  /** texts to route: source index, the text, and where it came from (file:line) */
  texts: { source: number; text: string; where: string }[];
  /** captured traces, one source each */
  traces: CorpusTrace[];
}

export const emptyCorpusInputs = (): CorpusInputs => ({ sources: [], texts: [], traces: [] });

/** The index of source `name`, added when new. */
export function sourceIndex(out: CorpusInputs, name: string): number {
  let i = out.sources.indexOf(name);
  if (i < 0) i = out.sources.push(name) - 1;
  return i;
}

/** The extensions a corpus file may have (lower case). */
export const CORPUS_EXTENSIONS = ['.txt', '.jsonl', '.json'];

/** `.txt`: each non-empty line one sequence of the file's source. */
export function addTextFile(out: CorpusInputs, file: string, text: string): void {
  const s = sourceIndex(out, sourceName(file));
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim()) out.texts.push({ source: s, text: line, where: `${file}:${i + 1}` });
  });
}

/** `.jsonl`: each non-empty line a JSON object with a string "text" and an optional "source". */
export function addJsonlFile(out: CorpusInputs, file: string, text: string): void {
  const fallback = sourceName(file);
  // (checked whole before anything is added: a bad line leaves `out` as it was)
  const lines: { source: string; text: string; where: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let j: unknown;
    try {
      j = JSON.parse(line);
    } catch (e) {
      throw new InputError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof j !== 'object' || j === null || Array.isArray(j))
      throw new InputError(`${where}: each line must be a JSON object with a "text" field`);
    const { text: t, source } = j as { text?: unknown; source?: unknown };
    if (typeof t !== 'string')
      throw new InputError(
        `${where}: "text" must be a string, got ${JSON.stringify(t) ?? 'nothing'}`,
      );
    if (source !== undefined && (typeof source !== 'string' || !source))
      throw new InputError(
        `${where}: "source" must be a non-empty string, got ${JSON.stringify(source)}`,
      );
    if (t.trim())
      lines.push({ source: (source as string | undefined) ?? fallback, text: t, where });
  });
  for (const l of lines)
    out.texts.push({ source: sourceIndex(out, l.source), text: l.text, where: l.where });
}

/** Trace `.json` (from `trace`, `import` or the page's export): one source, nothing run. */
export function addTraceFile(out: CorpusInputs, file: string, text: string): void {
  const trace = parseTrace(readJson(text, file), file);
  out.traces.push({ source: sourceIndex(out, sourceName(file)), trace, file });
}

/** One file by its extension; anything else is an InputError naming it. */
export function addCorpusFile(out: CorpusInputs, file: string, text: string): void {
  const dot = file.lastIndexOf('.');
  const ext = dot > file.lastIndexOf('/') ? file.slice(dot).toLowerCase() : '';
  if (ext === '.txt') addTextFile(out, file, text);
  else if (ext === '.jsonl') addJsonlFile(out, file, text);
  else if (ext === '.json') addTraceFile(out, file, text);
  else throw new InputError(`${file}: not a .txt, .jsonl or trace .json file`);
}

/** Files (name, text) → sources, texts and traces, in order; files of one name share a source. */
export function corpusInputsOf(files: { name: string; text: string }[]): CorpusInputs {
  const out = emptyCorpusInputs();
  for (const f of files) addCorpusFile(out, f.name, f.text);
  return out;
}

/** A model's layers (manifest.layers) as the corpus sees them. */
export function modelLayerSpecs(
  layers: readonly { kind: 'moe' | 'dense'; numExperts: number; topK: number }[],
): CorpusLayerSpec[] {
  return layers.map((l) =>
    l.kind === 'dense'
      ? { kind: 'dense', numExperts: 0, topK: 0 }
      : { kind: 'moe', numExperts: l.numExperts, topK: l.topK },
  );
}

/**
 * The corpus's layers: the model's when there is one (each trace must match it), else the first
 * trace's (k: the widest selection any trace makes in the layer). InputError on a mismatch.
 */
export function corpusLayerSpecs(
  model: CorpusLayerSpec[] | undefined,
  traces: CorpusTrace[],
): CorpusLayerSpec[] {
  const first = traces[0];
  if (!model && !first) throw new InputError('corpus: no model and no trace to take layers from');
  const specs =
    model ??
    first.trace.layers.map((l, i): CorpusLayerSpec => ({
      kind: l.kind,
      numExperts: l.kind === 'dense' ? 0 : first.trace.numExperts,
      topK:
        l.kind === 'dense'
          ? 0
          : Math.max(
              0,
              ...traces.map((t) =>
                Math.max(0, ...(t.trace.layers[i]?.selected ?? []).map((s) => s.length)),
              ),
            ),
    }));
  const against = model ? 'the model' : first.file;
  for (const { trace, file } of traces) {
    if (trace.layers.length !== specs.length)
      throw new InputError(
        `${file}: the trace has ${trace.layers.length} layers, ${against} ${specs.length}`,
      );
    trace.layers.forEach((l, i) => {
      if (specs[i].kind === 'moe' && l.kind === 'moe' && trace.numExperts > specs[i].numExperts)
        throw new InputError(
          `${file}: layers[${i}]: ${trace.numExperts} experts, ${against} has ${specs[i].numExperts}`,
        );
    });
  }
  return specs;
}

/** Add captured traces to the accumulator as they are (gates, when every MoE layer has them). */
export function addTraces(acc: CorpusAccumulator, traces: CorpusTrace[]): void {
  for (const { source, trace } of traces) {
    const hasGates = trace.layers.every((l) => l.kind === 'dense' || l.gates);
    acc.add({
      source,
      ids: trace.tokens.map((t) => t.id),
      selected: trace.layers.map((l) => l.selected),
      ...(hasGates ? { gates: trace.layers.map((l) => l.gates ?? l.selected.map(() => [])) } : {}),
    });
  }
}

/** Token texts from the traces themselves (first seen wins), for reports without a model. */
export function traceTokenTexts(traces: CorpusTrace[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const { trace } of traces)
    for (const t of trace.tokens) if (!out.has(t.id)) out.set(t.id, t.text);
  return out;
}
