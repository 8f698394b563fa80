// @vitest-environment jsdom
// The guided tour: opened by the header button or ?tour=1, stepped by keyboard, outlining one
// target at a time (and opening a collapsed view), skippable, and remembered once finished.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Tour, TOUR_STEPS, TourButton } from './Tour';
import { TOUR_DONE_KEY, useTour } from '../state/tour';
import { useLab } from '../state/store';
import { VIEW_IDS } from '../state/views';

/** Stand-ins for the highlighted elements, by test id. */
function Targets() {
  return (
    <>
      {TOUR_STEPS.map((s) => (
        <div key={s.target} data-testid={s.target} />
      ))}
    </>
  );
}

beforeEach(() => {
  localStorage.clear();
  history.replaceState(null, '', '/');
  useTour.setState(useTour.getInitialState());
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const highlighted = () =>
  Array.from(document.querySelectorAll('.tour-highlight'), (e) => e.getAttribute('data-testid'));

describe('Tour', () => {
  it('has 6–10 steps, each on a view panel (or the Train link) with two sentences and a paper', () => {
    expect(TOUR_STEPS.length).toBeGreaterThanOrEqual(6);
    expect(TOUR_STEPS.length).toBeLessThanOrEqual(10);
    for (const s of TOUR_STEPS) {
      expect([...VIEW_IDS, 'mode-train']).toContain(s.target);
      expect(s.text.split(/(?<=[.!?])\s+(?=[A-Z])/)).toHaveLength(2);
      expect(s.paper).toMatch(/et al\. 20\d\d/);
    }
  });

  it('the button opens it; → and ← step through by keyboard, one outlined target at a time', () => {
    render(
      <>
        <TourButton />
        <Targets />
        <Tour />
      </>,
    );
    expect(screen.queryByTestId('tour')).toBeNull();
    fireEvent.click(screen.getByTestId('tour-button'));
    const dialog = screen.getByRole('dialog', { name: 'Routing map' });
    expect(document.activeElement).toBe(dialog);
    expect(highlighted()).toEqual(['routing-map']);
    fireEvent.keyDown(dialog, { key: 'ArrowRight' });
    expect(screen.getByRole('dialog').getAttribute('aria-labelledby')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Router scores');
    expect(highlighted()).toEqual(['router-scores']);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'ArrowLeft' });
    expect(highlighted()).toEqual(['routing-map']);
    expect(screen.getByText('Tour · 1 of 9')).toBeTruthy();
  });

  it('opens a collapsed view before outlining it', () => {
    useLab.setState({ openViews: VIEW_IDS.filter((v) => v !== 'router-scores') });
    render(
      <>
        <Targets />
        <Tour />
      </>,
    );
    act(() => useTour.getState().start());
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'ArrowRight' });
    expect(useLab.getState().openViews).toEqual([...VIEW_IDS]);
  });

  it('Esc skips without remembering; finishing by keyboard is remembered in localStorage', () => {
    render(
      <>
        <TourButton />
        <Targets />
        <Tour />
      </>,
    );
    fireEvent.click(screen.getByTestId('tour-button'));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(highlighted()).toEqual([]);
    expect(localStorage.getItem(TOUR_DONE_KEY)).toBeNull();
    expect(screen.getByTestId('tour-button').textContent).toBe('Tour');

    fireEvent.click(screen.getByTestId('tour-button'));
    for (let i = 1; i < TOUR_STEPS.length; i++)
      fireEvent.keyDown(screen.getByRole('dialog'), { key: 'ArrowRight' });
    expect(screen.getByTestId('tour-next').textContent).toBe('Finish');
    expect(highlighted()).toEqual(['mode-train']);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'ArrowRight' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(localStorage.getItem(TOUR_DONE_KEY)).toBe('done');
    expect(screen.getByTestId('tour-button').textContent).toBe('Tour ✓');
  });

  it('?tour=1 opens it at page start', () => {
    history.replaceState(null, '', '/?tour=1');
    render(<Tour />);
    expect(screen.getByRole('dialog', { name: 'Routing map' })).toBeTruthy();
  });
});
