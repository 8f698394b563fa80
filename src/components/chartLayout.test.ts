import { describe, expect, it } from 'vitest';
import { scaleBand } from 'd3';
import { bandAt, clampWindow, gridPixels, labelGap, matrixCellAt, matrixLayout, matrixPixels, rampAt, tickPositions, tickStep, thinTicks, toLocal, windowShowing, zoomWindow } from './chartLayout';
import { gridCellAt, gridLayout, paintGrid } from './gridPaint';
import { paintMatrix, type Ctx2D } from './matrixPaint';
import { colourModes, defaultColourBy, rampBytes, rgbBytes } from './colors';

/** A 2D context that records what was drawn. */
function fakeCtx() {
  const calls: { op: string; args: unknown[]; fill?: unknown; font?: unknown }[] = [];
  const ctx = { fillStyle: '', strokeStyle: '', lineWidth: 1, font: '', textAlign: 'start', textBaseline: 'alphabetic', imageSmoothingEnabled: true } as Record<string, unknown>;
  for (const op of ['setTransform', 'clearRect', 'fillRect', 'strokeRect', 'fillText', 'drawImage', 'putImageData'])
    ctx[op] = (...args: unknown[]) => calls.push({ op, args, fill: ctx.fillStyle, font: ctx.font });
  return { ctx: ctx as unknown as Ctx2D, calls };
}

const evenlySpaced = (xs: number[]) => xs.slice(1).every((x, i) => x - xs[i] === xs[1] - xs[0]);

describe('thinned ticks', () => {
  it('labels every n-th position so labels stay ≥ minGap apart, evenly spaced', () => {
    expect(tickStep(8, 200, 10)).toBe(1); // 25 px each
    expect(tickStep(64, 288, 10)).toBe(4); // 4.5 px each → need 2.2 → 4
    expect(tickStep(256, 288, 10)).toBe(10); // 1.125 px → need 8.9 → 10
    for (const [n, span] of [
      [8, 288],
      [64, 288],
      [256, 288],
      [256, 310],
      [4096, 296],
    ]) {
      const ticks = thinTicks(n, span, { minGap: 10 });
      expect(ticks.length).toBeLessThanOrEqual(Math.floor(span / 10) + 1);
      expect(ticks[0]).toBe(0);
      expect(evenlySpaced(ticks)).toBe(true);
      expect(((ticks[1] - ticks[0]) * span) / n).toBeGreaterThanOrEqual(10);
    }
  });

  it('keeps the focused position and drops the regular labels too close to it', () => {
    expect(tickPositions(20, 5, null)).toEqual([0, 5, 10, 15]);
    expect(tickPositions(20, 5, 7)).toEqual([0, 7, 15]);
    expect(tickPositions(20, 5, 10)).toEqual([0, 5, 10, 15]);
    expect(labelGap(3, 9)).toBeCloseTo(20.74);
  });
});

describe('hit-testing', () => {
  it('bandAt agrees with a padded d3 band scale at the bar centres', () => {
    const n = 256;
    const pad = 0.15;
    const x = scaleBand<number>().domain(Array.from({ length: n }, (_, i) => i)).range([32, 312]).padding(pad);
    const start = x(0)! - (pad * x.step()) / 2;
    for (const i of [0, 1, 100, 255]) expect(bandAt(x(i)! + x.bandwidth() / 2, start, x.step(), n)).toBe(i);
    expect(bandAt(10, start, x.step(), n)).toBeNull();
    expect(bandAt(400, start, x.step(), n)).toBeNull();
  });

  it('maps a client point into the figure and onto a matrix cell', () => {
    expect(toLocal(150, 60, { left: 100, top: 50, width: 170, height: 170 }, 340, 340)).toEqual({ x: 100, y: 20 });
    const l = matrixLayout(256, 340, 30);
    expect(l.cell).toBeCloseTo(310 / 256);
    expect(matrixCellAt(l, 30 + 10.5 * l.cell, 30 + 200.5 * l.cell)).toEqual({ row: 200, col: 10 });
    expect(matrixCellAt(l, 10, 100)).toBeNull();
  });

  it('maps a grid point to its layer and the token of the window', () => {
    const g = gridLayout(61);
    expect(g.rowH).toBe(7);
    expect(gridLayout(4).rowH).toBe(14);
    const win = { start: 100, size: 200 };
    // x 24 + 148 = the middle of the 296-px plot → token 200; y 3.5 rows → layer 3
    expect(gridCellAt(g, win, 24 + 148, 3.5 * 7)).toEqual({ layer: 3, token: 200 });
    expect(gridCellAt(g, win, 10, 5)).toBeNull();
  });
});

describe('token window', () => {
  it('clamps, zooms around a token and follows the focus', () => {
    expect(clampWindow({ start: 4000, size: 512 }, 4096)).toEqual({ start: 3584, size: 512 });
    expect(zoomWindow({ start: 0, size: 4096 }, 4096, 0.5, 1000)).toEqual({ start: 500, size: 2048 });
    expect(zoomWindow({ start: 0, size: 16 }, 16, 0.1)).toEqual({ start: 4, size: 8 }); // ≥ 8 tokens
    expect(windowShowing({ start: 0, size: 100 }, 4096, 50)).toEqual({ start: 0, size: 100 });
    expect(windowShowing({ start: 0, size: 100 }, 4096, 1000)).toEqual({ start: 950, size: 100 });
  });
});

describe('pixel buffers', () => {
  it('matrixPixels puts entry (order[r], order[c]) at pixel (c, r)', () => {
    const v = [0, 1, 2, 3]; // 2 × 2: (0,0)=0 (0,1)=1 (1,0)=2 (1,1)=3
    const px = matrixPixels(v, 2, [1, 0], (_i, _j, x) => [x * 10, 0, 0]);
    expect(Array.from(px.filter((_, k) => k % 4 === 0))).toEqual([30, 20, 10, 0]);
  });

  it('gridPixels averages a window of tokens into bins and leaves missing rows clear', () => {
    const ramp = rampBytes((t) => `rgb(${Math.round(t * 255)}, 0, 0)`);
    const vals = [[0, 0, 1, 1, 0.5, 0.5], [NaN, NaN, NaN, NaN, NaN, NaN]];
    const px = gridPixels(2, { start: 0, size: 6 }, 3, (r, t) => vals[r][t], ramp);
    expect([px[0], px[4], px[8]]).toEqual([0, 255, rampAt(ramp, 0.5)[0]]);
    expect(px[3]).toBe(255);
    expect(px[12 + 3]).toBe(0); // row 1: transparent
  });

  it('colours: hues only while they tell experts apart', () => {
    expect(colourModes(8)).toContain('expert');
    expect(colourModes(64)).toEqual(['quantity', 'focus']);
    expect(defaultColourBy(256)).toBe('quantity');
    expect(rgbBytes('#d62728')).toEqual([214, 39, 40]);
  });
});

describe('painters (a recording 2D context)', () => {
  it('paintMatrix writes each tick on both axes, outlines the focused row and column', () => {
    const { ctx, calls } = fakeCtx();
    const order = Array.from({ length: 64 }, (_, i) => 63 - i);
    paintMatrix(ctx, { layout: matrixLayout(64, 340, 30), image: null, order, ticks: [0, 8, 16, 20], focusPos: 20, cursor: { row: 1, col: 2 }, fontPx: 9 }, 2);
    const texts = calls.filter((c) => c.op === 'fillText').map((c) => c.args[0]);
    expect(texts).toEqual(['63', '63', '55', '55', '47', '47', '43', '43']);
    const focusText = calls.find((c) => c.op === 'fillText' && c.args[0] === '43')!;
    expect(focusText.fill).toBe('#d62728');
    expect(calls.filter((c) => c.op === 'strokeRect')).toHaveLength(3); // row, column, cursor
    expect(calls[0]).toMatchObject({ op: 'setTransform', args: [2, 0, 0, 2, 0, 0] });
  });

  it('paintGrid labels dense rows, thinned layers and tokens, and outlines the focus', () => {
    const { ctx, calls } = fakeCtx();
    const g = gridLayout(8);
    paintGrid(ctx, { g, win: { start: 0, size: 100 }, image: null, rows: 'dmmmmmm_', layerTicks: [0, 2, 4, 6], tokenTicks: [0, 50], focus: { layer: 3, token: 10 } }, 1);
    const texts = calls.filter((c) => c.op === 'fillText').map((c) => c.args[0]);
    expect(texts).toEqual(['dense MLP layer (no router)', 'L0', 'L2', 'L4', 'L6', '0', '50']);
    const outline = calls.filter((c) => c.op === 'strokeRect');
    expect(outline).toHaveLength(1);
    expect(outline[0].args[1]).toBe(3 * 14);
  });
});
