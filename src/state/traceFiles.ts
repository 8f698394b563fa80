// Trace files → the trace and the layer events the views draw; no store, so the trace-import
// worker (traceWorker.ts) runs the same code as the page's own thread.
import type { ImportedTraceInfo, PassTrace } from './store';
import { detectImport, importTrace, type InputFile } from '../models/importers/index';
import { parseTrace, type Trace } from '../routing/metrics/trace';
import { softmaxRows } from '../routing/softmax';
import type { LayerEvent } from '../routing/run';

/** A parsed trace → the layer events and summary a run of the model would have produced. */
export function traceToPass(trace: Trace): PassTrace {
  const T = trace.tokens.length;
  const E = trace.numExperts;
  const layers = trace.layers.map((l, i): LayerEvent => {
    let routerLogits: Float32Array = new Float32Array(0);
    let probs: Float32Array = new Float32Array(0);
    if (l.routerLogits) {
      routerLogits = new Float32Array(T * E).fill(-Infinity);
      l.routerLogits.forEach((row, t) => routerLogits.set(row, t * E));
      probs = softmaxRows(routerLogits, T, E);
    }
    return {
      layer: i,
      kind: l.kind,
      T,
      E,
      routerLogits,
      probs,
      selected: l.selected,
      // No gate weights recorded: empty lists (the map then draws equal stripes).
      gates: l.gates ?? l.selected.map(() => []),
      expertNorms: new Float32Array(0),
      dropped: Uint8Array.from(l.dropped ?? new Array<number>(T).fill(0)),
      ...(l.skipped ? { skipped: true } : {}),
    };
  });
  const notices = Array.isArray(trace.notices) ? (trace.notices as unknown[]).map(String) : [];
  return {
    layers,
    settled: layers,
    summary: {
      tokens: trace.tokens,
      loss: trace.loss ?? [],
      next: trace.next ?? [],
      from: 0,
      ms: 0,
      router: trace.router ?? 'recorded',
      interventions: trace.interventions ?? [],
      notices,
    },
  };
}

/** Files picked together (one trace, plus token ids / a logits sidecar) → the trace JSON and its parse. */
export function readTraceFiles(files: InputFile[]): { json: Record<string, unknown>; trace: Trace } {
  const d = detectImport(files);
  // A trace JSON is checked as read: the round trip below would write 1e999 (Infinity) as null (masked).
  if (d.kind === 'trace') parseTrace(d.json, d.file.name);
  const json = JSON.parse(
    JSON.stringify(d.kind === 'trace' ? d.json : importTrace(d.format, d.file, d.opts)),
  ) as Record<string, unknown>;
  return { json, trace: parseTrace(json, d.file.name) };
}

/** What the header says of an opened trace, and what the views that need the model check. */
export function importedInfo(files: { name: string }[], urls: string[], trace: Trace, json: ImportedTraceInfo['trace']): ImportedTraceInfo {
  return {
    name: files.map((f) => f.name).join(' + '),
    urls,
    engine: trace.backend ?? 'unknown',
    hasLogits: trace.layers.some((l) => l.routerLogits),
    hasGates: trace.layers.every((l) => l.gates),
    trace: json,
  };
}

