// The one inference worker and its wire: created on demand (or adopted from the built page's
// boot script), replaced after a crash, requests numbered, replies handed to one handler except
// for one-shot requests, which resolve their own promise.
import type { WorkerReply, WorkerRequest } from '../../gpu/protocol';

/** A request as the caller writes it: the bridge numbers it. */
export type Req = WorkerRequest extends infer R ? (R extends { requestId: number } ? Omit<R, 'requestId'> : never) : never;

declare global {
  interface Window {
    /** the worker the built page's inline script started (vite.config.ts, bootWorker) */
    __moeBootWorker?: Worker;
  }
}

let worker: Worker | null = null;
let nextId = 1;
let handlers: { reply(msg: WorkerReply): void; crash(reason: string): void } = { reply: () => {}, crash: () => {} };
/** one-shot requests (attribution, coupling, steering, …): resolved with their final reply */
const oneShot = new Map<number, { done(r: WorkerReply): void; progress?(r: WorkerReply & { type: 'progress' }): void }>();

/** Where replies go (all but one-shot ones) and what to do when the worker dies. */
export function connectBridge(h: typeof handlers): void {
  handlers = h;
}

export function newRequestId(): number {
  return nextId++;
}

/** Whether a worker was booted by the page's inline script (it was sent 'init' already). */
export function hasBootWorker(): boolean {
  return window.__moeBootWorker !== undefined;
}

export function ensureWorker(): Worker {
  if (worker) return worker;
  // The worker the page's boot script started, once; a restart after a crash makes a new one.
  worker = window.__moeBootWorker ?? new Worker(new URL('../../gpu/worker.ts', import.meta.url), { type: 'module' });
  delete window.__moeBootWorker;
  worker.onmessage = (ev: MessageEvent<WorkerReply>) => onMessage(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    handlers.crash(`the inference worker crashed (${ev.message || 'unknown error'})`);
  };
  return worker;
}

function onMessage(msg: WorkerReply): void {
  const one = oneShot.get(msg.requestId);
  if (!one) return handlers.reply(msg);
  if (msg.type === 'progress') return one.progress?.(msg);
  oneShot.delete(msg.requestId);
  one.done(msg);
}

/** Post to the worker, starting it if need be. */
export function post(msg: WorkerRequest, transfer: Transferable[] = []): void {
  ensureWorker().postMessage(msg, transfer);
}

/** Post only to a running worker (cancels and files of a load: a new worker would not know the request). */
export function postIfRunning(msg: WorkerRequest, transfer: Transferable[] = []): void {
  worker?.postMessage(msg, transfer);
}

/** Stop the worker (after a crash); the next post starts a new one. */
export function terminateWorker(): void {
  worker?.terminate();
  worker = null;
}

/** Send a one-shot request; resolves with its final reply (an 'error' reply rejects with its message). */
export function ask(req: Req, onProgress?: (p: WorkerReply & { type: 'progress' }) => void, onId?: (requestId: number) => void): Promise<WorkerReply> {
  const requestId = newRequestId();
  onId?.(requestId); // (a caller that cancels names the request)
  return new Promise((ok, fail) => {
    oneShot.set(requestId, { done: (r) => (r.type === 'error' ? fail(new Error(r.message)) : ok(r)), progress: onProgress });
    post({ ...req, requestId } as WorkerRequest);
  });
}
