// The worker of offThread.ts: runs one named view computation per message.
import { runJob, type JobReply, type JobRequest } from './offThreadJobs';

self.onmessage = (ev: MessageEvent<JobRequest>) => {
  const { id, job, input } = ev.data;
  let reply: JobReply;
  try {
    reply = { id, ok: true, output: runJob(job, input) };
  } catch (e) {
    reply = { id, ok: false, message: (e as Error).message };
  }
  (self as unknown as Worker).postMessage(reply);
};
