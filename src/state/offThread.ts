// Heavy per-view numbers computed in a worker, so that a 2048-token layer of a 256-expert model
// never blocks the page: a view asks with useOffThread(job, input) and draws a placeholder until
// the answer comes. Only the latest question of each view is answered (a newer one supersedes
// it while queued). Without module workers (jsdom) the job runs on this thread, synchronously.
import { useEffect, useMemo, useState } from 'react';
import {
  runJob,
  type JobName,
  type JobInput,
  type JobOutput,
  type JobReply,
  type JobRequest,
} from './offThreadJobs';

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, (r: JobReply) => void>();

function getWorker(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  if (!worker) {
    worker = new Worker(new URL('./offThreadWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<JobReply>) => {
      const done = waiting.get(ev.data.id);
      waiting.delete(ev.data.id);
      done?.(ev.data);
    };
  }
  return worker;
}

/** Ask the worker (or, without one, compute here). */
export function askOffThread<K extends JobName>(job: K, input: JobInput<K>): Promise<JobOutput<K>> {
  const w = getWorker();
  if (!w) return Promise.resolve(runJob(job, input) as JobOutput<K>);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, (r) =>
      r.ok ? resolve(r.output as JobOutput<K>) : reject(new Error(r.message)),
    );
    w.postMessage({ id, job, input } satisfies JobRequest);
  });
}

/**
 * The job's output for `input` (null: nothing to compute). While the answer is on its way the
 * previous output is not shown for a different input: `undefined` means "computing".
 */
export function useOffThread<K extends JobName>(
  job: K,
  input: JobInput<K> | null,
): { output: JobOutput<K> | undefined; error: string | null } {
  const sync = typeof Worker === 'undefined';
  const [state, setState] = useState<{
    for: JobInput<K> | null;
    output?: JobOutput<K>;
    error: string | null;
  }>({ for: null, error: null });
  useEffect(() => {
    if (input === null || sync) return;
    let live = true;
    askOffThread(job, input).then(
      (output) => live && setState({ for: input, output, error: null }),
      (e: Error) => live && setState({ for: input, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [job, input, sync]);
  // (jsdom: computed here, once per input)
  const here = useMemo(() => {
    if (!sync || input === null) return null;
    try {
      return { output: runJob(job, input) as JobOutput<K>, error: null };
    } catch (e) {
      return { output: undefined, error: (e as Error).message };
    }
  }, [sync, job, input]);
  if (input === null) return { output: undefined, error: null };
  if (here) return here;
  return state.for === input
    ? { output: state.output, error: state.error }
    : { output: undefined, error: null };
}
