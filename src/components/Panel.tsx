import type { ReactNode } from 'react';
import { useId } from 'react';

/**
 * A titled region of the page; the heading labels it for screen readers. With `disabled` (a
 * one-line reason) the panel shows the reason instead of its content, e.g. a view that needs the
 * model while an imported trace is on screen.
 */
export function Panel({ title, testId, children, disabled }: { title: string; testId: string; children: ReactNode; disabled?: string | null }) {
  const headingId = useId();
  return (
    <section className="panel" data-testid={testId} aria-labelledby={headingId} data-disabled={disabled ? 'true' : undefined}>
      <h2 id={headingId}>{title}</h2>
      {disabled ? (
        <p className="placeholder disabled-reason" data-testid="disabled-reason">
          {disabled}
        </p>
      ) : (
        children
      )}
    </section>
  );
}
