// Which of the page's requests are current (replies of older ones are dropped: a newer run
// supersedes an older one), and which model sources a crash or a failed load falls back to.
import type { BundleSource } from '../../gpu/protocol';

export const current = {
  /** requestId of the newest run (forward or generate) */
  run: 0,
  /** of the newest load or conversion */
  load: 0,
  align: 0,
  /** of the newest conversion (cancel names it) */
  convert: 0,
};

export const sources = {
  /** the model the worker has open, reloaded after a crash */
  lastGood: null as BundleSource | null,
  /** the model before lastGood, which a load that fails after 'loaded' falls back to */
  previousGood: null as BundleSource | null,
  /** the load in flight */
  pending: null as BundleSource | null,
};
