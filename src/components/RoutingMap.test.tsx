// @vitest-environment jsdom
// The routing map at real-model scale: DOM cells only for the visible window, the keyboard reaching
// every cell, hit-testing of the painted grid, and the colour-by modes.
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { RoutingMap, tipText } from './RoutingMap';
import { bigRun, SHAPES, type RunShape } from './__fixtures__/bigRun';
import { loadMockRun, MOCK_LAYERS } from './__fixtures__/mockRun';
import { emptyPass, useLab } from '../state/store';
import { hitTest, stripeAt } from './mapHitTest';
import { geometry, gridSize, HEAD_H, LABEL_W, MAX_DOM_CELLS, scrollToShow, visibleWindow, ZOOM_X } from './mapViewport';
import { defaultColourBy, GATE_RAMP, GREY_RAMP, HIGHLIGHT, loadRanks, RANK_RAMP, stripeColour } from './mapColours';
import { expertColor } from './colors';
import type { LayerEvent } from '../routing/run';

afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

// loadBigRun, with each run generated once for the file (a DeepSeek-shaped 4096-token run takes seconds).
const runs = new Map<string, ReturnType<typeof bigRun>>();
function loadBigRun(shape: RunShape, T: number) {
  const key = `${shape.name}:${T}`;
  const run = runs.get(key) ?? bigRun(shape, T);
  runs.set(key, run);
  useLab.setState({ ...useLab.getInitialState(), manifest: run.manifest, modified: { layers: run.layers, settled: run.layers, summary: run.summary }, baseline: emptyPass() });
}

const cell = (l: number, t: number) => document.querySelector<HTMLElement>(`[data-testid="routing-cell"][data-layer="${l}"][data-token="${t}"]`);
const grid = () => screen.getByRole('grid');

describe('RoutingMap at scale: the DOM follows the viewport, not the run', () => {
  const cases = [
    ['mock run (4 experts, 2 layers, 4 tokens)', () => loadMockRun()],
    ['shipped-model shape, E = 8, 6 layers, T = 4096', () => loadBigRun({ name: 'babel-moe', layers: 6, experts: 8, topK: 2, dense: 0 }, 4096)],
    ['OLMoE, E = 64, T = 2048', () => loadBigRun(SHAPES.olmoe, 2048)],
    ['gpt-oss-20b, E = 32, T = 2048', () => loadBigRun(SHAPES.gptOss, 2048)],
    ['Qwen3-30B-A3B, E = 128, T = 2048', () => loadBigRun(SHAPES.qwen3, 2048)],
    ['DeepSeek-V3, E = 256, T = 2048', () => loadBigRun(SHAPES.deepseekV3, 2048)],
    ['DeepSeek-V3, E = 256, T = 4096', () => loadBigRun(SHAPES.deepseekV3, 4096)],
  ] as const;
  for (const [name, load] of cases) {
    it(`${name}: bounded DOM nodes and cells`, () => {
      load();
      const { container } = render(<RoutingMap />);
      const nodes = container.querySelectorAll('*').length;
      const cells = screen.getAllByTestId('routing-cell').length;
      console.info(`[routing map] ${name}: ${nodes} DOM nodes, ${cells} cells`);
      expect(cells).toBeLessThanOrEqual(MAX_DOM_CELLS + 1);
      expect(nodes).toBeLessThan(3000);
    }, 120_000);
  }

  it('zoomed all the way out, the DOM stays capped', () => {
    loadBigRun(SHAPES.deepseekV3, 4096);
    const { container } = render(<RoutingMap />);
    for (let i = 0; i < ZOOM_X.length; i++) fireEvent.click(screen.getByTestId('map-zoom-out'));
    expect((screen.getByTestId('map-zoom-out') as HTMLButtonElement).disabled).toBe(true);
    expect(cell(3, 0)!.style.width).toBe(`${ZOOM_X[0]}px`);
    expect(screen.getAllByTestId('routing-cell').length).toBeLessThanOrEqual(MAX_DOM_CELLS + 1);
    expect(container.querySelectorAll('*').length).toBeLessThan(3000);
    // narrow columns: thinned index labels instead of one token text per column
    const heads = Array.from(document.querySelectorAll('.map-token'), (e) => e.textContent);
    expect(heads.length).toBeLessThan(100);
    expect(heads.slice(0, 2)).toEqual(['0', String(Math.ceil(40 / 2))]);
  });

  it('a small run renders every cell and no minimap; a long one has a minimap', () => {
    loadMockRun();
    render(<RoutingMap />);
    expect(screen.getAllByTestId('routing-cell')).toHaveLength(8);
    expect(screen.queryByTestId('map-minimap')).toBeNull();
    cleanup();
    loadBigRun(SHAPES.olmoe, 2048);
    render(<RoutingMap />);
    expect(screen.getByTestId('map-minimap')).toBeTruthy();
  });

  it('keyboard: End, Ctrl+End, PageUp and arrows reach cells beyond the first window, focused and scrolled to', () => {
    loadBigRun(SHAPES.deepseekV3, 2048);
    useLab.setState({ focus: { layer: 3, token: 0, expert: null } });
    render(<RoutingMap />);
    expect(cell(3, 2047)).toBeNull(); // not in the first window
    const first = cell(3, 0)!;
    expect(first.tabIndex).toBe(0);
    first.focus();
    fireEvent.keyDown(first, { key: 'End' });
    expect(useLab.getState().focus).toMatchObject({ layer: 3, token: 2047 });
    const end = cell(3, 2047)!;
    expect(end).not.toBeNull();
    expect(document.activeElement).toBe(end);
    expect(end.tabIndex).toBe(0);
    expect(end.classList.contains('is-focus')).toBe(true);
    // The window followed: the neighbours of the focused cell exist now, the first cells do not.
    expect(cell(3, 2040)).not.toBeNull();
    expect(cell(3, 0)).toBeNull();
    expect(document.querySelectorAll('[data-testid="routing-cell"][tabindex="0"]')).toHaveLength(1);

    fireEvent.keyDown(document.activeElement!, { key: 'End', ctrlKey: true });
    expect(useLab.getState().focus).toMatchObject({ layer: 60, token: 2047 });
    expect(document.activeElement).toBe(cell(60, 2047));
    expect(cell(60, 2047)!.getAttribute('aria-label')).toMatch(/^layer 60, token 2047 ".*": experts \d+ \(gate/);

    fireEvent.keyDown(document.activeElement!, { key: 'PageUp' });
    const t = useLab.getState().focus.token;
    expect(t).toBeLessThan(2047);
    expect(document.activeElement).toBe(cell(60, t));
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' });
    expect(useLab.getState().focus).toMatchObject({ layer: 59, token: t - 1 });
    expect((document.activeElement as HTMLElement).dataset).toMatchObject({ layer: '59', token: String(t - 1) });

    fireEvent.keyDown(document.activeElement!, { key: 'Home', ctrlKey: true });
    expect(useLab.getState().focus).toMatchObject({ layer: 0, token: 0 });
    expect(document.activeElement).toBe(cell(0, 0));
    expect(cell(0, 0)!.getAttribute('aria-label')).toBe('layer 0, token 0 "the": dense MLP layer (no router, no experts)');
  });

  it('a focus set elsewhere brings its cell into the window', () => {
    loadBigRun(SHAPES.olmoe, 2048);
    render(<RoutingMap />);
    expect(cell(5, 1500)).toBeNull();
    act(() => useLab.getState().pin({ layer: 5, token: 1500 }));
    expect(cell(5, 1500)!.tabIndex).toBe(0);
    expect(cell(5, 1495)).not.toBeNull();
    expect(document.querySelector('.map-token.is-focus')!.getAttribute('title')).toBe('token 1500 (id 104)');
  });

  it('hover on the painted grid (no button under the pointer) hit-tests to the cell and names the expert', () => {
    loadMockRun();
    render(<RoutingMap />);
    const g = geometry(4, 2, ZOOM_X.length - 1, 3);
    // jsdom rects are at 0, 0: a point in grid px is (LABEL_W, HEAD_H) further on the page.
    fireEvent.mouseMove(grid(), { clientX: LABEL_W + 2 * g.pitchX + 3, clientY: HEAD_H + g.pitchY + 4 });
    expect(useLab.getState().focus).toMatchObject({ layer: 1, token: 2 });
    const tip = screen.getByTestId('map-tooltip');
    expect(tip.hidden).toBe(false);
    // layer 1, token 2: experts [2, 1], gates [0.6, 0.4]: 3 px in is the first stripe
    expect(tip.textContent).toBe('L1 · token 2 "␣<b>world</b>": expert 2 (gate 0.60) · all: 2, 1'.replace('␣', ' '));
    fireEvent.click(grid(), { clientX: LABEL_W + 3 * g.pitchX + 30, clientY: HEAD_H + 4 });
    expect(useLab.getState().focus).toMatchObject({ layer: 0, token: 3 });
    expect(useLab.getState().pinned).toBe(true);
    fireEvent.mouseLeave(grid());
    expect(tip.hidden).toBe(true);
  });

  it('colour by: expert id by default for few experts, the focused expert beyond 12; the select switches', () => {
    loadMockRun();
    render(<RoutingMap />);
    expect((screen.getByTestId('map-colour-by') as HTMLSelectElement).value).toBe('expert');
    cleanup();
    loadBigRun(SHAPES.olmoe, 512);
    useLab.setState({ focus: { layer: 2, token: 0, expert: 17 } });
    render(<RoutingMap />);
    expect((screen.getByTestId('map-colour-by') as HTMLSelectElement).value).toBe('focus');
    expect(screen.getByTestId('map-key').textContent).toContain('expert 17');
    fireEvent.change(screen.getByTestId('map-colour-by'), { target: { value: 'rank' } });
    expect((screen.getByTestId('map-colour-by') as HTMLSelectElement).value).toBe('rank');
    expect(screen.getByTestId('map-key').textContent).toContain('most used');
  });
});

describe('mapViewport and mapHitTest (pure)', () => {
  const g = geometry(100, 10, ZOOM_X.length - 1, 3); // 34 × 26 cells, 2 px gaps
  it('hit-tests a point to its cell, null in gaps and outside', () => {
    expect(g).toMatchObject({ cellW: 34, cellH: 26, pitchX: 36, pitchY: 28 });
    expect(hitTest(5 * 36 + 3, 2 * 28 + 5, g)).toEqual({ token: 5, layer: 2, dx: 3 });
    expect(hitTest(0, 0, g)).toEqual({ token: 0, layer: 0, dx: 0 });
    expect(hitTest(99 * 36 + 33.9, 9 * 28 + 25.9, g)).toMatchObject({ token: 99, layer: 9 });
    expect(hitTest(5 * 36 + 34.5, 2 * 28 + 5, g)).toBeNull(); // the gap between tokens 5 and 6
    expect(hitTest(5 * 36, 2 * 28 + 27, g)).toBeNull(); // the gap between layers 2 and 3
    expect(hitTest(-1, 5, g)).toBeNull();
    expect(hitTest(100 * 36 + 1, 5, g)).toBeNull();
    expect(hitTest(5, 10 * 28 + 1, g)).toBeNull();
    // zoomed out: 2 px cells, no gap
    const n = geometry(4096, 61, 0, 1);
    expect(n).toMatchObject({ cellW: 2, pitchX: 2 });
    expect(hitTest(4095 * 2 + 1, 3 * n.pitchY, n)).toMatchObject({ token: 4095, layer: 3 });
  });

  it('finds the stripe under the pointer (widths ∝ gate, at least 0.05)', () => {
    expect(stripeAt(3, 34, [0.6, 0.4])).toBe(0);
    expect(stripeAt(20.3, 34, [0.6, 0.4])).toBe(0);
    expect(stripeAt(20.5, 34, [0.6, 0.4])).toBe(1);
    expect(stripeAt(33, 34, [0.6, 0.4])).toBe(1);
    expect(stripeAt(1, 34, [0, 1])).toBe(0); // a zero gate still gets 0.05 of the width
    expect(stripeAt(40, 34, [0.5, 0.5])).toBe(-1);
    expect(stripeAt(3, 34, [])).toBe(-1);
  });

  it('windows: whole grid when small, the visible part plus a margin when large, capped', () => {
    expect(visibleWindow(geometry(4, 2, 5, 3), 0, 0, { w: 300, h: 100 })).toEqual({ t0: 0, t1: 4, l0: 0, l1: 2 });
    const big = geometry(4096, 61, 5, 1); // 36 px × 10 px pitch
    const w = visibleWindow(big, 36 * 1000, 100, { w: LABEL_W + 360, h: HEAD_H + 200 });
    expect(w).toEqual({ t0: 996, t1: 1014, l0: 8, l1: 32 });
    const tiny = geometry(4096, 61, 0, 0);
    const c = visibleWindow(tiny, 0, 0, { w: 4000, h: 2000 }, 700);
    expect((c.t1 - c.t0) * (c.l1 - c.l0)).toBeLessThanOrEqual(MAX_DOM_CELLS);
    expect(c.t0).toBeLessThanOrEqual(700);
    expect(c.t1).toBeGreaterThan(700);
  });

  it('scrolls the least amount that shows a cell', () => {
    const big = geometry(4096, 61, 5, 1);
    const view = { w: LABEL_W + 360, h: HEAD_H + 200 };
    expect(scrollToShow(big, 3, 3, 0, 0, view)).toEqual({ sx: 0, sy: 0 }); // already shown
    const s = scrollToShow(big, 100, 50, 0, 0, view);
    expect(s.sx).toBe(100 * 36 + 34 + 36 - 360);
    expect(s.sy).toBe(50 * 10 + 8 + 10 - 200);
    expect(scrollToShow(big, 4095, 60, 0, 0, view)).toEqual({ sx: gridSize(big).w - 360, sy: gridSize(big).h - 200 });
    expect(scrollToShow(big, 0, 0, 5000, 300, view)).toEqual({ sx: 0, sy: 0 });
  });
});

describe('mapColours (pure)', () => {
  const s = { expert: 5, gate: 0.7, E: 64, rank: 0 };
  it('expert id, gate, load rank and focused-expert colours of a hand-made stripe', () => {
    expect(stripeColour('expert', s)).toBe(expertColor(5, 64));
    expect(stripeColour('expert', { ...s, E: 8 })).toBe(expertColor(5, 8));
    expect(stripeColour('gate', s)).toBe(GATE_RAMP[8]); // ⌊0.7 · 12⌋
    expect(stripeColour('gate', { ...s, gate: 0 })).toBe(GATE_RAMP[0]);
    expect(stripeColour('gate', { ...s, gate: 1 })).toBe(GATE_RAMP[11]);
    expect(stripeColour('rank', s)).toBe(RANK_RAMP[0]); // the most used expert: the darkest red
    expect(stripeColour('rank', { ...s, rank: 63 })).toBe(RANK_RAMP[11]);
    expect(stripeColour('focus', s, 5)).toBe(HIGHLIGHT);
    expect(stripeColour('focus', s, 6)).toBe(GREY_RAMP[5]); // ⌊0.7 · 8⌋
    expect(stripeColour('focus', { ...s, gate: 0.05 }, null)).toBe(GREY_RAMP[0]);
    // the ramps run light → dark (gate, grey) and dark → light (rank)
    const lum = (hex: string) => [1, 3, 5].reduce((a, i) => a + parseInt(hex.slice(i, i + 2), 16), 0);
    expect(lum(GATE_RAMP[0])).toBeGreaterThan(lum(GATE_RAMP[11]));
    expect(lum(GREY_RAMP[0])).toBeGreaterThan(lum(GREY_RAMP[7]));
    expect(lum(RANK_RAMP[0])).toBeLessThan(lum(RANK_RAMP[11]));
    expect(GATE_RAMP.every((c) => /^#[0-9a-f]{6}$/.test(c))).toBe(true);
  });

  it('defaults and load ranks', () => {
    expect(defaultColourBy(8)).toBe('expert');
    expect(defaultColourBy(12)).toBe('expert');
    expect(defaultColourBy(13)).toBe('focus');
    // layer 1 of the mock run: counts [0, 1, 4, 3] → ranks: 2 first, then 3, 1, 0
    expect(Array.from(loadRanks(MOCK_LAYERS[1] as LayerEvent))).toEqual([3, 2, 0, 1]);
  });

  it('the tooltip names the expert of the stripe under the pointer', () => {
    const ev = MOCK_LAYERS[0];
    // token 2: experts [3, 0], gates [0.5, 0.5]
    expect(tipText(ev, false, 0, 2, 'x', 34, 5)).toBe('L0 · token 2 "x": expert 3 (gate 0.50) · all: 3, 0');
    expect(tipText(ev, false, 0, 2, 'x', 34, 30)).toBe('L0 · token 2 "x": expert 0 (gate 0.50) · all: 3, 0');
    expect(tipText(undefined, true, 0, 2, 'x', 34, 5)).toBe('L0 · token 2 "x": dense MLP layer');
  });
});
