// Paints the entropy view's layers × tokens grid on one canvas (above ~1000 cells): the cells as
// an image of one pixel per (layer, token bin), scaled up without smoothing; dense and pending
// rows; thinned layer and token labels; the focused cell outlined.
import { FOCUS_COLOR } from './colors';
import type { Ctx2D } from './matrixPaint';
import type { TokenWindow } from './chartLayout';

export interface GridLayout {
  W: number;
  left: number;
  rowH: number;
  L: number;
  /** room under the grid for the token labels */
  bottom: number;
}

export const gridHeight = (g: GridLayout) => g.L * g.rowH + g.bottom;

/** Row height for L layers: 14 px while they fit in ~450 px, else smaller (≥ 4). */
export function gridLayout(L: number, W = 320, left = 24): GridLayout {
  return { W, left, L, rowH: L <= 32 ? 14 : Math.max(4, Math.floor(448 / L)), bottom: 12 };
}

/** The (layer, token) under a point in the grid's logical coordinates, or null. */
export function gridCellAt(g: GridLayout, win: TokenWindow, x: number, y: number): { layer: number; token: number } | null {
  const plot = g.W - g.left;
  if (x < g.left || x >= g.W || y < 0 || y >= g.L * g.rowH) return null;
  const layer = Math.floor(y / g.rowH);
  const token = win.start + Math.min(win.size - 1, Math.floor(((x - g.left) / plot) * win.size));
  return { layer, token };
}

export interface GridPaint {
  g: GridLayout;
  win: TokenWindow;
  image: CanvasImageSource | null;
  /** per layer: 'm' MoE with numbers, 'd' dense, '_' not computed / not arrived */
  rows: string;
  layerTicks: number[];
  /** token indices (absolute) that get a label */
  tokenTicks: number[];
  focus: { layer: number; token: number } | null;
}

export function paintGrid(ctx: Ctx2D, p: GridPaint, dpr: number): void {
  const { g, win } = p;
  const plot = g.W - g.left;
  const h = g.L * g.rowH;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, g.W, h + g.bottom);
  // rows with no cells: dense (labelled), or still computing (light)
  ctx.font = 'italic 9px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (let l = 0; l < g.L; l++) {
    const k = p.rows[l];
    if (k === 'm') continue;
    ctx.fillStyle = k === 'd' ? '#eceef2' : '#f7f7f7';
    ctx.fillRect(g.left, l * g.rowH, plot, g.rowH - (g.rowH > 5 ? 1 : 0));
    if (k === 'd' && g.rowH >= 9) {
      ctx.fillStyle = '#5d6470';
      ctx.fillText('dense MLP layer (no router)', g.left + 2, l * g.rowH + g.rowH / 2);
    }
  }
  if (p.image) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(p.image, g.left, 0, plot, h);
  }
  // a hairline between rows while rows are tall enough to show it
  if (g.rowH > 5) {
    ctx.fillStyle = '#fff';
    for (let l = 1; l < g.L; l++) ctx.fillRect(g.left, l * g.rowH - 1, plot, 1);
  }
  ctx.font = '9px system-ui, sans-serif';
  ctx.textAlign = 'right';
  for (const l of p.layerTicks) {
    ctx.fillStyle = p.focus?.layer === l ? FOCUS_COLOR : '#333';
    ctx.fillText(`L${l}`, g.left - 3, l * g.rowH + g.rowH / 2);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillStyle = '#555';
  ctx.font = '8px system-ui, sans-serif';
  const w = plot / win.size;
  for (const t of p.tokenTicks) ctx.fillText(String(t), g.left + (t - win.start + 0.5) * w, h + 2);
  const f = p.focus;
  if (f && f.layer < g.L && f.token >= win.start && f.token < win.start + win.size) {
    ctx.strokeStyle = FOCUS_COLOR;
    ctx.lineWidth = 1.5;
    const cw = Math.max(2, w);
    ctx.strokeRect(g.left + (f.token - win.start + 0.5) * w - cw / 2, f.layer * g.rowH, cw, Math.max(2, g.rowH - 1));
  }
}
