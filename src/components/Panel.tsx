import type { ReactNode } from 'react';
import { useId } from 'react';

/** A titled region of the page; the heading labels it for screen readers. */
export function Panel({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="panel" data-testid={testId} aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}
