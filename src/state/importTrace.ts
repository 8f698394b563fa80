// Open a trace captured elsewhere (DESIGN.md §3 trace JSON, or an engine capture the importers
// convert: vLLM .npy, HF capture JSON, SGLang JSON, Megatron .jsonl) as the page's current pass.
// The trace becomes ordinary layer events in the store, so the routing views draw it unchanged;
// `imported` tells the views that need the model (or router logits) to say why they are off.
import { useLab, emptyPass, type PassTrace } from './store';
import { detectImport, importTrace, type InputFile } from '../models/importers/index';
import { parseTrace, type Trace } from '../routing/metrics/trace';
import { softmaxRows } from '../routing/softmax';
import { firstMoeLayer, type LayerEvent } from '../routing/run';

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

/** Open files picked together (one trace, plus token ids / a logits sidecar). */
export function openTraceFiles(files: InputFile[], urls: string[] = []): boolean {
  try {
    const d = detectImport(files);
    const json = JSON.parse(
      JSON.stringify(d.kind === 'trace' ? d.json : importTrace(d.format, d.file, d.opts)),
    ) as Record<string, unknown>;
    const trace = parseTrace(json, d.file.name);
    const pass = traceToPass(trace);
    useLab.getState().cancel(); // a run still streaming must not paint over the trace
    useLab.setState({
      imported: {
        name: files.map((f) => f.name).join(' + '),
        urls,
        engine: trace.backend ?? 'unknown',
        hasLogits: trace.layers.some((l) => l.routerLogits),
        hasGates: trace.layers.every((l) => l.gates),
        trace: json,
      },
      modified: pass,
      baseline: emptyPass(),
      diff: null,
      running: false,
      generation: null,
      focus: { token: 0, layer: firstMoeLayer(pass.layers), expert: null },
      pinned: false,
      error: null,
      notices: pass.summary!.notices,
    });
    return true;
  } catch (e) {
    // The current run or trace stays; only the banner changes.
    useLab.setState({ error: `Could not open the trace: ${(e as Error).message}` });
    return false;
  }
}

export async function openTraceUrls(urls: string[]): Promise<boolean> {
  try {
    const files = await Promise.all(
      urls.map(async (u) => {
        const res = await fetch(new URL(u, document.baseURI));
        if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
        const name = decodeURIComponent(
          new URL(u, document.baseURI).pathname.split('/').pop() || u,
        );
        return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
      }),
    );
    return openTraceFiles(files, urls);
  } catch (e) {
    useLab.setState({ error: `Could not open the trace: ${(e as Error).message}` });
    return false;
  }
}

/** Back to the model: drop the trace and re-run the prompt if there is one. */
export function closeTrace(): void {
  useLab.setState({
    imported: null,
    modified: emptyPass(),
    baseline: emptyPass(),
    diff: null,
    notices: [],
  });
  useLab.getState().run();
}
