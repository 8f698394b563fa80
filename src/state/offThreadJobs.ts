// The view computations that run off the page's thread (offThread.ts): pure functions by name,
// imported both by the worker and, where there are no workers (jsdom), by the page itself.
import { cacheStats } from '../routing/metrics/cacheStats';

export const OFF_THREAD_JOBS = { cacheStats };

export type JobName = keyof typeof OFF_THREAD_JOBS;
export type JobInput<K extends JobName> = Parameters<(typeof OFF_THREAD_JOBS)[K]>[0];
export type JobOutput<K extends JobName> = ReturnType<(typeof OFF_THREAD_JOBS)[K]>;

export interface JobRequest {
  id: number;
  job: JobName;
  input: unknown;
}

export type JobReply =
  { id: number; ok: true; output: unknown } | { id: number; ok: false; message: string };

export function runJob(job: JobName, input: unknown): unknown {
  return (OFF_THREAD_JOBS[job] as (x: unknown) => unknown)(input);
}
