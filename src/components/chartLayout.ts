// Pure layout for the expert views and the entropy grid: thinned tick labels, where a pointer
// falls on a band axis or a grid, and the pixel buffers the canvases paint. No DOM: unit-tested.

/** Label steps the ticks may use: a label every 1st, 2nd, 4th, 5th, 8th, … id. */
export const TICK_STEPS = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 250, 256, 500, 512, 1000, 1024, 2048, 4096];

/** The smallest label step that keeps labels of n evenly spaced positions over spanPx at least minGapPx apart. */
export function tickStep(n: number, spanPx: number, minGapPx = 10): number {
  if (n <= 0) return 1;
  const per = spanPx / n;
  const need = per > 0 ? minGapPx / per : Infinity;
  for (const s of TICK_STEPS) if (s >= need) return s;
  return Math.max(n, 1);
}

/** The horizontal room a label of `digits` characters needs at fontPx, with a small gap. */
export const labelGap = (digits: number, fontPx: number) => Math.max(10, digits * fontPx * 0.62 + 4);

/**
 * Positions (0 … n−1 along the axis) that get a label: every step-th one from 0 and, when given,
 * `keep` (the focused expert's position), with the regular labels too close to it dropped.
 */
export function tickPositions(n: number, step: number, keep?: number | null): number[] {
  const out: number[] = [];
  const k = keep !== undefined && keep !== null && keep >= 0 && keep < n ? keep : null;
  for (let p = 0; p < n; p += step) if (k === null || Math.abs(p - k) >= step) out.push(p);
  if (k !== null) {
    out.push(k);
    out.sort((a, b) => a - b);
  }
  return out;
}

/** Thinned labels of an axis of n positions over spanPx: the positions to label (see tickPositions). */
export function thinTicks(n: number, spanPx: number, opts: { minGap?: number; keep?: number | null } = {}): number[] {
  return tickPositions(n, tickStep(n, spanPx, opts.minGap ?? 10), opts.keep);
}

/** Index of the band under px on an axis of n bands starting at `start`, each `step` wide (null outside). */
export function bandAt(px: number, start: number, step: number, n: number): number | null {
  if (!(step > 0)) return null;
  const i = Math.floor((px - start) / step);
  return i >= 0 && i < n ? i : null;
}

/** A point in element coordinates → the figure's own coordinates (its logical w × h box drawn at rect's size). */
export function toLocal(clientX: number, clientY: number, rect: { left: number; top: number; width: number; height: number }, w: number, h: number): { x: number; y: number } {
  return {
    x: rect.width ? ((clientX - rect.left) * w) / rect.width : 0,
    y: rect.height ? ((clientY - rect.top) * h) / rect.height : 0,
  };
}

/** A square n × n matrix drawn from `margin` to `size` (logical px) on both axes. */
export interface MatrixLayout {
  n: number;
  size: number;
  margin: number;
  /** one cell's side */
  cell: number;
}

export function matrixLayout(n: number, size: number, margin: number): MatrixLayout {
  return { n, size, margin, cell: n > 0 ? (size - margin) / n : 0 };
}

/** The (row, col) axis positions under a point, or null off the matrix. */
export function matrixCellAt(l: MatrixLayout, x: number, y: number): { row: number; col: number } | null {
  const col = bandAt(x, l.margin, l.cell, l.n);
  const row = bandAt(y, l.margin, l.cell, l.n);
  return row === null || col === null ? null : { row, col };
}

/**
 * RGBA pixels of an n × n matrix shown in `order` (pixel (c, r) = entry (order[r], order[c]) of
 * the flat row-major values), coloured by colour(i, j, v) → [r, g, b] — one pixel per cell, for
 * putImageData and a scaled drawImage.
 */
/** Write one opaque RGB pixel at byte offset `o` of an RGBA buffer. */
export function putRgb(px: Uint8ClampedArray, o: number, rgb: ArrayLike<number>): void {
  px[o] = rgb[0];
  px[o + 1] = rgb[1];
  px[o + 2] = rgb[2];
  px[o + 3] = 255;
}

export function matrixPixels(values: ArrayLike<number>, n: number, order: number[], colour: (i: number, j: number, v: number) => ArrayLike<number>): Uint8ClampedArray {
  const px = new Uint8ClampedArray(n * n * 4);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    for (let c = 0; c < n; c++) {
      const j = order[c];
      const rgb = colour(i, j, values[i * n + j]);
      const o = (r * n + c) * 4;
      putRgb(px, o, rgb);
    }
  }
  return px;
}

/** Pick the RGB bytes of t ∈ [0, 1] from a ramp sampled by rampBytes(). */
export function rampAt(ramp: Uint8ClampedArray, t: number): Uint8ClampedArray {
  const n = ramp.length / 3;
  const i = Math.round(Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (n - 1));
  return ramp.subarray(i * 3, i * 3 + 3);
}

/** A token window [start, start + size) of T tokens (the grids zoom on the token axis). */
export interface TokenWindow {
  start: number;
  size: number;
}

/** The window clamped into [0, T), at least one token wide. */
export function clampWindow(w: TokenWindow, T: number): TokenWindow {
  const size = Math.max(1, Math.min(T, Math.round(w.size)));
  const start = Math.max(0, Math.min(T - size, Math.round(w.start)));
  return { start, size };
}

/** Zoom the window by factor (< 1 = in) around token `at`, keeping `at` under the same spot. */
export function zoomWindow(w: TokenWindow, T: number, factor: number, at = w.start + w.size / 2): TokenWindow {
  const size = Math.max(Math.min(T, 8), Math.min(T, Math.round(w.size * factor)));
  const rel = w.size ? (at - w.start) / w.size : 0.5;
  return clampWindow({ start: at - rel * size, size }, T);
}

/** The window moved so that token t is inside it (unchanged when it already is). */
export function windowShowing(w: TokenWindow, T: number, t: number): TokenWindow {
  if (t >= w.start && t < w.start + w.size) return w;
  return clampWindow({ start: t - Math.floor(w.size / 2), size: w.size }, T);
}

/**
 * RGBA pixels of a rows × cols grid whose columns are `bins` equal slices of the token window
 * (each the mean of its tokens, so a long text still shows on a narrow canvas): value(row, t) in
 * [0, 1] or NaN (nothing drawn: transparent), coloured from the ramp.
 */
export function gridPixels(rows: number, win: TokenWindow, bins: number, value: (row: number, t: number) => number, ramp: Uint8ClampedArray): Uint8ClampedArray {
  const px = new Uint8ClampedArray(rows * bins * 4);
  for (let r = 0; r < rows; r++)
    for (let b = 0; b < bins; b++) {
      const t0 = win.start + Math.floor((b * win.size) / bins);
      const t1 = Math.max(t0 + 1, win.start + Math.floor(((b + 1) * win.size) / bins));
      let sum = 0;
      let n = 0;
      for (let t = t0; t < t1; t++) {
        const v = value(r, t);
        if (!Number.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      if (!n) continue;
      const rgb = rampAt(ramp, sum / n);
      const o = (r * bins + b) * 4;
      putRgb(px, o, rgb);
    }
  return px;
}

/** A 2D context, or null where there is none (jsdom, a canvas that failed): every painter checks. */
export function context2d(canvas: HTMLCanvasElement | null): CanvasRenderingContext2D | null {
  if (!canvas) return null;
  try {
    return canvas.getContext('2d');
  } catch {
    return null;
  }
}

/** Size a canvas's backing store for its logical w × h box at the device pixel ratio; returns the ratio. */
export function sizeCanvas(canvas: HTMLCanvasElement, w: number, h: number): number {
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  const W = Math.round(w * dpr);
  const H = Math.round(h * dpr);
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  return dpr;
}
