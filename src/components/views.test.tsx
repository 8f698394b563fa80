// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { RoutingMap } from './RoutingMap';
import { RouterScores } from './RouterScores';
import { ExpertLoad } from './ExpertLoad';
import { NextToken } from './NextToken';
import { RouterPanel } from './RouterPanel';
import { loadMockRun, MOCK_LAYERS, MOCK_MANIFEST } from './__fixtures__/mockRun';
import { useLab } from '../state/store';

beforeEach(loadMockRun);
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

describe('RoutingMap', () => {
  it('renders one focusable cell per layer and token with the selected experts, tokens as text', () => {
    render(<RoutingMap />);
    const cells = screen.getAllByTestId('routing-cell');
    expect(cells).toHaveLength(8);
    const c = cells.find((x) => x.dataset.layer === '1' && x.dataset.token === '2')!;
    expect(c.dataset.experts).toBe('2,1');
    // The HTML-looking token is text, not markup.
    expect(Array.from(document.querySelectorAll('.map-token'), (e) => e.textContent)).toEqual([
      '<s>',
      'Hello',
      ' <b>world</b>',
      '!',
    ]);
    expect(document.querySelector('.map-token b')).toBeNull();
  });

  it('outlines the cells a diff marks as changed and moves focus with the arrow keys', () => {
    useLab.setState({
      diff: {
        layers: [{ layer: 1, flipped: 0.25, flippedTokens: [3] }],
        nextKL: 0.1,
        lossDelta: [0, 0, 0],
        meanLossDelta: 0,
      },
    });
    render(<RoutingMap />);
    const changed = document.querySelectorAll('.map-cell.is-changed');
    expect(changed).toHaveLength(1);
    expect((changed[0] as HTMLElement).dataset.token).toBe('3');
    fireEvent.keyDown(screen.getByRole('grid'), { key: 'ArrowRight' });
    fireEvent.keyDown(screen.getByRole('grid'), { key: 'ArrowDown' });
    expect(useLab.getState().focus).toMatchObject({ layer: 1, token: 1 });
  });
});

describe('RouterScores', () => {
  it('draws one bar per expert for the focused token, selected ones solid', () => {
    useLab.setState({ focus: { layer: 0, token: 3, expert: null } });
    render(<RouterScores />);
    const bars = document.querySelectorAll('rect.bar');
    expect(bars).toHaveLength(4);
    expect(bars[1].getAttribute('data-p')).toBe('0.6000');
    expect(bars[1].getAttribute('opacity')).toBe('1'); // expert 1 selected for token 3
    expect(bars[0].getAttribute('opacity')).toBe('0.35');
  });
});

describe('ExpertLoad', () => {
  it('shows counts and the balance metrics of the focused layer', () => {
    useLab.setState({ focus: { layer: 1, token: 0, expert: null } });
    render(<ExpertLoad />);
    // layer 1 selections: [2,3],[2,3],[2,1],[3,2] → counts [0,1,4,3], ideal 2, MaxVio (4−2)/2 = 1
    const counts = Array.from(document.querySelectorAll('rect.bar')).map((b) =>
      b.getAttribute('data-count'),
    );
    expect(counts).toEqual(['0', '1', '4', '3']);
    expect(document.querySelector('[data-metric="MaxVio"] dd')!.textContent).toBe('1.000');
    expect(document.querySelector('[data-metric="mean active"] dd')!.textContent).toBe('2.00');
    expect(screen.queryByTestId('load-generated')).toBeNull(); // nothing generated yet
  });

  it('counts a generated continuation apart from the prompt', () => {
    useLab.setState({ focus: { layer: 1, token: 0, expert: null } });
    // three generated tokens visiting, in layer 1: [0,1], [0,3], [2,1] → counts [2,2,1,1], ideal 1.5, MaxVio (2−1.5)/1.5 = 0.333
    const experts = (l1: number[]) => [[9, 9], l1];
    useLab.setState({
      generation: {
        text: 'abc',
        running: false,
        tokens: [
          { id: 1, text: 'a', experts: experts([0, 1]) },
          { id: 2, text: 'b', experts: experts([0, 3]) },
          { id: 3, text: 'c', experts: experts([2, 1]) },
        ],
      },
    });
    render(<ExpertLoad />);
    // the prompt's bars are unchanged
    expect(
      Array.from(document.querySelectorAll('rect.bar')).map((b) => b.getAttribute('data-count')),
    ).toEqual(['0', '1', '4', '3']);
    expect(screen.getByTestId('load-generated').textContent).toBe(
      "Generated 3 tokens (apart from the prompt's 4): busiest 0×2, 1×2, 2×1, 3×1; MaxVio 0.333 vs prompt 1.000",
    );
  });
});

describe('NextToken', () => {
  it('lists the next-token candidates and the mean loss; the diff appears with a baseline', () => {
    render(<NextToken />);
    expect(Array.from(document.querySelectorAll('.next-list .tok'), (e) => e.textContent)).toEqual([
      ' again',
      '?',
    ]);
    expect(screen.getByTestId('mean-loss').textContent).toBe('1.500'); // (2.5 + 1.5 + 0.5) / 3
    expect(screen.queryByTestId('next-kl')).toBeNull();
    cleanup();
    useLab.setState({
      baseline: {
        layers: MOCK_LAYERS,
        settled: MOCK_LAYERS,
        summary: useLab.getState().modified.summary,
      },
      diff: { layers: [], nextKL: 0.0123, lossDelta: [0.1, -0.2, 0.4], meanLossDelta: 0.1 },
    });
    render(<NextToken />);
    expect(screen.getByTestId('next-kl').textContent).toBe('0.0123');
    expect(screen.getByTestId('loss-delta').textContent).toBe('+0.1000');
  });
});

describe('RouterPanel', () => {
  it('lists the whole catalogue, shows the rule and source, and validates interventions', () => {
    render(<RouterPanel />);
    const select = screen.getByTestId('router-select') as HTMLSelectElement;
    expect(Array.from(select.options).map((o) => o.value)).toContain('expert-choice');
    fireEvent.change(select, { target: { value: 'expert-choice' } });
    expect(useLab.getState().router).toBe('expert-choice:c=1');
    expect(screen.getByTestId('router-rule').textContent).toContain('Non-causal');
    fireEvent.change(screen.getByTestId('iv-kind'), { target: { value: 'steer' } });
    fireEvent.change(screen.getByTestId('iv-layers'), { target: { value: '0-1' } });
    fireEvent.change(screen.getByTestId('iv-experts'), { target: { value: '1, 3' } });
    fireEvent.change(screen.getByTestId('iv-value'), { target: { value: '0.5' } });
    fireEvent.click(screen.getByTestId('iv-add'));
    expect(useLab.getState().interventions).toEqual(['steer:layers=0-1,experts=1+3,lambda=0.5']);
    fireEvent.change(screen.getByTestId('iv-kind'), { target: { value: 'mask' } });
    fireEvent.change(screen.getByTestId('iv-layers'), { target: { value: 'x' } });
    fireEvent.click(screen.getByTestId('iv-add'));
    expect(useLab.getState().error).toBe(
      'bad intervention "mask:layers=x,experts=1+3": layers must be an index, a range i-j or *',
    );
  });
});

describe('FlowView and CoActivationView', () => {
  it('draw one node per layer and expert and the token flows between layers', async () => {
    const { FlowView } = await import('./FlowView');
    render(<FlowView />);
    expect(document.querySelectorAll('rect.node')).toHaveLength(8); // 2 layers × 4 experts
    // layer 0 → 1 pairs: t0 {0,1}→{2,3}: 4, t1 {0,2}→{2,3}: 4, t2 {3,0}→{2,1}: 4, t3 {1,2}→{3,2}: 4 = 16 pairs
    const total = Array.from(document.querySelectorAll('path.link')).reduce(
      (a, p) => a + Number(p.getAttribute('data-flow')),
      0,
    );
    expect(total).toBe(16);
  });

  it('co-activation counts tokens that chose both experts', async () => {
    const { CoActivationView } = await import('./CoActivationView');
    useLab.setState({ focus: { layer: 1, token: 0, expert: null } });
    render(<CoActivationView />);
    const cells = Array.from(document.querySelectorAll('rect.cell')).map((c) =>
      Number(c.getAttribute('data-count')),
    );
    // layer 1: {2,3} ×3 (t0, t1, t3), {2,1} ×1 → m[2][3] = 3, m[1][2] = 1, m[2][2] = 4
    expect(cells[2 * 4 + 3]).toBe(3);
    expect(cells[1 * 4 + 2]).toBe(1);
    expect(cells[2 * 4 + 2]).toBe(4);
  });
});

describe('AlignmentView placeholders', () => {
  it('before a model has loaded it says so; a model without probes says it has nothing to align', async () => {
    const { AlignmentView } = await import('./AlignmentView');
    useLab.setState({ manifest: null });
    render(<AlignmentView />);
    expect(screen.getByTestId('alignment-view').textContent).toContain(
      "Routing of the model's parallel probe texts, once a model has loaded.",
    );
    cleanup();
    useLab.setState({ manifest: { ...MOCK_MANIFEST, probes: undefined } });
    render(<AlignmentView />);
    expect(screen.getByTestId('alignment-view').textContent).toContain(
      'This model ships no parallel probe texts (probes/), so there is nothing to align.',
    );
  });
});

describe('AlignmentView: the last two prompts', () => {
  it('shows the per-layer JSD of the two prompts’ mean routing vectors', async () => {
    const { AlignmentView } = await import('./AlignmentView');
    useLab.setState({
      manifest: MOCK_MANIFEST,
      promptPair: {
        prev: { text: 'Hello', layers: [MOCK_LAYERS[0], MOCK_LAYERS[1]] },
        cur: { text: 'Hallo', layers: [MOCK_LAYERS[1], MOCK_LAYERS[1]] },
      },
    });
    render(<AlignmentView />);
    const pair = screen.getByTestId('prompt-pair');
    expect(pair.textContent).toContain('“Hello” and “Hallo”');
    // layer 0: means [.325,.275,.25,.15] vs [.0875,.1625,.4875,.2625] → JSD 0.102330 bits; layer 1: the same → 0
    expect(pair.querySelector('td[data-layer="0"]')!.getAttribute('data-jsd')).toBe('0.1023');
    expect(pair.querySelector('td[data-layer="1"]')!.getAttribute('data-jsd')).toBe('0.0000');
  });
});

describe('Header: the weight format that ran', () => {
  it('shows a dtype badge for fp16/q8/q4 models and none for float32', async () => {
    const { Header } = await import('./Header');
    useLab.setState({ manifest: { ...MOCK_MANIFEST, dtype: 'q4' } });
    render(<Header />);
    expect(screen.getByTestId('dtype-badge').textContent).toBe('q4');
    expect(screen.getByTestId('dtype-badge').getAttribute('title')).toContain(
      '4-bit weights (MatMulNBits)',
    );
    cleanup();
    useLab.setState({ manifest: { ...MOCK_MANIFEST, dtype: 'fp32' } });
    render(<Header />);
    expect(screen.queryByTestId('dtype-badge')).toBeNull();
  });
});

describe('PromptBar', () => {
  it('keeps its Stop button in place: disabled while idle, enabled while a run is going', async () => {
    const { PromptBar } = await import('./PromptBar');
    useLab.setState({ running: false });
    render(<PromptBar />);
    expect((screen.getByTestId('stop') as HTMLButtonElement).disabled).toBe(true);
    cleanup();
    useLab.setState({ running: true });
    render(<PromptBar />);
    expect((screen.getByTestId('stop') as HTMLButtonElement).disabled).toBe(false);
  });
});
