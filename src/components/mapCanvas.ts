// Paints the routing map's cells on one canvas: per cell, a stripe per chosen expert (its colour,
// width ∝ gate, its id when it fits). The focusable DOM cells on top stay transparent, so a router
// swap repaints one canvas instead of restyling thousands of elements.
import type { LayerEvent } from '../routing/run';
import { expertColor } from './colors';

export const CELL_W = 34;
export const CELL_H = 26;
export const CELL_GAP = 2;

export interface MapPaint {
  layers: (LayerEvent | undefined)[];
  /** per layer: a dense MLP layer (no router) */
  dense: boolean[];
  T: number;
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
  if (typeof createImageBitmap === 'function') void createImageBitmap(c).then((b) => (entry.image = b));
  return c;
}

/**
 * Build the glyph atlas ahead of the first run (the page calls this while the model loads): the
 * first text drawn on a canvas resolves the font, which cost ~30 ms on the first map's frame.
 */
export function warmGlyphs(n = 32): void {
  glyphAtlas(n, globalThis.devicePixelRatio || 1);
}

/**
 * Paint the map, or only `rows` (layers whose event changed: a run streams in a layer at a
 * time, and repainting one row is a sixth of the work). A resized canvas is always painted whole.
 */
export function paintMap(canvas: HTMLCanvasElement, { layers, dense, T }: MapPaint, rows?: number[]): void {
  const L = dense.length;
  const w = T * (CELL_W + CELL_GAP) - CELL_GAP;
  const h = L * (CELL_H + CELL_GAP) - CELL_GAP;
  const dpr = globalThis.devicePixelRatio || 1;
  let only = rows ? new Set(rows) : null;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    only = null;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return; // no 2D context (test environments): the DOM cells still carry everything
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (only) for (const l of only) ctx.clearRect(0, l * (CELL_H + CELL_GAP), w, CELL_H);
  else ctx.clearRect(0, 0, w, h);
  // Rectangles are batched by colour (one path and one fill per colour: setting fillStyle and
  // filling per stripe cost ~10 ms for 1 100 cells), then the expert ids are stamped on.
  const byColour = new Map<string, Path2D>();
  const rect = (colour: string, x: number, y: number, w: number) => {
    let p = byColour.get(colour);
    if (!p) byColour.set(colour, (p = new Path2D()));
    p.rect(x, y, w, CELL_H);
  };
  const labels: [number, number, number][] = [];
  const maxE = Math.max(1, ...layers.map((ev) => ev?.E ?? 0));
  const glyphs = glyphAtlas(maxE, dpr);
  for (let l = 0; l < L; l++) {
    if (only && !only.has(l)) continue;
    const ev = layers[l];
    const y = l * (CELL_H + CELL_GAP);
    const colours = ev ? Array.from({ length: ev.E }, (_, e) => expertColor(e, ev.E)) : [];
    for (let t = 0; t < T; t++) {
      const x = t * (CELL_W + CELL_GAP);
      const sel = ev?.selected[t];
      if (!ev || dense[l] || !sel?.length) {
        rect(dense[l] ? '#e4e6eb' : ev ? '#f3f4f7' : '#e8eaef', x, y, CELL_W);
        continue;
      }
      const gates = ev.gates[t] ?? [];
      let sum = 0;
      for (let i = 0; i < sel.length; i++) sum += Math.max(0.05, gates[i] ?? 0);
      let sx = x;
      for (let i = 0; i < sel.length; i++) {
        const sw = (Math.max(0.05, gates[i] ?? 0) / sum) * CELL_W;
        rect(colours[sel[i]] ?? '#999', sx, y, sw);
        if (sw >= 9) labels.push([sel[i], sx + sw / 2 - GLYPH_W / 2, y]);
        sx += sw;
      }
    }
  }
  for (const [colour, path] of byColour) {
    ctx.fillStyle = colour;
    ctx.fill(path);
  }
  if (glyphs) for (const [e, x, y] of labels) ctx.drawImage(glyphs, e * GLYPH_W * dpr, 0, GLYPH_W * dpr, CELL_H * dpr, x, y, GLYPH_W, CELL_H);
}
