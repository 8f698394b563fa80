import type { ReactNode } from 'react';
import { useId } from 'react';
import { useLab } from '../state/store';
import { isViewId } from '../state/views';
import { explain } from './explain';

/**
 * A titled region of the page; the heading labels it for screen readers. With `disabled` (a
 * one-line reason) the panel shows the reason instead of its content, e.g. a view that needs the
 * model while an imported trace is on screen. The heading is a disclosure button; a collapsed
 * panel hides its content (kept mounted: the views' D3 effects draw into elements that must
 * survive a collapse), and the set of open panels is in the URL.
 */
export function Panel({ title, testId, children, disabled }: { title: string; testId: string; children: ReactNode; disabled?: string | null }) {
  const headingId = useId();
  const known = isViewId(testId);
  const open = useLab((s) => !known || s.openViews.includes(testId));
  const setViewOpen = useLab((s) => s.setViewOpen);
  return (
    <section className={`panel${open ? '' : ' is-closed'}`} data-testid={testId} aria-labelledby={headingId} data-disabled={disabled ? 'true' : undefined} data-open={String(open)}>
      <h2 id={headingId}>
        {known ? (
          <button type="button" className="panel-toggle" data-testid="panel-toggle" aria-expanded={open} {...explain('panel-toggle')} onClick={() => isViewId(testId) && setViewOpen(testId, !open)}>
            {title}
          </button>
        ) : (
          title
        )}
      </h2>
      <div className="panel-body" hidden={!open}>
        {disabled ? (
          <p className="placeholder disabled-reason" data-testid="disabled-reason">
            {disabled}
          </p>
        ) : (
          children
        )}
      </div>
    </section>
  );
}
