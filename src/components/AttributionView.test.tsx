// @vitest-environment jsdom
// The attribution view's probe picker and its dense-layer rows. The worker is replaced by a fake
// that answers the two requests the view sends (probe texts, routing of texts) with hand-made
// selections; the ranking and the specs are computed by the real metric functions and store actions.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AttributionView } from './AttributionView';
import { loadMockDenseRun, MOCK_DENSE_MANIFEST } from './__fixtures__/mockRun';
import { useLab } from '../state/store';
import { connectEngine, type EngineCommands } from '../state/actions';

const PROBES: Record<string, string[]> = {
  en: ['All human beings are born free.\nSecond line of the same article.', 'Everyone has the right to life.', 'Third.'],
  de: ['Alle Menschen sind frei.', 'Jeder hat das Recht auf Leben.', 'Dritter.'],
};

/** the requests the worker would get, in order */
const requests: { type: string; lang?: string; articles?: number; texts?: string[] }[] = [];

/** The engine, faked: the two requests the view sends are recorded as the worker would get them. */
const fakeEngine = {
  runPrompt: vi.fn(),
  probeTexts: vi.fn(async (lang: string, articles: number) => {
    requests.push({ type: 'probe-texts', lang, articles });
    return PROBES[lang].slice(0, articles);
  }),
  // [text][layer][token][k]: two tokens per text; layer 0 is dense (nothing selected).
  // English probe texts pick experts 0,1 in layer 1 and 2,3 in layer 2; anything else the reverse.
  routeTexts: vi.fn(async (texts: string[]) => {
    requests.push({ type: 'route-texts', texts });
    return texts.map((t) => {
      const en = PROBES.en.includes(t);
      return [[[], []], en ? [[0, 1], [0, 1]] : [[2, 3], [2, 3]], en ? [[2, 3], [2, 3]] : [[0, 1], [0, 1]]];
    });
  }),
} as unknown as EngineCommands;

const manifest = {
  ...MOCK_DENSE_MANIFEST,
  probes: 'probes/',
  files: [{ path: 'probes/de.json' }, { path: 'probes/en.json' }, { path: 'embed.onnx' }],
} as typeof MOCK_DENSE_MANIFEST;

beforeEach(() => {
  connectEngine(fakeEngine);
  loadMockDenseRun();
  useLab.setState({ manifest });
  requests.length = 0;
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

describe('AttributionView', () => {
  it('picks set A from the probes (whole articles, first N), marks the dense layer and steers only MoE layers', async () => {
    render(<AttributionView />);
    const pick = screen.getByTestId('attr-a-probe') as HTMLSelectElement;
    expect(Array.from(pick.options, (o) => o.value)).toEqual(['', 'de', 'en']);
    fireEvent.change(pick, { target: { value: 'en' } });
    expect((screen.getByTestId('attr-a') as HTMLTextAreaElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('attr-articles'), { target: { value: '2' } });
    // set B stays typed: one text per line
    fireEvent.change(screen.getByTestId('attr-b'), { target: { value: 'Grüße aus Köln.\n\nNoch einer.' } });
    fireEvent.click(screen.getByTestId('attr-run'));
    await waitFor(() => expect(screen.getByTestId('attr-table')).toBeTruthy());
    expect(requests.map((r) => r.type)).toEqual(['probe-texts', 'route-texts', 'route-texts']);
    expect(requests[0]).toMatchObject({ type: 'probe-texts', lang: 'en', articles: 2 });
    // the article with a newline stays one text (as `moe-lab attribute --a-probe en --articles 2`)
    expect(requests[1]).toMatchObject({ texts: PROBES.en.slice(0, 2) });
    expect(requests[2]).toMatchObject({ texts: ['Grüße aus Köln.', 'Noch einer.'] });
    // layer 0 dense; layer 1: freq A = [1, 1, 0, 0], freq B = [0, 0, 1, 1] → Δ = [+1, +1, −1, −1]
    expect(screen.getByTestId('attr-top-a-0').textContent).toBe('layer 0 is dense (no router)');
    expect(screen.getByTestId('attr-top-a-1').textContent).toBe('0 (+1.00), 1 (+1.00)');
    expect(screen.getByTestId('attr-top-a-2').textContent).toBe('2 (+1.00), 3 (+1.00)');
    fireEvent.click(screen.getByTestId('attr-towards-a'));
    expect(useLab.getState().interventions).toEqual(['steer:layers=1,experts=0+1,lambda=0.5', 'steer:layers=2,experts=2+3,lambda=0.5']);
  });

  it('shows no picker for a bundle without probes', () => {
    useLab.setState({ manifest: MOCK_DENSE_MANIFEST });
    render(<AttributionView />);
    expect(screen.queryByTestId('attr-a-probe')).toBeNull();
    expect(screen.queryByTestId('attr-articles')).toBeNull();
  });
});
