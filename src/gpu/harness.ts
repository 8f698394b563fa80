// Test-only page (harness.html): exposes a typed promise API over the real worker on
// window.__moeHarness, so browser tests and benchmarks drive the engine without the UI.
import type { WorkerReply, WorkerRequest } from './protocol';
import type { BackendName } from '../routing/run';

type Req = WorkerRequest extends infer R ? (R extends { requestId: number } ? Omit<R, 'requestId'> : never) : never;

export interface Harness {
  call(req: Req): Promise<{ final: WorkerReply; stream: WorkerReply[] }>;
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let next = 1;
const pending = new Map<number, { stream: WorkerReply[]; done: (r: { final: WorkerReply; stream: WorkerReply[] }) => void }>();
worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
  const p = pending.get(ev.data.requestId);
  if (!p) return;
  if (ev.data.type === 'progress' || ev.data.type === 'layer' || ev.data.type === 'token') p.stream.push(ev.data);
  else {
    pending.delete(ev.data.requestId);
    p.done({ final: ev.data, stream: p.stream });
  }
};

const harness: Harness = {
  call(req) {
    const requestId = next++;
    return new Promise((done) => {
      pending.set(requestId, { stream: [], done });
      worker.postMessage({ ...req, requestId } as WorkerRequest);
    });
  },
};

declare global {
  interface Window {
    __moeHarness: Harness;
    __ortBase: string;
  }
}
window.__ortBase = new URL('ort/', document.baseURI).href;
window.__moeHarness = harness;
export type { BackendName };
