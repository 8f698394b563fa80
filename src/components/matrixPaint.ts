// Paints an expert × expert matrix on one canvas (the co-activation view above 16 experts): the
// cells as one pixel each, scaled up without smoothing; thinned id ticks on both axes; the
// focused expert's row and column outlined; the keyboard cursor's cell outlined.
import { FOCUS_COLOR } from './colors';
import { context2d, type MatrixLayout } from './chartLayout';

/** What the painter needs of a 2D context (a recording fake in the tests). */
export type Ctx2D = Pick<
  CanvasRenderingContext2D,
  'setTransform' | 'clearRect' | 'fillRect' | 'strokeRect' | 'fillText' | 'drawImage' | 'putImageData' | 'fillStyle' | 'strokeStyle' | 'lineWidth' | 'font' | 'textAlign' | 'textBaseline' | 'imageSmoothingEnabled'
>;

export interface MatrixPaint {
  layout: MatrixLayout;
  /** the cells, already coloured and in axis order (one pixel per cell), as a drawable image */
  image: CanvasImageSource | null;
  /** the axis order: expert id at each position */
  order: number[];
  /** axis positions that get an id label */
  ticks: number[];
  /** the focused expert's axis position, or null */
  focusPos: number | null;
  /** the keyboard cursor (axis positions), or null */
  cursor: { row: number; col: number } | null;
  fontPx: number;
}

/** Paint onto ctx, whose canvas is layout.size logical px square at ratio dpr. */
export function paintMatrix(ctx: Ctx2D, p: MatrixPaint, dpr: number): void {
  const { layout: l } = p;
  const span = l.size - l.margin;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, l.size, l.size);
  if (p.image) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(p.image, l.margin, l.margin, span, span);
  }
  ctx.font = `${p.fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  for (const pos of p.ticks) {
    const focused = pos === p.focusPos;
    ctx.fillStyle = focused ? FOCUS_COLOR : '#333';
    ctx.font = `${focused ? '700 ' : ''}${p.fontPx}px system-ui, sans-serif`;
    const mid = l.margin + (pos + 0.5) * l.cell;
    ctx.textAlign = 'right';
    ctx.fillText(String(p.order[pos]), l.margin - 3, mid);
    ctx.textAlign = 'center';
    ctx.fillText(String(p.order[pos]), mid, l.margin - p.fontPx);
  }
  const w = Math.max(1, l.cell);
  if (p.focusPos !== null) {
    ctx.strokeStyle = FOCUS_COLOR;
    ctx.lineWidth = 1;
    const at = l.margin + p.focusPos * l.cell + (l.cell - w) / 2;
    ctx.strokeRect(l.margin, at - 0.5, span, w + 1);
    ctx.strokeRect(at - 0.5, l.margin, w + 1, span);
  }
  if (p.cursor) {
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 1.5;
    const s = Math.max(4, l.cell);
    const cx = l.margin + (p.cursor.col + 0.5) * l.cell - s / 2;
    const cy = l.margin + (p.cursor.row + 0.5) * l.cell - s / 2;
    ctx.strokeRect(cx, cy, s, s);
  }
}

/** An n × n RGBA buffer as a drawable image (an offscreen canvas), or null without a 2D context. */
export function pixelsToImage(px: Uint8ClampedArray, w: number, h: number): HTMLCanvasElement | null {
  if (typeof document === 'undefined' || !w || !h) return null;
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = context2d(c);
  if (!g || typeof ImageData === 'undefined') return null;
  g.putImageData(new ImageData(new Uint8ClampedArray(px), w, h), 0, 0);
  return c;
}
