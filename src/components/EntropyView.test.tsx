// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { EntropyView } from './EntropyView';
import { loadMockRun, MOCK_LAYERS } from './__fixtures__/mockRun';
import type { LayerEvent } from '../routing/run';
import { useLab } from '../state/store';

beforeEach(loadMockRun);
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const text = (id: string) => screen.getByTestId(id).textContent;

describe('EntropyView', () => {
  it('shows the focused token’s routing entropy, confidence and top-1 margin, worked by hand', () => {
    // The mock's logits are log p, so softmax gives back p. Layer 1, token 1: p = [.05, .05, .8, .1]
    // H = 2·.05·ln 20 + .8·ln 1.25 + .1·ln 10 = .299573 + .178515 + .230259 = .708347 nats,
    // / ln 4 = .510965; top-1 p = .8; margin .8 − .1 = .7.
    useLab.setState({ focus: { layer: 1, token: 1, expert: null } });
    render(<EntropyView />);
    expect(text('entropy-h')).toBe('0.708');
    expect(text('entropy-hnorm')).toBe('0.511');
    expect(text('entropy-conf')).toBe('0.800');
    expect(text('entropy-margin')).toBe('0.700');
    expect(text('entropy-token')).toContain('token 1 “Hello”, layer 1');
  });

  it('draws one cell per layer and token and lists per-layer means', () => {
    render(<EntropyView />);
    const cells = document.querySelectorAll('rect.ent-cell');
    expect(cells).toHaveLength(8);
    // Layer 0, token 0: p = [.4, .3, .2, .1] → H = .366516 + .361192 + .321888 + .230259 = 1.279854,
    // / ln 4 = .923219 (the cell's colour value), tooltip with all four numbers.
    const c00 = document.querySelector('rect.ent-cell[data-layer="0"][data-token="0"]')!;
    expect(c00.getAttribute('data-v')).toBe('0.9232');
    // the tooltip is written when the pointer reaches the cell
    fireEvent.mouseEnter(c00);
    expect(c00.querySelector('title')!.textContent).toBe(
      'token 0, layer 0: H = 1.280 nats (0.923 of log E), top-1 p = 0.400, margin 0.100',
    );
    // Layer 0 means: top-1 p (.4 + .5 + .3 + .6)/4 = .45; margin (.1 + .2 + 0 + .4)/4 = .175.
    const row0 = Array.from(
      document.querySelectorAll('[data-testid="entropy-table"] tr[data-layer="0"] td'),
      (td) => td.textContent,
    );
    expect(row0[0]).toBe('L0');
    expect(row0[3]).toBe('0.450');
    expect(row0[4]).toBe('0.175');
  });

  it('colours by top-1 margin on request; a click pins the focus; the source is in the tooltip', () => {
    render(<EntropyView />);
    fireEvent.change(screen.getByTestId('entropy-measure'), { target: { value: 'margin' } });
    // Layer 0, token 3: p = [.1, .6, .2, .1] → margin .6 − .2 = .4
    const c = document.querySelector('rect.ent-cell[data-layer="0"][data-token="3"]')!;
    expect(c.getAttribute('data-v')).toBe('0.4000');
    fireEvent.click(c);
    expect(useLab.getState().focus).toMatchObject({ layer: 0, token: 3 });
    expect(useLab.getState().pinned).toBe(true);
    expect(text('entropy-margin')).toBe('0.400');
    expect(document.querySelectorAll('rect.ent-focus')).toHaveLength(1);
    expect(
      screen.getByTestId('entropy-view').querySelector('.hint')!.getAttribute('title'),
    ).toContain('Harder Tasks Need More Experts');
  });

  it('shows a placeholder before any run', () => {
    useLab.setState(useLab.getInitialState());
    render(<EntropyView />);
    expect(screen.getByTestId('entropy-view').textContent).toContain('after a run');
    expect(document.querySelector('rect.ent-cell')).toBeNull();
  });
});

describe('EntropyView while a pass streams in', () => {
  it('draws the rows that have arrived, then all of them (the streamed layer array has holes)', () => {
    loadMockRun();
    const sparse: LayerEvent[] = [];
    sparse[1] = MOCK_LAYERS[1];
    useLab.setState({ modified: { layers: sparse, settled: [], summary: null } });
    render(<EntropyView />);
    expect(document.querySelectorAll('rect.ent-cell[data-layer="1"]')).toHaveLength(4);
    expect(document.querySelectorAll('rect.ent-cell[data-layer="0"]')).toHaveLength(0);
    act(() => useLab.setState({ modified: { layers: [...MOCK_LAYERS], settled: MOCK_LAYERS, summary: null } }));
    expect(document.querySelectorAll('rect.ent-cell')).toHaveLength(8);
    // layer 0, token 0 recoloured with its value (worked above: 0.9232)
    expect(document.querySelector('rect.ent-cell[data-layer="0"][data-token="0"]')!.getAttribute('data-v')).toBe('0.9232');
  });
});
