// Performance marks the benchmarks read (tools/bench-ui.mjs): a request's start, and a measure
// from it once its result is in the store (and, for runs, painted).
export type MarkKind = 'run' | 'load' | 'align';

export function markRequest(kind: MarkKind, requestId: number): void {
  performance.mark(`moe-${kind}-${requestId}`);
}

/** `moe-load`: load request → 'loaded' (detail: where the worker's time went). */
export function measureLoad(requestId: number, timings: unknown): void {
  performance.measure('moe-load', { start: `moe-load-${requestId}`, detail: timings });
}

/**
 * `moe-run`: run request → results in the store → next frame painted. detail.engineMs: time
 * inside the engine (both passes); the rest is messaging and rendering.
 */
export function measureRunPainted(requestId: number, engineMs: number): void {
  requestAnimationFrame(() => performance.measure('moe-run', { start: `moe-run-${requestId}`, detail: { engineMs } }));
}
