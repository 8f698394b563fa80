// @vitest-environment jsdom
// Views on a run whose layer 0 is dense (no router): each says so instead of drawing empty
// selections as dropped tokens; the MoE layers around it draw as before.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { RoutingMap } from './RoutingMap';
import { RouterScores } from './RouterScores';
import { ExpertLoad } from './ExpertLoad';
import { FlowView } from './FlowView';
import { CacheView } from './CacheView';
import { CoActivationView } from './CoActivationView';
import { EntropyView } from './EntropyView';
import { CouplingView } from './CouplingView';
import { loadMockDenseRun } from './__fixtures__/mockRun';
import { useLab } from '../state/store';

beforeEach(loadMockDenseRun);
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const focus = (layer: number, token = 0) => useLab.setState({ focus: { layer, token, expert: null } });
const NOTE = 'Layer 0 is dense (no router): every token goes through the same MLP.';

describe('a dense layer in the views', () => {
  it('routing map: the dense row is labelled, its cells say "dense MLP layer", MoE rows keep their experts', () => {
    render(<RoutingMap />);
    expect(screen.getAllByTestId('routing-cell')).toHaveLength(12); // 3 layers × 4 tokens
    const rows = document.querySelectorAll('.map-row[data-kind="dense"]');
    expect(rows).toHaveLength(1);
    expect(rows[0].querySelector('[role="rowheader"]')!.textContent).toBe('L0 dense');
    expect(screen.getByTestId('dense-row-label').title).toBe('dense MLP layer: no router, every token goes through the same MLP');
    const cell = (l: number, t: number) => document.querySelector<HTMLElement>(`[data-testid="routing-cell"][data-layer="${l}"][data-token="${t}"]`)!;
    expect(cell(0, 1).dataset.experts).toBe('');
    expect(cell(0, 1).getAttribute('aria-label')).toBe('layer 0, token 1 "Hello": dense MLP layer (no router, no experts)');
    expect(cell(0, 1).classList.contains('is-dense')).toBe(true);
    expect(cell(2, 2).dataset.experts).toBe('2,1'); // MOCK_LAYERS[1], now layer 2
  });

  it('expert load and caches: no load bars, no "100% dropped", a dense notice', () => {
    focus(0);
    render(<ExpertLoad />);
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No expert load to count and no token is dropped.`);
    expect(document.querySelectorAll('rect.bar')).toHaveLength(0);
    expect(document.querySelector('[data-metric="dropped"]')).toBeNull();
    cleanup();
    render(<CacheView />);
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No experts to cache or place on devices.`);
    expect(screen.queryByTestId('cache-table')).toBeNull();
  });

  it('an MoE layer after the dense one draws its load; prefetch predicts from the previous MoE layer', () => {
    focus(1);
    render(<ExpertLoad />);
    // layer 1 = MOCK_LAYERS[0]: [0,1],[0,2],[3,0],[1,2] → counts [3,2,2,1]
    expect(Array.from(document.querySelectorAll('rect.bar'), (b) => b.getAttribute('data-count'))).toEqual(['3', '2', '2', '1']);
    expect(document.querySelector('[data-metric="dropped"] dd')!.textContent).toBe('0.0%');
    cleanup();
    render(<CacheView />);
    // layer 1's only earlier layer is dense: no prefetch row
    expect(document.querySelector('[data-policy="prefetch"]')).toBeNull();
    cleanup();
    focus(2);
    render(<CacheView />);
    expect(document.querySelector('[data-policy="prefetch"]')).not.toBeNull();
  });

  it('flow: columns are the MoE layers only, with the dense layer named', () => {
    render(<FlowView />);
    expect(document.querySelectorAll('rect.node')).toHaveLength(8); // 2 MoE layers × 4 experts
    expect(Array.from(document.querySelectorAll('text.col-label'), (t) => t.textContent)).toEqual(['L1', 'L2']);
    // MoE layer 1 → MoE layer 2: every token keeps 2 × 2 expert pairs = 16
    const total = Array.from(document.querySelectorAll('path.link')).reduce((a, p) => a + Number(p.getAttribute('data-flow')), 0);
    expect(total).toBe(16);
    expect(document.querySelector('path.link title')!.textContent).toMatch(/^L1:\d → L2:\d: \d+ token-expert pairs$/);
    expect(screen.getByTestId('dense-note').textContent).toBe('Dense layer 0 (no router) left out: bands join each MoE layer to the next MoE layer.');
  });

  it('router scores, co-activation and coupling on the dense layer say it has no router', () => {
    focus(0, 2);
    render(<RouterScores />);
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No router scores, nothing to mask or force.`);
    expect(document.querySelectorAll('rect.bar')).toHaveLength(0);
    expect(screen.queryByTestId('mask-0')).toBeNull();
    cleanup();
    render(<CoActivationView />);
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No experts to fire together.`);
    expect(document.querySelectorAll('rect.cell')).toHaveLength(0);
    cleanup();
    render(<CouplingView />);
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No router rows to couple with experts.`);
    expect(screen.queryByTestId('coupling-run')).toBeNull();
  });

  it('entropy: the dense row is labelled, not drawn; its table row says dense; the focused dense layer has a notice', () => {
    focus(0, 1);
    render(<EntropyView />);
    expect(document.querySelectorAll('rect.ent-cell')).toHaveLength(8); // MoE layers only
    expect(document.querySelector('rect.ent-cell[data-layer="0"]')).toBeNull();
    const label = document.querySelector('text.dense-row')!;
    expect(label.getAttribute('data-layer')).toBe('0');
    expect(label.textContent).toBe('dense MLP layer (no router)');
    expect(document.querySelector('[data-testid="entropy-table"] tr[data-kind="dense"]')!.textContent).toBe('L0dense (no router)');
    expect(screen.getByTestId('dense-note').textContent).toBe(`${NOTE} No router entropy or confidence.`);
    expect(screen.queryByTestId('entropy-token')).toBeNull();
    cleanup();
    // Layer 2 (= MOCK_LAYERS[1]), token 1: p = [.05, .05, .8, .1] → H = 0.708 nats (worked in EntropyView.test)
    focus(2, 1);
    render(<EntropyView />);
    expect(screen.getByTestId('entropy-h').textContent).toBe('0.708');
  });
});
