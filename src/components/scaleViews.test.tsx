// @vitest-environment jsdom
// Router scores, flow, next token and the router panel at real models' shapes (E = 32, 64, 256,
// 61 layers): the DOM stays bounded, the top experts are shown with the rest summarised, and
// every expert can still be masked or forced.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { RouterScores, SCORES_TOP_M } from './RouterScores';
import { FlowView, FLOW_MAX_COLS, FLOW_MAX_LINKS, FLOW_TOP_N } from './FlowView';
import { NextToken } from './NextToken';
import { RouterPanel } from './RouterPanel';
import { loadBigRun, SHAPES } from './__fixtures__/bigRun';
import { useLab, emptyPass } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { MOCK_SUMMARY } from './__fixtures__/mockRun';

afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const nodes = (el: Element) => el.querySelectorAll('*').length;
const bars = () => Array.from(document.querySelectorAll<SVGRectElement>('rect.bar'));
const barIds = () => bars().map((b) => Number(b.getAttribute('data-expert')));
const focus = (layer: number, token: number, expert: number | null = null) =>
  useLab.setState({ focus: { layer, token, expert } });

/** One hand-made MoE layer of E = 20 experts and one token with the given probabilities. */
function loadHandLayer(probs: number[], selected: number[]) {
  const E = probs.length;
  const ev: LayerEvent = {
    layer: 0,
    kind: 'moe',
    T: 1,
    E,
    routerLogits: Float32Array.from(probs.map((p) => Math.log(p))),
    probs: Float32Array.from(probs),
    selected: [selected],
    gates: [selected.map(() => 1 / selected.length)],
    expertNorms: new Float32Array(E).fill(1),
    dropped: new Uint8Array(1),
  };
  useLab.setState({
    ...useLab.getInitialState(),
    modified: {
      layers: [ev],
      settled: [ev],
      summary: { ...MOCK_SUMMARY, tokens: MOCK_SUMMARY.tokens.slice(0, 1) },
    },
    baseline: emptyPass(),
  });
}

describe('RouterScores at scale', () => {
  it('hand-made E = 20: the top 16 plus the selected expert, the rest summarised by hand', () => {
    // experts 0..15 get 0.05 each except 0 (0.1) → 0.85; 16..19 get 0.06, 0.04, 0.03, 0.02 → 0.15
    const p = [0.1, ...Array.from({ length: 15 }, () => 0.05), 0.06, 0.04, 0.03, 0.02];
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    loadHandLayer(p, [19, 0]); // expert 19 (p = 0.02) is selected: always shown
    render(<RouterScores />);
    // shown: 19 (kept) + the 15 best of the others: 0 (0.1), 16 (0.06), then 1..13 (0.05, ties by id)
    expect(barIds()).toEqual([0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 19]);
    // rest: 14, 15 (0.05 each), 17 (0.04), 18 (0.03) → total 0.17, max 0.05
    expect(screen.getByTestId('scores-rest').textContent).toBe(
      '+4 others: total p = 0.170, max 0.050',
    );
    const b19 = bars().find((b) => b.getAttribute('data-expert') === '19')!;
    expect(b19.getAttribute('opacity')).toBe('1');
    expect(b19.classList.contains('is-selected')).toBe(true);
    expect(
      bars()
        .find((b) => b.getAttribute('data-expert') === '1')!
        .getAttribute('opacity'),
    ).toBe('0.35');
    // ⊘/↑ only for the shown ones
    expect(screen.getByTestId('mask-19')).toBeTruthy();
    expect(screen.queryByTestId('mask-17')).toBeNull();
  });

  it('E = 256 (DeepSeek-V3 shape): 16 bars, the selected ones solid, a bounded DOM; show all stays small', () => {
    const run = loadBigRun(SHAPES.deepseekV3, 512);
    focus(3, 5);
    const { container } = render(<RouterScores />);
    const ev = run.layers[3];
    const sel = ev.selected[5];
    expect(bars()).toHaveLength(SCORES_TOP_M);
    expect(sel.every((e) => barIds().includes(e))).toBe(true);
    for (const b of bars())
      expect(b.getAttribute('opacity')).toBe(
        sel.includes(Number(b.getAttribute('data-expert'))) ? '1' : '0.35',
      );
    // the rest line matches the probabilities of the experts not drawn
    const shown = new Set(barIds());
    const rest = Array.from(ev.probs.subarray(5 * 256, 6 * 256)).filter((_, e) => !shown.has(e));
    const total = rest.reduce((a, b) => a + b, 0);
    const max = Math.max(...rest);
    const fmt = (v: number) => (v >= 0.01 ? v.toFixed(3) : v.toPrecision(2));
    expect(screen.getByTestId('scores-rest').textContent).toBe(
      `+240 others: total p = ${fmt(total)}, max ${fmt(max)}`,
    );
    expect(document.querySelectorAll('[data-testid^="mask-"]')).toHaveLength(SCORES_TOP_M);
    const n = nodes(container);
    expect(n).toBeLessThan(400);

    fireEvent.click(screen.getByTestId('scores-show-all'));
    expect(bars()).toHaveLength(256);
    expect(barIds()).toEqual(Array.from({ length: 256 }, (_, e) => e)); // by id
    const labels = Array.from(document.querySelectorAll('text.label'), (t) => t.textContent);
    expect(labels).toEqual(Array.from({ length: 8 }, (_, i) => String(i * 32))); // thinned: 3-digit ids every 32nd
    expect(document.querySelectorAll('[data-testid^="mask-"]')).toHaveLength(0); // no per-expert buttons
    expect(screen.getByTestId('expert-picker')).toBeTruthy();
    expect(screen.queryByTestId('scores-rest')).toBeNull();
    expect(nodes(container)).toBeLessThan(400);
    console.log(`RouterScores DOM at E=256: top-16 ${n} elements, show all ${nodes(container)}`);
    fireEvent.click(screen.getByTestId('scores-show-all'));
    expect(bars()).toHaveLength(SCORES_TOP_M);
  });

  it('masks an expert from the summarised rest via the picker; it is then drawn, outlined', () => {
    const run = loadBigRun(SHAPES.deepseekV3, 512);
    focus(3, 5);
    render(<RouterScores />);
    const shown = new Set(barIds());
    const hidden = Array.from({ length: 256 }, (_, e) => e).filter((e) => !shown.has(e));
    const victim = hidden[hidden.length - 1];
    expect(run.layers[3].E).toBe(256);
    fireEvent.change(screen.getByTestId('picker-expert'), { target: { value: String(victim) } });
    fireEvent.click(screen.getByTestId('picker-mask'));
    expect(useLab.getState().interventions).toEqual([`mask:layers=3,experts=${victim}`]);
    // an expert with an intervention is always shown, with its own ⊘ pressed
    expect(barIds()).toContain(victim);
    expect(
      bars()
        .find((b) => b.getAttribute('data-expert') === String(victim))!
        .getAttribute('data-intervened'),
    ).toBe('true');
    expect(screen.getByTestId(`mask-${victim}`).getAttribute('aria-pressed')).toBe('true');
    // several at once, and a bad id is refused in words
    fireEvent.change(screen.getByTestId('picker-expert'), { target: { value: '3+17' } });
    fireEvent.click(screen.getByTestId('picker-force'));
    expect(useLab.getState().interventions).toEqual([
      `mask:layers=3,experts=${victim}`,
      'force:layers=3,experts=3+17',
    ]);
    fireEvent.change(screen.getByTestId('picker-expert'), { target: { value: '256' } });
    fireEvent.click(screen.getByTestId('picker-mask'));
    expect(screen.getByTestId('picker-error').textContent).toBe(
      'expert 256 does not exist (ids 0–255)',
    );
    expect(useLab.getState().interventions).toHaveLength(2);
  });

  it('the focused expert is drawn and highlighted even when it is not in the top 16', () => {
    loadBigRun(SHAPES.deepseekV3, 512);
    focus(3, 5);
    render(<RouterScores />);
    const hidden = Array.from({ length: 256 }, (_, e) => e).filter((e) => !barIds().includes(e));
    cleanup();
    focus(3, 5, hidden[0]);
    render(<RouterScores />);
    const focused = document.querySelectorAll('rect.bar.is-focus');
    expect(focused).toHaveLength(1);
    expect(focused[0].getAttribute('data-expert')).toBe(String(hidden[0]));
    expect(bars()).toHaveLength(SCORES_TOP_M); // 8 selected + the focused one + 7 more
    // hover names the expert
    fireEvent.mouseEnter(focused[0]);
    expect(screen.getByTestId('scores-hover').textContent).toMatch(
      new RegExp(`^expert ${hidden[0]}: p = 0\\.\\d{4}$`),
    );
  });

  it('the keyboard walks the drawn bars in their order, names each expert and puts it in the picker', () => {
    const p = [0.1, ...Array.from({ length: 15 }, () => 0.05), 0.06, 0.04, 0.03, 0.02];
    loadHandLayer(p, [19, 0]);
    render(<RouterScores />);
    const chart = document.querySelector<SVGSVGElement>('svg.chart')!;
    expect(chart.getAttribute('tabindex')).toBe('0');
    fireEvent.keyDown(chart, { key: 'ArrowRight' });
    expect(useLab.getState().focus.expert).toBe(0);
    expect(screen.getByTestId('scores-hover').textContent).toBe('expert 0: p = 0.1000, selected');
    fireEvent.keyDown(chart, { key: 'ArrowRight' });
    expect(useLab.getState().focus.expert).toBe(16); // the next bar drawn, not the next id
    expect(screen.getByTestId('scores-hover').textContent).toBe('expert 16: p = 0.0600');
    fireEvent.keyDown(chart, { key: 'End' });
    expect(useLab.getState().focus.expert).toBe(19);
    fireEvent.keyDown(chart, { key: 'ArrowLeft' });
    expect(useLab.getState().focus.expert).toBe(13);
    fireEvent.keyDown(chart, { key: 'Enter' });
    expect(screen.getByTestId<HTMLInputElement>('picker-expert').value).toBe('13');
    fireEvent.keyDown(chart, { key: 'Home' });
    expect(useLab.getState().focus.expert).toBe(0);
  });

  it('E = 32 and 64: at most 16 ⊘/↑ pairs, bounded DOM', () => {
    for (const shape of [SHAPES.gptOss, SHAPES.olmoe]) {
      loadBigRun(shape, 256);
      focus(1, 7);
      const { container } = render(<RouterScores />);
      expect(bars()).toHaveLength(SCORES_TOP_M);
      expect(document.querySelectorAll('[data-testid^="force-"]')).toHaveLength(SCORES_TOP_M);
      expect(screen.getByTestId('scores-rest').textContent).toMatch(
        new RegExp(`^\\+${shape.experts - SCORES_TOP_M} others: total p = `),
      );
      expect(nodes(container)).toBeLessThan(400);
      cleanup();
    }
  });
});

describe('FlowView at scale', () => {
  it('E = 256, 58 MoE layers: counted in slices, then 12 columns of top-12 + "other", bounded DOM, a layer window', async () => {
    const T = 512;
    const run = loadBigRun(SHAPES.deepseekV3, T);
    const { container } = render(<FlowView />);
    // 58 × 512 × 8 selections: counted a slice at a time, with progress
    expect(screen.getByTestId('flow-counting').textContent).toMatch(
      /^Counting flows between 58 layers… \d+%$/,
    );
    await screen.findByTestId('flow-range', undefined, { timeout: 10_000 });
    const rects = Array.from(document.querySelectorAll('rect.node'));
    expect(rects).toHaveLength(FLOW_MAX_COLS * (FLOW_TOP_N + 1));
    expect(document.querySelectorAll('rect.node.is-other')).toHaveLength(FLOW_MAX_COLS);
    expect(document.querySelectorAll('path.link').length).toBeLessThanOrEqual(
      (FLOW_MAX_COLS - 1) * FLOW_MAX_LINKS,
    );
    expect(Array.from(document.querySelectorAll('text.col-label'), (t) => t.textContent)).toEqual(
      Array.from({ length: 12 }, (_, i) => `L${i + 3}`),
    );
    // each column's nodes (top 12 + other) hold all T × 8 selections
    const perLayer = new Map<string, number>();
    for (const r of rects)
      perLayer.set(
        r.getAttribute('data-layer')!,
        (perLayer.get(r.getAttribute('data-layer')!) ?? 0) + Number(r.getAttribute('data-count')),
      );
    expect([...perLayer.values()].every((c) => c === T * 8)).toBe(true);
    // the shown experts of the first MoE layer are its 12 busiest
    const load = new Array(256).fill(0);
    for (const s of run.layers[3].selected) for (const e of s) load[e]++;
    const shownL3 = rects
      .filter((r) => r.getAttribute('data-layer') === '3' && !r.classList.contains('is-other'))
      .map((r) => load[Number(r.getAttribute('data-expert'))]);
    const top12 = [...load].sort((a, b) => b - a).slice(0, 12);
    expect(shownL3).toEqual(top12);
    expect(screen.getByTestId('flow-range').textContent).toBe('L3–L14 of 58 MoE layers');
    const n = nodes(container);
    expect(n).toBeLessThan(1500);
    fireEvent.click(screen.getByTestId('flow-next'));
    expect(screen.getByTestId('flow-range').textContent).toBe('L14–L25 of 58 MoE layers');
    expect(document.querySelectorAll('rect.node')).toHaveLength(FLOW_MAX_COLS * (FLOW_TOP_N + 1));
    expect(nodes(container)).toBeLessThan(1500);
    console.log(`FlowView DOM at E=256, 58 MoE layers: ${n} elements`);
    // focusing a layer outside the window moves the window to it
    act(() => focus(50, 0));
    expect(screen.getByTestId('flow-range').textContent).toBe('L44–L55 of 58 MoE layers');
    expect(document.querySelector('text.col-label[font-weight="700"]')!.textContent).toBe('L50');
    act(() => focus(52, 0)); // inside: stays
    expect(screen.getByTestId('flow-range').textContent).toBe('L44–L55 of 58 MoE layers');
  });

  it('focused token only: its experts get their own nodes and one unit per selection', () => {
    const run = loadBigRun(SHAPES.olmoe, 256);
    focus(0, 9);
    render(<FlowView />);
    fireEvent.click(screen.getByRole('checkbox', { name: /focused token only/ }));
    const sel = run.layers[0].selected[9];
    const col0 = Array.from(document.querySelectorAll('rect.node[data-layer="0"]'));
    const counted = col0
      .filter((r) => r.getAttribute('data-count') === '1')
      .map((r) => Number(r.getAttribute('data-expert')));
    expect(counted.sort((a, b) => a - b)).toEqual([...sel].sort((a, b) => a - b));
    expect(
      document.querySelector('rect.node.is-other[data-layer="0"]')!.getAttribute('data-count'),
    ).toBe('0');
  });

  it('E = 64 and 32: top-12 + other per layer, DOM bounded', () => {
    for (const shape of [SHAPES.olmoe, SHAPES.gptOss]) {
      loadBigRun(shape, 512);
      const { container } = render(<FlowView />);
      expect(document.querySelectorAll('rect.node')).toHaveLength(
        Math.min(shape.layers, FLOW_MAX_COLS) * (FLOW_TOP_N + 1),
      );
      expect(nodes(container)).toBeLessThan(1500);
      cleanup();
    }
  });
});

describe('NextToken and RouterPanel for a big model', () => {
  it('a 49k vocabulary: the list stays at 10 whatever the engine sends', () => {
    loadBigRun(SHAPES.gptOss, 64);
    const next = Array.from({ length: 49152 }, (_, id) => ({ id, text: `t${id}`, p: 1 / 49152 }));
    useLab.setState({
      modified: {
        ...useLab.getState().modified,
        summary: { ...useLab.getState().modified.summary!, next },
      },
    });
    const { container } = render(<NextToken />);
    expect(document.querySelectorAll('.next-list li')).toHaveLength(10);
    expect(nodes(container)).toBeLessThan(100);
  });

  it('E = 32: one expert field checked against E, no per-expert controls', () => {
    loadBigRun(SHAPES.gptOss, 64);
    focus(4, 0);
    const { container } = render(<RouterPanel />);
    expect(container.querySelectorAll('input[type="checkbox"]')).toHaveLength(0);
    expect(container.querySelectorAll('button').length).toBeLessThan(5);
    fireEvent.change(screen.getByTestId('iv-experts'), { target: { value: '3+40' } });
    expect(screen.getByTestId('iv-experts-error').textContent).toBe(
      'expert 40 does not exist (ids 0–31)',
    );
    expect(screen.getByTestId('iv-experts').getAttribute('aria-invalid')).toBe('true');
    fireEvent.click(screen.getByTestId('iv-add'));
    expect(useLab.getState().interventions).toEqual([]);
    expect(useLab.getState().error).toBe('bad experts "3+40": expert 40 does not exist (ids 0–31)');
    fireEvent.change(screen.getByTestId('iv-experts'), { target: { value: '3 17' } });
    expect(screen.queryByTestId('iv-experts-error')).toBeNull();
    fireEvent.click(screen.getByTestId('iv-add'));
    expect(useLab.getState().interventions).toEqual(['mask:layers=4,experts=3+17']);
  });
});
