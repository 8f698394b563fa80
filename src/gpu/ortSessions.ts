// The one place that creates onnxruntime sessions (onnxruntime-web in the worker, onnxruntime-node
// in the CLI), so every graph runs with the same options.
import type * as OrtWeb from 'onnxruntime-web';
import { warmupModel } from './warmup';

type Sessions = Pick<typeof OrtWeb, 'InferenceSession'>;

/** The options every graph's session is created with. */
function sessionOptions(executionProviders: string[]): OrtWeb.InferenceSession.SessionOptions {
  return { executionProviders, graphOptimizationLevel: 'all' };
}

/** A session for one graph of a bundle (or the fused benchmark graph) on the given providers. */
export function createSession(ort: Sessions, graph: Uint8Array, executionProviders: string[]): Promise<OrtWeb.InferenceSession> {
  return ort.InferenceSession.create(graph, sessionOptions(executionProviders));
}

/**
 * A throwaway one-node WASM session, so ORT fetches and compiles its runtime now (see warmup.ts).
 * Never rejects: a real failure resurfaces, with its message, on the model's own sessions.
 */
export function warmUpRuntime(ort: Sessions): Promise<void> {
  return ort.InferenceSession.create(warmupModel(), { executionProviders: ['wasm'] })
    .then((s) => s.release())
    .catch(() => undefined);
}
