import { useLab } from '../state/store';
import { explain } from './explain';

/**
 * Non-fatal notices. The page's own (ignored URL fields) stay until dismissed; the run's
 * (truncated prompts, non-causal routers, what a trace lacks) are replaced by the next run's.
 */
export function Notices() {
  const page = useLab((s) => s.pageNotices);
  const run = useLab((s) => s.notices);
  const dismissPage = useLab((s) => s.dismissPageNotice);
  const dismissRun = useLab((s) => s.dismissNotice);
  if (page.length === 0 && run.length === 0) return null;
  return (
    <ul className="notices" data-testid="notices" aria-live="polite">
      {page.map((n, i) => (
        <li key={`page-${i}-${n}`} data-testid="page-notice">
          {n}
          <button
            type="button"
            aria-label="Dismiss notice"
            {...explain('dismiss')}
            onClick={() => dismissPage(i)}
          >
            ×
          </button>
        </li>
      ))}
      {run.map((n, i) => (
        <li key={`run-${i}-${n}`} data-testid="run-notice">
          {n}
          <button
            type="button"
            aria-label="Dismiss notice"
            {...explain('dismiss')}
            onClick={() => dismissRun(i)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
