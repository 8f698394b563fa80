// Paints the routing map's visible window on one viewport-sized canvas: per cell, a stripe per
// chosen expert (colour by the chosen mode, width ∝ gate, the expert id when it fits). The canvas
// never grows with the run: scrolling or zooming repaints the window it shows. Also paints the
// minimap (the whole run, downsampled). Without a 2D context (jsdom) both return at once: the DOM
// cells still carry everything.
import type { LayerEvent } from '../routing/run';
import { HIGHLIGHT, loadRanks, stripeColour, topExpert, type ColourBy } from './mapColours';
import type { MapGeom } from './mapViewport';
import { putRgb } from './chartLayout';

/** the largest cell (the default zoom) */
export const CELL_W = 34;
export const CELL_H = 26;
export const CELL_GAP = 2;

const DENSE = '#e4e6eb';
const EMPTY = '#f3f4f7';
const PENDING = '#e8eaef';

export interface MapPaint {
  layers: (LayerEvent | undefined)[];
  /** per layer: a dense MLP layer (no router) */
  dense: boolean[];
  T: number;
}

export interface Colouring {
  mode: ColourBy;
  /** the focused expert ("focus" mode), or null */
  highlight: number | null;
}

/** a rectangle of the grid in grid pixels (0, 0 = the top-left corner of cell (0, 0)) */
export interface GridRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Expert ids 0 … n−1 pre-rendered once, white on transparent, side by side in one atlas (as an
 * ImageBitmap when ready): stamping from it is far cheaper than fillText per stripe.
 */
const GLYPH_W = 20;
let atlas: { n: number; dpr: number; image: CanvasImageSource } | null = null;
function glyphAtlas(n: number, dpr: number): CanvasImageSource | null {
  if (atlas && atlas.n >= n && atlas.dpr === dpr) return atlas.image;
  const c = document.createElement('canvas');
  c.width = Math.ceil(GLYPH_W * n * dpr);
  c.height = Math.ceil(CELL_H * dpr);
  const g = c.getContext('2d');
  if (!g) return null;
  g.scale(dpr, dpr);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#fff';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  for (let e = 0; e < n; e++) g.fillText(String(e), e * GLYPH_W + GLYPH_W / 2, CELL_H / 2);
  const entry = { n, dpr, image: c as CanvasImageSource };
  atlas = entry;
  if (typeof createImageBitmap === 'function')
    void createImageBitmap(c).then((b) => (entry.image = b));
  return c;
}

/**
 * Build the glyph atlas ahead of the first run (the page calls this while the model loads): the
 * first text drawn on a canvas resolves the font, which cost ~30 ms on the first map's frame.
 */
export function warmGlyphs(n = 32): void {
  glyphAtlas(n, globalThis.devicePixelRatio || 1);
}

/** Size a canvas's backing store to `w` × `h` CSS px (only when it changed: resizing clears it). */
function sized(canvas: HTMLCanvasElement, w: number, h: number, dpr: number): void {
  const bw = Math.max(1, Math.round(w * dpr));
  const bh = Math.max(1, Math.round(h * dpr));
  if (canvas.width !== bw) canvas.width = bw;
  if (canvas.height !== bh) canvas.height = bh;
}

/**
 * Paint the cells of `view` (grid px) onto `canvas`, which is `view.w` × `view.h` CSS px. Only the
 * cells that intersect the view are drawn, so the cost follows the viewport, not the run.
 */
export function paintMap(
  canvas: HTMLCanvasElement,
  { layers, dense, T }: MapPaint,
  g: MapGeom,
  view: GridRect,
  colouring: Colouring,
): void {
  const dpr = globalThis.devicePixelRatio || 1;
  sized(canvas, view.w, view.h, dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return; // no 2D context (test environments): the DOM cells still carry everything
  ctx.setTransform(dpr, 0, 0, dpr, -view.x * dpr, -view.y * dpr);
  ctx.clearRect(view.x, view.y, view.w, view.h);
  const L = dense.length;
  const t0 = Math.max(0, Math.floor(view.x / g.pitchX));
  const t1 = Math.min(T, Math.ceil((view.x + view.w) / g.pitchX));
  const l0 = Math.max(0, Math.floor(view.y / g.pitchY));
  const l1 = Math.min(L, Math.ceil((view.y + view.h) / g.pitchY));
  const { cellW, cellH } = g;
  // Rectangles are batched by colour (one path and one fill per colour: setting fillStyle and
  // filling per stripe cost ~10 ms for 1 100 cells), then the expert ids are stamped on.
  const byColour = new Map<string, Path2D>();
  const rect = (colour: string, x: number, y: number, w: number) => {
    let p = byColour.get(colour);
    if (!p) byColour.set(colour, (p = new Path2D()));
    p.rect(x, y, w, cellH);
  };
  const labels: [number, number, number][] = [];
  const { mode, highlight } = colouring;
  let maxE = 1;
  for (let l = l0; l < l1; l++) maxE = Math.max(maxE, layers[l]?.E ?? 0);
  const labelled = cellH >= 20 && (mode === 'expert' || mode === 'focus');
  const glyphs = labelled ? glyphAtlas(maxE, dpr) : null;
  for (let l = l0; l < l1; l++) {
    const ev = layers[l];
    const y = l * g.pitchY;
    const E = ev?.E ?? 0;
    const rank = mode === 'rank' && ev && !dense[l] ? loadRanks(ev) : null;
    const memo = new Map<number, string>(); // expert-id colours (the only mode that ignores the gate)
    const colourOf = (e: number, gate: number) => {
      if (mode !== 'expert')
        return stripeColour(mode, { expert: e, gate, E, rank: rank?.[e] }, highlight);
      let c = memo.get(e);
      if (!c) memo.set(e, (c = stripeColour(mode, { expert: e, gate, E })));
      return c;
    };
    for (let t = t0; t < t1; t++) {
      const x = t * g.pitchX;
      const sel = ev?.selected[t];
      if (!ev || dense[l] || !sel?.length) {
        rect(dense[l] ? DENSE : ev ? EMPTY : PENDING, x, y, cellW);
        continue;
      }
      const gates = ev.gates[t] ?? [];
      // Too narrow for a stripe per expert: the cell takes its top expert's colour (the
      // highlighted expert wins in "focus" mode, so its uses stay visible when zoomed out).
      if (cellW / sel.length < 1.5) {
        const hi = mode === 'focus' && highlight !== null ? sel.indexOf(highlight) : -1;
        const top = topExpert(ev, t)!;
        const i = hi >= 0 ? hi : sel.indexOf(top);
        rect(colourOf(sel[i], gates[i] ?? 0), x, y, cellW);
        continue;
      }
      let sum = 0;
      for (let i = 0; i < sel.length; i++) sum += Math.max(0.05, gates[i] ?? 0);
      let sx = x;
      for (let i = 0; i < sel.length; i++) {
        const sw = (Math.max(0.05, gates[i] ?? 0) / sum) * cellW;
        rect(colourOf(sel[i], gates[i] ?? 0), sx, y, sw);
        if (glyphs && sw >= 9 && (mode === 'expert' || sel[i] === highlight))
          labels.push([sel[i], sx + sw / 2 - GLYPH_W / 2, y + (cellH - CELL_H) / 2]);
        sx += sw;
      }
    }
  }
  for (const [colour, path] of byColour) {
    ctx.fillStyle = colour;
    ctx.fill(path);
  }
  if (glyphs)
    for (const [e, x, y] of labels)
      ctx.drawImage(
        glyphs,
        e * GLYPH_W * dpr,
        0,
        GLYPH_W * dpr,
        CELL_H * dpr,
        x,
        y,
        GLYPH_W,
        CELL_H,
      );
}

/** The colour the minimap gives a cell: its top expert's (the highlighted expert wins). */
export function cellSummaryColour(
  { layers, dense }: MapPaint,
  l: number,
  t: number,
  colouring: Colouring,
): string {
  const ev = layers[l];
  if (dense[l]) return DENSE;
  if (!ev) return PENDING;
  const sel = ev.selected[t];
  if (!sel?.length) return EMPTY;
  const { mode, highlight } = colouring;
  if (mode === 'focus' && highlight !== null && sel.includes(highlight)) return HIGHLIGHT;
  const top = topExpert(ev, t)!;
  const i = sel.indexOf(top);
  return stripeColour(
    mode,
    {
      expert: top,
      gate: ev.gates[t]?.[i] ?? 0,
      E: ev.E,
      rank: mode === 'rank' ? loadRanks(ev)[top] : undefined,
    },
    highlight,
  );
}

const rgbCache = new Map<string, [number, number, number]>();
function rgb(hex: string): [number, number, number] {
  let c = rgbCache.get(hex);
  if (c) return c;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  const p = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(hex);
  c = m
    ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)]
    : p
      ? [Number(p[1]), Number(p[2]), Number(p[3])]
      : [153, 153, 153];
  rgbCache.set(hex, c);
  return c;
}

/**
 * The minimap: the whole run in `w` × `h` px (one pixel column per T/w tokens, its representative
 * token's top expert), with `window` (fractions of the grid: x, y, w, h in 0 … 1) outlined.
 * With `staleOk`, an overview that differs only in the highlighted expert is reused (and false
 * returned: the caller repaints it later); else true.
 */
export function paintMinimap(
  canvas: HTMLCanvasElement,
  data: MapPaint,
  w: number,
  h: number,
  colouring: Colouring,
  window: GridRect,
  staleOk = false,
): boolean {
  w = Math.max(1, Math.round(w));
  h = Math.max(1, Math.round(h));
  sized(canvas, w, h, 1);
  const ctx = canvas.getContext('2d');
  if (!ctx) return true;
  const L = data.dense.length;
  // The downsampled run is kept per canvas: scrolling only moves the outline.
  const prev = minimaps.get(canvas);
  const same =
    !!prev &&
    prev.layers === data.layers &&
    prev.dense === data.dense &&
    prev.mode === colouring.mode &&
    prev.img.width === w &&
    prev.img.height === h;
  const fresh = same && prev.highlight === colouring.highlight;
  const img = fresh || (same && staleOk) ? prev.img : ctx.createImageData(w, h);
  if (img !== prev?.img) {
    fillMinimap(img, data, L, colouring);
    minimaps.set(canvas, {
      layers: data.layers,
      dense: data.dense,
      mode: colouring.mode,
      highlight: colouring.highlight,
      img,
    });
  }
  ctx.putImageData(img, 0, 0);
  ctx.strokeStyle = '#1d1f24';
  ctx.lineWidth = 2;
  ctx.strokeRect(
    Math.max(1, window.x * w),
    Math.max(1, window.y * h),
    Math.max(3, Math.min(w - 2, window.w * w)),
    Math.max(3, Math.min(h - 2, window.h * h)),
  );
  return fresh || img !== prev?.img;
}

const minimaps = new WeakMap<
  HTMLCanvasElement,
  {
    layers: MapPaint['layers'];
    dense: boolean[];
    mode: Colouring['mode'];
    highlight: number | null;
    img: ImageData;
  }
>();

function fillMinimap(img: ImageData, data: MapPaint, L: number, colouring: Colouring): void {
  const { width: w, height: h } = img;
  const px = img.data;
  const rowOf = Array.from({ length: h }, (_, y) =>
    Math.min(L - 1, Math.floor(((y + 0.5) * L) / h)),
  );
  const rows = new Map<number, Uint8Array>();
  for (let y = 0; y < h; y++) {
    const l = rowOf[y];
    let row = rows.get(l);
    if (!row) rows.set(l, (row = minimapRow(data, l, w, colouring)));
    for (let x = 0; x < w; x++) putRgb(px, (y * w + x) * 4, row.subarray(x * 3, x * 3 + 3));
  }
}

/**
 * One layer's minimap colours, w columns of RGB, kept with the layer's event: while a pass streams
 * in, each new frame computes only the layers that arrived (a DeepSeek-V3-sized run refilled all
 * 61 × 1280 cells per frame).
 */
function minimapRow(data: MapPaint, l: number, w: number, colouring: Colouring): Uint8Array {
  const ev = data.dense[l] ? undefined : data.layers[l];
  const key = `${w}|${data.T}|${colouring.mode}|${colouring.highlight}`;
  const hit = ev && minimapRows.get(ev);
  if (hit && hit.key === key) return hit.row;
  const row = new Uint8Array(w * 3);
  for (let x = 0; x < w; x++) {
    const t = Math.min(data.T - 1, Math.floor(((x + 0.5) * data.T) / w));
    row.set(rgb(cellSummaryColour(data, l, t, colouring)), x * 3);
  }
  if (ev) minimapRows.set(ev, { key, row });
  return row;
}

const minimapRows = new WeakMap<LayerEvent, { key: string; row: Uint8Array }>();
