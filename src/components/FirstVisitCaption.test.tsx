// @vitest-environment jsdom
// The first visit: the bare address loads the default model with an example sentence (run once the
// model is ready) and a caption; the URL stays bare until the user changes something, then names
// the prompt like any link. Any query at all is not a first visit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { FirstVisitCaption } from './FirstVisitCaption';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { useLab } from '../state/store';
import { initFromUrl, useUrlSync } from '../state/useUrlSync';
import { FIRST_VISIT_PROMPT } from '../state/firstVisit';
import { DEFAULT_MODEL_ID } from '../models/registry';
import { EXAMPLES } from './PromptBar';

let calls: EngineCall[];
beforeEach(() => {
  calls = connectFakeEngine();
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const open = (search: string) => {
  history.replaceState(null, '', `/${search}`);
  initFromUrl();
  renderHook(() => useUrlSync());
  render(<FirstVisitCaption />);
};

describe('first visit', () => {
  it('the bare address opens the default model on the English example, with a caption', () => {
    open('');
    expect(FIRST_VISIT_PROMPT).toBe(EXAMPLES.find((x) => x.lang === 'en')!.text);
    expect(useLab.getState().prompt).toBe(FIRST_VISIT_PROMPT);
    expect(calls.filter((c) => c[0] === 'loadModel')).toHaveLength(1);
    expect(useLab.getState().modelId).toBe(DEFAULT_MODEL_ID);
    expect(screen.getByTestId('first-visit-caption').textContent).toContain(
      `You are looking at ${DEFAULT_MODEL_ID} routing an example sentence`,
    );
  });

  it('the URL stays bare while only the example runs; the first change writes the prompt too', () => {
    open('');
    act(() => useLab.setState({ running: true, progress: { label: 'layer 1', value: 0.2 } }));
    expect(location.search).toBe('');
    act(() => useLab.getState().pin({ token: 3, layer: 2 }));
    expect(new URLSearchParams(location.search).get('q')).toBe(FIRST_VISIT_PROMPT);
    expect(new URLSearchParams(location.search).get('t')).toBe('3');
  });

  it('a new prompt replaces the caption and goes into the URL', () => {
    open('');
    act(() => useLab.getState().setPrompt('Hallo Welt'));
    expect(screen.queryByTestId('first-visit-caption')).toBeNull();
    expect(location.search).toBe('?q=Hallo+Welt');
  });

  it('an address with any query is not a first visit: no example, no caption', () => {
    open(`?model=${DEFAULT_MODEL_ID}`);
    expect(useLab.getState().prompt).toBe('');
    expect(screen.queryByTestId('first-visit-caption')).toBeNull();
  });
});
