import { useLab } from '../state/store';
import { explain } from './explain';

export function ErrorBanner() {
  const error = useLab((s) => s.error);
  const setError = useLab((s) => s.setError);
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span>{error}</span>
      <button
        type="button"
        onClick={() => setError(null)}
        aria-label="Dismiss error"
        {...explain('dismiss')}
      >
        ×
      </button>
    </div>
  );
}
