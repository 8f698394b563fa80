// The one place that creates onnxruntime sessions (onnxruntime-web in the worker, onnxruntime-node
// in the CLI), so every graph runs with the same options.
import type * as OrtWeb from 'onnxruntime-web';
import { warmupModel } from './warmup';

type Sessions = Pick<typeof OrtWeb, 'InferenceSession'> & { env?: { logLevel?: string } };

let verbose = false;

/**
 * `moe-lab --verbose`: onnxruntime may log warnings, and its own text of a failure follows ours
 * after "onnxruntime said:". Otherwise it logs nothing (fatal only) and our message stands alone.
 */
export function setOrtVerbose(on: boolean): void {
  verbose = on;
}

/** onnxruntime's severities: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal. */
const logSeverityLevel = () => (verbose ? 2 : 4);

/** The options every graph's session is created with. */
function sessionOptions(executionProviders: string[], externalData?: ExternalData): OrtWeb.InferenceSession.SessionOptions {
  return { executionProviders, graphOptimizationLevel: 'all', logSeverityLevel: logSeverityLevel(), ...(externalData ? { externalData: [externalData] } : {}) };
}

/** The process-wide logger, set before the first session (onnxruntime reads it once). */
function quietEnv(ort: Sessions): void {
  if (ort.env) ort.env.logLevel = verbose ? 'warning' : 'fatal';
}

/**
 * Our words for an onnxruntime failure (what disagreed, never its raw text alone); its own text
 * follows after "onnxruntime said:" with --verbose.
 */
export function ortReason(raw: string): string {
  const dims = /Got invalid dimensions for input: (\S+) for the following indices\s+index: (\d+) Got: (\d+) Expected: (\d+)/.exec(raw);
  const nbits = /Only 2b, 4b and 8b quantization is supported for MatMulNBits/.test(raw);
  const kernel = /Could not find an implementation for (\S+)/.exec(raw);
  const ours = dims
    ? `input "${dims[1]}" has ${dims[3]} at dim ${dims[2]} where the graph expects ${dims[4]}`
    : nbits
      ? 'MatMulNBits weights of a bit width onnxruntime does not run (it runs 2, 4 and 8 bits)'
      : kernel
        ? `no kernel for the node ${kernel[1]} on this backend`
        : /protobuf|ModelProto|Failed to load model|No graph|Invalid model|model_path/i.test(raw)
          ? 'not a valid ONNX model'
          : /external data|ExternalData|external initializer/i.test(raw)
            ? 'its external data (.data file) does not match the graph'
            : /out of (memory|range)|bad_alloc|allocat/i.test(raw)
              ? 'out of memory building the session'
              : 'onnxruntime refused it';
  return verbose ? `${ours}; onnxruntime said: ${raw.trim()}` : ours;
}

/** A graph's weights kept beside it (ONNX external data): `path` as the graph's initializers name it. */
export interface ExternalData {
  path: string;
  data: Uint8Array;
}

/** A session for one graph of a bundle (or the fused benchmark graph) on the given providers. */
export function createSession(ort: Sessions, graph: Uint8Array, executionProviders: string[], externalData?: ExternalData): Promise<OrtWeb.InferenceSession> {
  quietEnv(ort);
  return ort.InferenceSession.create(graph, sessionOptions(executionProviders, externalData));
}

/**
 * A throwaway one-node WASM session, so ORT fetches and compiles its runtime now (see warmup.ts).
 * Never rejects: a real failure resurfaces, with its message, on the model's own sessions.
 */
export function warmUpRuntime(ort: Sessions): Promise<void> {
  quietEnv(ort);
  return ort.InferenceSession.create(warmupModel(), { executionProviders: ['wasm'], logSeverityLevel: logSeverityLevel() })
    .then((s) => s.release())
    .catch(() => undefined);
}
