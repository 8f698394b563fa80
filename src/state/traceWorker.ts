// The trace-import worker: reads and checks trace files off the page's thread, then sends the
// trace's header, its layers one by one (typed arrays transferred) and the trace JSON as text.
import type { ImportedTraceInfo } from './store';
import type { ForwardSummary, LayerEvent } from '../routing/run';
import type { InputFile } from '../models/importers/index';
import { firstMoeLayer } from '../routing/run';
import { importedInfo, readTraceFiles, traceToPass } from './traceFiles';

export interface TraceWorkerRequest {
  files: InputFile[];
  urls: string[];
}

export type TraceWorkerReply =
  | { type: 'start'; imported: ImportedTraceInfo; summary: ForwardSummary; firstMoe: number }
  | { type: 'layer'; event: LayerEvent; count: number }
  /** the trace JSON as opened, as text (what "Export trace" gives back) */
  | { type: 'done'; json: string }
  | { type: 'error'; message: string };

const post = (msg: TraceWorkerReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = (ev: MessageEvent<TraceWorkerRequest>) => {
  let parsed: ReturnType<typeof readTraceFiles>;
  try {
    parsed = readTraceFiles(ev.data.files);
  } catch (e) {
    return post({ type: 'error', message: (e as Error).message });
  }
  const { json, trace } = parsed;
  const pass = traceToPass(trace);
  // The header carries no trace JSON yet ('done' brings it), so 'start' stays small.
  post({ type: 'start', imported: importedInfo(ev.data.files, ev.data.urls, trace, {}), summary: pass.summary!, firstMoe: firstMoeLayer(pass.layers) });
  for (const event of pass.layers) post({ type: 'layer', event, count: pass.layers.length }, [event.routerLogits.buffer, event.probs.buffer, event.dropped.buffer] as ArrayBuffer[]);
  post({ type: 'done', json: JSON.stringify(json) });
};
