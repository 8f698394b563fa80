// @vitest-environment jsdom
// The co-activation, expert-load and entropy views at real models' shapes: the DOM stays small
// (canvas grids, thinned labels), the focused expert is highlighted, the expert axis sorts.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CoActivationView, SVG_MAX_EXPERTS } from './CoActivationView';
import { ExpertLoad } from './ExpertLoad';
import { EntropyView } from './EntropyView';
import { loadBigRun, SHAPES, type RunShape } from './__fixtures__/bigRun';
import { loadMockRun, MOCK_LAYERS } from './__fixtures__/mockRun';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { orderByLoad, seriate, coActivationCounts } from '../routing/metrics/expertOrder';

afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const E8: RunShape = { name: 'E8', layers: 8, experts: 8, topK: 2, dense: 1 };
const SCALES: [string, RunShape, number][] = [
  ['E=8', E8, 512],
  ['E=64 (OLMoE)', SHAPES.olmoe, 512],
  ['E=256 (DeepSeek-V3)', SHAPES.deepseekV3, 512],
];
const nodes = (testId: string) => screen.getByTestId(testId).querySelectorAll('*').length;
const focusOn = (layer: number, expert: number | null = null, token = 0) => act(() => useLab.setState({ focus: { layer, token, expert } }));
/**
 * Labels thinned around the focused id f: every s-th id from 0 (s the smallest gap between them),
 * none missing except those within s of f, plus f itself. Returns s.
 */
function thinnedEvery(labels: number[], f: number, n: number): number {
  const regular = labels.filter((l) => l !== f);
  const s = Math.min(...regular.slice(1).map((x, i) => x - regular[i]));
  const expected: number[] = [];
  for (let m = 0; m < n; m += s) if (Math.abs(m - f) >= s) expected.push(m);
  expect(regular).toEqual(expected);
  expect(labels).toContain(f);
  return s;
}
/** Pretend the element is drawn at w × h px from (0, 0) (jsdom lays nothing out). */
const sized = (el: Element, w: number, h: number) =>
  (el.getBoundingClientRect = () => ({ left: 0, top: 0, width: w, height: h, right: w, bottom: h, x: 0, y: 0, toJSON: () => ({}) }));

/** A hand-made 7-expert layer: {0,3,5} and {1,2,4} fire together; loads 0:4 1:3 2:5 3:4 4:3 5:5 6:0. */
const SEL = [[0, 3], [0, 3], [3, 5], [5, 0], [0, 5], [3, 5], [1, 2], [2, 4], [4, 1], [1, 2], [4, 2], [5, 2]];
function loadHandMade() {
  loadMockRun();
  const T = SEL.length;
  const ev: LayerEvent = { ...MOCK_LAYERS[0], T, E: 7, selected: SEL, gates: SEL.map(() => [0.5, 0.5]), routerLogits: new Float32Array(T * 7), probs: new Float32Array(T * 7).fill(1 / 7), expertNorms: new Float32Array(T * 7).fill(1), dropped: new Uint8Array(T) };
  useLab.setState({ modified: { layers: [ev], settled: [ev], summary: null }, focus: { layer: 0, token: 0, expert: null } });
}

describe.each(SCALES)('views at %s', (_name, shape, T) => {
  const moe = shape.dense; // the first MoE layer

  it('co-activation: DOM bounded, canvas above 16 experts, thinned ticks, focused expert highlighted', () => {
    loadBigRun(shape, T);
    const E = shape.experts;
    const f = Math.min(E - 1, 37);
    focusOn(moe, f);
    render(<CoActivationView />);
    const n = nodes('coactivation-view');
    expect(n).toBeLessThan(E <= SVG_MAX_EXPERTS ? 400 : 60);
    if (E <= SVG_MAX_EXPERTS) {
      expect(document.querySelectorAll('rect.cell')).toHaveLength(E * E);
      expect(document.querySelectorAll('rect.focus-band[data-expert="7"]')).toHaveLength(2);
    } else {
      const c = screen.getByTestId('coact-canvas');
      expect(document.querySelectorAll('rect')).toHaveLength(0);
      expect(c.dataset.experts).toBe(String(E));
      expect(c.dataset.focused).toBe(String(f));
      const ticks = c.dataset.ticks!.split(',').map(Number);
      expect(ticks).toContain(f);
      // id order: the regular ticks are every n-th id, ≤ one per 10 px of the 310-px axis
      expect(ticks.length).toBeLessThanOrEqual(310 / 10);
      expect((thinnedEvery(ticks, f, E) * 310) / E).toBeGreaterThanOrEqual(10);
    }
  });

  it('expert load: one bar per expert with data-count, thinned id labels, the focused expert outlined', () => {
    const run = loadBigRun(shape, T);
    const E = shape.experts;
    const f = E - 3;
    focusOn(moe, f);
    render(<ExpertLoad />);
    expect(nodes('expert-load')).toBeLessThan(E + 150);
    const bars = Array.from(document.querySelectorAll('rect.bar'));
    expect(bars).toHaveLength(E);
    const counts = new Array(E).fill(0);
    run.layers[moe].selected.forEach((s) => s.forEach((e) => counts[e]++));
    expect(bars.map((b) => Number(b.getAttribute('data-count')))).toEqual(counts);
    const focused = document.querySelectorAll('rect.bar[data-focused="true"]');
    expect(focused).toHaveLength(1);
    expect(focused[0].getAttribute('data-expert')).toBe(String(f));
    expect(focused[0].getAttribute('stroke')).toBe('#d62728');
    const labels = Array.from(document.querySelectorAll('text.label'), (t) => Number(t.textContent));
    expect(labels).toContain(f);
    expect(labels.length).toBeLessThanOrEqual(280 / 10);
    expect((thinnedEvery(labels, f, E) * 280) / E).toBeGreaterThanOrEqual(10);
    // the focused label is bold and red
    const fl = Array.from(document.querySelectorAll('text.label')).find((t) => t.textContent === String(f))!;
    expect(fl.getAttribute('font-weight')).toBe('700');
    // beyond 12 experts no hue per expert is offered
    const modes = Array.from((screen.getByTestId('load-colour') as HTMLSelectElement).options, (o) => o.value);
    expect(modes.includes('expert')).toBe(E <= 12);
  });

  it('entropy: canvas grid (no rect per cell), numbers of the focused layer at once, the rest in slices', async () => {
    loadBigRun(shape, T);
    focusOn(moe + 1, null, 5);
    render(<EntropyView />);
    expect(document.querySelectorAll('rect.ent-cell')).toHaveLength(0);
    const c = screen.getByTestId('entropy-canvas');
    expect(c.dataset.layers).toBe(String(shape.layers));
    expect(screen.getByTestId('entropy-h').textContent).toMatch(/^\d\.\d{3}$/);
    const ticks = c.dataset.layerTicks!.split(',').map(Number);
    expect(ticks).toContain(moe + 1);
    await waitFor(() => expect(document.querySelectorAll('[data-testid="entropy-table"] tr[data-layer]')).toHaveLength(shape.layers), { timeout: 20_000 });
    expect(document.querySelectorAll('[data-testid="entropy-table"] tr[data-kind="dense"]')).toHaveLength(shape.dense);
    expect(nodes('entropy-view')).toBeLessThan(1500);
  });
});

describe('sortable expert axes on a hand-made run', () => {
  it('expert load sorts by load (busiest left) and back by id; the DOM stays in id order', () => {
    loadHandMade();
    render(<ExpertLoad />);
    const xs = () => Array.from(document.querySelectorAll('rect.bar'), (b) => Number(b.getAttribute('x')));
    const byId = xs();
    expect([...byId].sort((a, b) => a - b)).toEqual(byId);
    fireEvent.change(screen.getByTestId('load-sort'), { target: { value: 'load' } });
    const loads = [4, 3, 5, 4, 3, 5, 0];
    expect(orderByLoad(loads)).toEqual([2, 5, 0, 3, 1, 4, 6]);
    const x = xs();
    const leftToRight = x.map((_, e) => e).sort((a, b) => x[a] - x[b]);
    expect(leftToRight).toEqual([2, 5, 0, 3, 1, 4, 6]);
    expect(Array.from(document.querySelectorAll('rect.bar'), (b) => b.getAttribute('data-count'))).toEqual(loads.map(String));
    expect(document.querySelector('svg[data-order]')!.getAttribute('data-order')).toBe('2,5,0,3,1,4,6');
  });

  it('co-activation sorts by load and by co-activation cluster; rows and columns move together', () => {
    loadHandMade();
    render(<CoActivationView />);
    const svg = screen.getByRole('img', { name: /co-activation matrix/ });
    fireEvent.change(screen.getByTestId('coact-sort'), { target: { value: 'cluster' } });
    expect(svg.getAttribute('data-order')).toBe(seriate(coActivationCounts(SEL, 7), 7).join(','));
    expect(svg.getAttribute('data-order')).toBe('2,1,4,5,0,3,6');
    // the cell (2, 1) now sits in the top-left corner's right neighbour
    const cell = (i: number, j: number) => document.querySelector(`rect.cell:nth-of-type(${i * 7 + j + 1})`)!;
    expect(Number(cell(2, 2).getAttribute('x'))).toBeLessThan(Number(cell(2, 1).getAttribute('x')));
    expect(Number(cell(2, 1).getAttribute('x'))).toBeLessThan(Number(cell(2, 4).getAttribute('x')));
    fireEvent.change(screen.getByTestId('coact-sort'), { target: { value: 'load' } });
    expect(svg.getAttribute('data-order')).toBe('2,5,0,3,1,4,6');
    // DOM order (the hook tests read) is still by id: (2, 3) holds tokens that chose both 2 and 3
    expect(cell(2, 2).getAttribute('data-count')).toBe('5');
  });
});

describe('hover and click', () => {
  it('co-activation names the pair under the pointer and a click focuses the row’s expert', () => {
    loadHandMade();
    render(<CoActivationView />);
    const svg = screen.getByRole('img', { name: /co-activation matrix/ });
    sized(svg, 224, 224); // drawn at its own size: 1 px = 1 unit
    // id order, 7 experts over 22 … 220: cell side 198 / 7 ≈ 28.3; row 0, column 3 → (0, 3): 2 tokens
    fireEvent.mouseMove(svg, { clientX: 22 + 3.5 * 28.3, clientY: 22 + 0.5 * 28.3 });
    expect(screen.getByTestId('chart-tip').textContent).toBe("expert 0 & expert 3: 2/12 tokens chose both (50% of expert 0's, 50% of expert 3's)");
    expect(useLab.getState().focus.expert).toBe(0);
    fireEvent.click(svg, { clientX: 22 + 3.5 * 28.3, clientY: 22 + 5.5 * 28.3 });
    expect(useLab.getState().pinned).toBe(true);
    expect(useLab.getState().focus.expert).toBe(5);
    expect(document.querySelectorAll('rect.focus-band[data-expert="5"]')).toHaveLength(2);
    fireEvent.mouseLeave(svg);
    expect(screen.queryByTestId('chart-tip')).toBeNull();
  });

  it('co-activation canvas (256 experts): hover names the pair, arrow keys move a cell cursor, Enter focuses', () => {
    const run = loadBigRun(SHAPES.deepseekV3, 128);
    focusOn(3);
    render(<CoActivationView />);
    const c = screen.getByTestId('coact-canvas');
    sized(c, 340, 340);
    const cell = 310 / 256;
    fireEvent.mouseMove(c, { clientX: 30 + 10.5 * cell, clientY: 30 + 200.5 * cell });
    const both = run.layers[3].selected.filter((s) => s.includes(200) && s.includes(10)).length;
    expect(screen.getByTestId('chart-tip').textContent).toMatch(new RegExp(`^expert 200 & expert 10: ${both}/128 tokens chose both`));
    fireEvent.keyDown(c, { key: 'ArrowDown' });
    fireEvent.keyDown(c, { key: 'ArrowRight' });
    expect(screen.getByTestId('chart-tip').textContent).toMatch(/^expert 201 & expert 201: |^expert 201: /);
    fireEvent.keyDown(c, { key: 'Enter' });
    expect(useLab.getState().focus.expert).toBe(201);
    expect(useLab.getState().pinned).toBe(true);
  });

  it('expert load: hover names the expert and its count, a click focuses it, arrows move the focus', () => {
    const run = loadBigRun(SHAPES.deepseekV3, 128);
    focusOn(3);
    render(<ExpertLoad />);
    const svg = screen.getByRole('img', { name: /tokens per expert/ });
    sized(svg, 320, 140);
    const bar = document.querySelector('rect.bar[data-expert="100"]')!;
    const x = Number(bar.getAttribute('x')) + Number(bar.getAttribute('width')) / 2;
    fireEvent.mouseMove(svg, { clientX: x, clientY: 20 }); // above the bar: the column still counts
    const count = run.layers[3].selected.filter((s) => s.includes(100)).length;
    expect(screen.getByTestId('chart-tip').textContent).toBe(`expert 100: ${count} tokens (ideal ${((128 * 8) / 256).toFixed(1)})`);
    fireEvent.click(svg, { clientX: x, clientY: 20 });
    expect(useLab.getState().focus.expert).toBe(100);
    fireEvent.keyDown(svg, { key: 'ArrowRight' });
    expect(useLab.getState().focus.expert).toBe(101);
    expect(document.querySelector('rect.bar[data-focused="true"]')!.getAttribute('data-expert')).toBe('101');
  });

  it('entropy canvas: hover gives the cell’s numbers, click and arrows move the focus, the window zooms', async () => {
    loadBigRun(SHAPES.olmoe, 512);
    focusOn(2, null, 0);
    render(<EntropyView />);
    const c = screen.getByTestId('entropy-canvas');
    // 16 layers × 14 px + 12 = 236 px high, 320 wide
    sized(c, 320, 236);
    await waitFor(() => expect(document.querySelectorAll('[data-testid="entropy-table"] tr[data-layer]')).toHaveLength(16), { timeout: 20_000 });
    fireEvent.mouseMove(c, { clientX: 24 + 148.2, clientY: 4.5 * 14 });
    expect(screen.getByTestId('chart-tip').textContent).toMatch(/^token 256, layer 4: H = \d\.\d{3} nats/);
    fireEvent.click(c, { clientX: 24 + 148.2, clientY: 4.5 * 14 });
    expect(useLab.getState().focus).toMatchObject({ layer: 4, token: 256 });
    expect(screen.getByTestId('entropy-token').textContent).toContain('token 256');
    fireEvent.keyDown(c, { key: 'ArrowRight' });
    fireEvent.keyDown(c, { key: 'ArrowUp' });
    expect(useLab.getState().focus).toMatchObject({ layer: 3, token: 257 });
    fireEvent.click(screen.getByTestId('entropy-zoom-in'));
    expect(c.dataset.window).toBe('129:256'); // 256 tokens, the focused token 257 kept at the middle
    fireEvent.click(screen.getByTestId('entropy-zoom-in'));
    expect(c.dataset.window).toBe('193:128');
    fireEvent.change(screen.getByTestId('entropy-pan'), { target: { value: '300' } });
    expect(c.dataset.window).toBe('300:128'); // away from the focused token: allowed
    act(() => useLab.getState().pin({ token: 10 })); // a focus elsewhere (e.g. the map) brings the window along
    expect(c.dataset.window).toBe('0:128');
    fireEvent.click(screen.getByTestId('entropy-zoom-all'));
    expect(c.dataset.window).toBe('0:512');
  });
});
