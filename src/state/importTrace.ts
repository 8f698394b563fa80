// Open a trace captured elsewhere (DESIGN.md §3 trace JSON, or an engine capture the importers
// convert: vLLM .npy, HF capture JSON, SGLang JSON, Megatron .jsonl) as the page's current pass.
// The trace becomes ordinary layer events in the store, so the routing views draw it unchanged;
// `imported` tells the views that need the model (or router logits) to say why they are off.
import { useLab, emptyPass, type ImportedTraceInfo, type PassTrace } from './store';
import type { TraceWorkerReply, TraceWorkerRequest } from './traceWorker';
import { importedInfo, readTraceFiles, traceToPass } from './traceFiles';
import type { InputFile } from '../models/importers/index';
import { firstMoeLayer, type LayerEvent } from '../routing/run';

export { traceToPass } from './traceFiles';

/** The store as it is when a trace replaces the run on screen. */
function showTrace(imported: ImportedTraceInfo, pass: PassTrace): void {
  useLab.getState().cancel(); // a run still streaming must not paint over the trace
  useLab.setState({
    imported,
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
}

/** Open files picked together, on this thread (tests; pages without module workers). */
export function openTraceFiles(files: InputFile[], urls: string[] = []): boolean {
  try {
    const { json, trace } = readTraceFiles(files);
    showTrace(importedInfo(files, urls, trace, json), traceToPass(trace));
    return true;
  } catch (e) {
    // The current run or trace stays; only the banner changes.
    useLab.setState({ error: `Could not open the trace: ${(e as Error).message}` });
    return false;
  }
}

/**
 * Open files picked together without blocking the page: a worker reads and checks them
 * (traceWorker.ts) and sends the layers one by one, which the map draws as they come, like a run
 * of the model. A DeepSeek-V3-sized capture of 4096 tokens takes seconds to parse.
 */
export function openTraceFilesAsync(files: InputFile[], urls: string[] = []): Promise<boolean> {
  if (typeof Worker === 'undefined') return Promise.resolve(openTraceFiles(files, urls));
  performance.mark('moe-trace-open');
  const worker = new Worker(new URL('./traceWorker.ts', import.meta.url), { type: 'module' });
  useLab.setState({
    progress: { label: `Reading ${files.map((f) => f.name).join(' + ')}`, value: 0 },
  });
  return new Promise((done) => {
    let layers: LayerEvent[] = [];
    let frame: number | null = null;
    const flush = () => {
      frame = null;
      const m = useLab.getState().modified;
      useLab.setState({ modified: { ...m, layers: [...layers] } });
    };
    const finish = (ok: boolean) => {
      worker.terminate();
      if (frame !== null) cancelAnimationFrame(frame);
      done(ok);
    };
    worker.onmessage = (ev: MessageEvent<TraceWorkerReply>) => {
      const msg = ev.data;
      if (msg.type === 'error') {
        // (the worker checks everything before 'start': the run or trace on screen stays)
        useLab.setState({ error: `Could not open the trace: ${msg.message}`, progress: null });
        return finish(false);
      }
      if (msg.type === 'start') {
        performance.mark('moe-trace-read'); // (bench: the worker has read and checked the files)
        layers = [];
        showTrace(msg.imported, { layers: [], settled: [], summary: msg.summary });
        useLab.setState({
          focus: { token: 0, layer: msg.firstMoe, expert: null },
          progress: { label: 'Opening the trace', value: 0 },
        });
      } else if (msg.type === 'layer') {
        layers[msg.event.layer] = msg.event;
        useLab.setState({
          progress: {
            label: `Layer ${msg.event.layer + 1} of ${msg.count}`,
            value: (msg.event.layer + 1) / msg.count,
          },
        });
        frame ??= requestAnimationFrame(flush);
      } else {
        // Whole: the views over all layers (flow, co-activation) draw now, once.
        const s = useLab.getState();
        useLab.setState({
          modified: { ...s.modified, layers: [...layers], settled: [...layers] },
          imported: s.imported && { ...s.imported, trace: msg.json },
          progress: null,
        });
        finish(true);
      }
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      useLab.setState({
        error: `Could not open the trace: the reader stopped (${ev.message || 'unknown error'})`,
        progress: null,
      });
      finish(false);
    };
    const bytes = files.map((f) => ({ name: f.name, bytes: f.bytes }));
    worker.postMessage({ files: bytes, urls } satisfies TraceWorkerRequest);
  });
}

export async function openTraceUrls(urls: string[]): Promise<boolean> {
  const ok = await fetchAndOpen(urls);
  // A link's bad trace is also a page notice: the banner clears with the next run (the model the
  // link names loads after it), the notice stays until dismissed.
  if (!ok) useLab.getState().notify(`ignored URL field trace=${JSON.stringify(urls.join(','))}: ${useLab.getState().error ?? 'could not open it'}`);
  return ok;
}

async function fetchAndOpen(urls: string[]): Promise<boolean> {
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
    return await openTraceFilesAsync(files, urls);
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
