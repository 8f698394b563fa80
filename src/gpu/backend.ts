// Backend choice in the browser: WebGPU when an adapter exists and ORT can build sessions on it,
// else WASM. ORT falls back silently when given ['webgpu', 'wasm'], so we try WebGPU alone and
// report what really ran, with the reason when it was not WebGPU.
import type { BackendName } from '../routing/run';

export interface BackendChoice {
  backend: BackendName;
  executionProviders: string[];
  note: string | null;
}

export async function probeWebGpu(): Promise<string | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return 'this browser exposes no WebGPU (navigator.gpu is missing)';
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? null : 'WebGPU is present but no adapter is available';
  } catch (e) {
    return `WebGPU adapter request failed (${(e as Error).message})`;
  }
}

/** Try WebGPU first (unless WASM is asked for); `open` builds every session on a backend. */
export async function withBackend<T>(prefer: BackendName | undefined, open: (c: BackendChoice) => Promise<T>): Promise<{ value: T; choice: BackendChoice }> {
  let note: string;
  if (prefer !== 'wasm') {
    const why = await probeWebGpu();
    if (why === null) {
      const choice: BackendChoice = { backend: 'webgpu', executionProviders: ['webgpu'], note: null };
      try {
        return { value: await open(choice), choice };
      } catch (e) {
        note = `WebGPU failed, fell back to WASM: ${(e as Error).message}`;
      }
    } else note = `${why}; running on WASM`;
  } else note = 'WASM was requested';
  const choice: BackendChoice = { backend: 'wasm', executionProviders: ['wasm'], note };
  return { value: await open(choice), choice };
}
