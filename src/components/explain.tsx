// Attaching the glossary (glossary.ts) to the page: `{...explain('term')}` on a control or a
// metric label gives it `data-explain` and an `aria-description` (what a screen reader reads);
// <ExplainTip/>, mounted once per page, shows that line in a tooltip on hover and on keyboard focus.
import { useEffect, useState } from 'react';
import { GLOSSARY, explanationText, type Term } from './glossary';

export interface ExplainProps {
  'data-explain': Term;
  'aria-description': string;
}

/** The attributes that attach a glossary entry to an element. */
export function explain(term: Term): ExplainProps {
  return { 'data-explain': term, 'aria-description': explanationText(term) };
}

/** The element a pointer or focus event explains: a marked element, or a label's marked control. */
export function explainedElement(target: EventTarget | null): HTMLElement | null {
  if (!(target instanceof Element)) return null;
  const marked = target.closest<HTMLElement>('[data-explain]');
  if (marked) return marked;
  const label = target.closest('label');
  const control = label?.control;
  return control instanceof HTMLElement && control.dataset.explain ? control : null;
}

interface Shown {
  term: string;
  left: number;
  top: number;
}

/** Where the tip goes: under the element (or its label, for a hidden file input), kept on screen. */
function placeFor(el: HTMLElement): { left: number; top: number } {
  const anchor =
    el instanceof HTMLInputElement && el.type === 'file' ? (el.closest('label') ?? el) : el;
  const r = anchor.getBoundingClientRect();
  const left = Math.max(4, Math.min(r.left, window.innerWidth - 364));
  const below = r.bottom + 6;
  return { left, top: below + 40 > window.innerHeight ? Math.max(4, r.top - 46) : below };
}

/** The page's one explanation tooltip: hover or keyboard focus on a marked element shows it; Esc hides it. */
export function ExplainTip() {
  const [shown, setShown] = useState<Shown | null>(null);
  useEffect(() => {
    let hovered: HTMLElement | null = null;
    let current: HTMLElement | null = null;
    const show = (el: HTMLElement) => {
      current = el;
      setShown({ term: el.dataset.explain ?? '', ...placeFor(el) });
    };
    const onOver = (e: PointerEvent) => {
      const el = explainedElement(e.target);
      if (el === hovered) return;
      hovered = el;
      if (el) show(el);
      else setShown(null);
    };
    const onFocus = (e: FocusEvent) => {
      const el = explainedElement(e.target);
      // Keyboard focus only: a click already shows the tip by hovering.
      if (el && e.target instanceof Element && e.target.matches(':focus-visible')) show(el);
    };
    const hide = () => {
      hovered = current = null;
      setShown(null);
    };
    // Scrolling (focus scrolls its element into view) moves the tip with its element.
    const onScroll = () => current?.isConnected && show(current);
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && hide();
    document.addEventListener('pointerover', onOver);
    document.addEventListener('focusin', onFocus);
    document.addEventListener('focusout', hide);
    document.addEventListener('keydown', onKey);
    window.addEventListener('scroll', onScroll, true);
    return () => {
      document.removeEventListener('pointerover', onOver);
      document.removeEventListener('focusin', onFocus);
      document.removeEventListener('focusout', hide);
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('scroll', onScroll, true);
    };
  }, []);
  const g = shown ? GLOSSARY[shown.term] : undefined;
  if (!shown || !g) return null;
  return (
    <div
      className="explain-tip"
      role="tooltip"
      data-testid="explain-tip"
      data-term={shown.term}
      style={{ left: shown.left, top: shown.top }}
    >
      {g.text} <cite>— {g.source}</cite>
    </div>
  );
}
