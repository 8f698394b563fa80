// The corpus view's requests to the worker: one-shots with the progress bar, cancellable by id.
import { useLab } from '../store';
import type { WorkerReply } from '../../gpu/protocol';
import type { CorpusJob } from '../../gpu/corpusJob';
import type { AblateJob } from '../../gpu/ablateJob';
import type { AblationResult, CorpusReport } from '../../routing/metrics/corpusRun';
import { progressLabel } from './progressLabel';
import { ask, postIfRunning, type Req } from './workerBridge';

let running = 0;

/** Ask, showing progress; null when cancelled. */
async function cancellable<T extends WorkerReply['type']>(
  req: Req,
  type: T,
): Promise<Extract<WorkerReply, { type: T }> | null> {
  try {
    const r = await ask(
      req,
      (p) => useLab.setState({ progress: progressLabel(p.progress) }),
      (id) => (running = id),
    );
    if (r.type === 'cancelled') return null;
    if (r.type !== type)
      throw new Error(`the worker answered ${r.type} where ${type} was expected`);
    return r as Extract<WorkerReply, { type: T }>;
  } finally {
    running = 0;
    useLab.setState({ progress: null });
  }
}

/** Route the corpus in the worker; null when it was cancelled. */
export async function corpus(job: CorpusJob): Promise<CorpusReport | null> {
  return (await cancellable({ type: 'corpus', ...job }, 'corpus-report'))?.report ?? null;
}

/** `moe-lab ablate` on the corpus in the worker; null when it was cancelled. */
export async function corpusAblate(job: AblateJob): Promise<AblationResult | null> {
  return (await cancellable({ type: 'corpus-ablate', ...job }, 'corpus-ablated'))?.result ?? null;
}

export function cancelCorpus(): void {
  if (running) postIfRunning({ type: 'cancel', requestId: running });
}
