import { useLab } from '../state/store';

/** Non-fatal notices: ignored URL fields, truncated prompts, non-causal routers. */
export function Notices() {
  const notices = useLab((s) => s.notices);
  const dismiss = useLab((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <ul className="notices" data-testid="notices" aria-live="polite">
      {notices.map((n, i) => (
        <li key={`${i}-${n}`}>
          {n}
          <button type="button" aria-label="Dismiss notice" onClick={() => dismiss(i)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
