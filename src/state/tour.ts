// The guided tour's state: open or not, the step on screen, and whether this browser finished it
// (localStorage, so the Tour button can say so). `?tour=1` opens it at page start.
import { create } from 'zustand';

export const TOUR_DONE_KEY = 'moe-lab-tour';

function storedDone(): boolean {
  try {
    return typeof localStorage !== 'undefined' && localStorage.getItem(TOUR_DONE_KEY) === 'done';
  } catch {
    return false; // storage blocked (private mode, sandboxed frame): the tour just never remembers
  }
}

export interface TourState {
  open: boolean;
  step: number;
  /** this browser finished the tour once */
  done: boolean;
  start(): void;
  go(step: number): void;
  /** close; `finished` records it in localStorage */
  close(finished: boolean): void;
}

export const useTour = create<TourState>()((set) => ({
  open: false,
  step: 0,
  done: storedDone(),
  start: () => set({ open: true, step: 0 }),
  go: (step) => set({ step }),
  close(finished) {
    if (finished)
      try {
        localStorage.setItem(TOUR_DONE_KEY, 'done');
      } catch {
        // not remembered: see storedDone
      }
    set({ open: false, step: 0, done: finished || storedDone() });
  },
}));

/** `?tour=1` in the address opens the tour. */
export const tourRequested = (search: string): boolean =>
  new URLSearchParams(search).get('tour') === '1';
