// Canvas painters of the training playground: pure functions of the data, the size and a 2-D
// context, so they run against any context (a browser's, or none in jsdom where getContext is null).
import { expertColor, quantityColor } from '../colors';

/** Light fills of the predicted classes (up to 4). */
export const CLASS_COLOURS = ['#fbb4ae', '#b3cde3', '#ccebc5', '#decbe4'];

/** Share of the grid each expert covers, [E] (what the regions canvas reports as data). */
export function regionShares(ids: readonly number[], E: number): number[] {
  const n = new Array(E).fill(0);
  for (const e of ids) if (e >= 0 && e < E) n[e]++;
  return n.map((v) => (ids.length ? v / ids.length : 0));
}

/** A G × G grid of ids as square cells, coloured by `colour(id)`. */
export function paintGrid(
  ctx: CanvasRenderingContext2D,
  ids: readonly number[],
  G: number,
  size: number,
  colour: (id: number) => string,
): void {
  const cell = size / G;
  ctx.clearRect(0, 0, size, size);
  for (let r = 0; r < G; r++)
    for (let c = 0; c < G; c++) {
      const id = ids[r * G + c];
      ctx.fillStyle = id < 0 ? '#fff' : colour(id);
      ctx.fillRect(c * cell, r * cell, Math.ceil(cell), Math.ceil(cell));
    }
}

export const expertFill = (E: number) => (e: number) => expertColor(e, E);
export const classFill = (c: number) => CLASS_COLOURS[c % CLASS_COLOURS.length];

export interface SeriesStyle {
  colour: string;
  /** fixed y range; otherwise 0 … max of the data */
  yMax?: number;
}

/** A line over steps, y from 0 (bottom) to yMax; vertical ticks at the marked steps (upcycling). */
export function paintSeries(
  ctx: CanvasRenderingContext2D,
  xs: readonly number[],
  ys: readonly number[],
  w: number,
  h: number,
  style: SeriesStyle,
  marks: readonly number[] = [],
): void {
  ctx.clearRect(0, 0, w, h);
  if (xs.length === 0) return;
  const x0 = xs[0];
  const x1 = Math.max(xs[xs.length - 1], x0 + 1);
  let yMax = style.yMax ?? -Infinity;
  if (style.yMax === undefined)
    for (const y of ys) if (Number.isFinite(y)) yMax = Math.max(yMax, y);
  if (!(yMax > 0)) yMax = 1;
  const px = (x: number) => ((x - x0) / (x1 - x0)) * (w - 2) + 1;
  const py = (y: number) => h - 1 - (Math.min(y, yMax) / yMax) * (h - 2);
  ctx.strokeStyle = '#999';
  ctx.setLineDash([3, 3]);
  for (const m of marks) {
    ctx.beginPath();
    ctx.moveTo(px(m), 0);
    ctx.lineTo(px(m), h);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.strokeStyle = style.colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  xs.forEach((x, i) => (i ? ctx.lineTo(px(x), py(ys[i])) : ctx.moveTo(px(x), py(ys[i]))));
  ctx.stroke();
}

/** Each expert's share of the load over steps, stacked (expert 0 at the bottom); rows may grow (upcycling). */
export function paintLoad(
  ctx: CanvasRenderingContext2D,
  xs: readonly number[],
  load: readonly (readonly number[])[],
  E: number,
  w: number,
  h: number,
): void {
  ctx.clearRect(0, 0, w, h);
  const n = xs.length;
  if (n === 0) return;
  const colW = w / n;
  for (let i = 0; i < n; i++) {
    let y = h;
    for (let e = 0; e < E; e++) {
      const v = load[i][e] ?? 0;
      if (v <= 0) continue;
      ctx.fillStyle = expertColor(e, E);
      ctx.fillRect(i * colW, y - v * h, Math.ceil(colW), v * h);
      y -= v * h;
    }
  }
}

/** ERC's matrix M [E × E] as a heat map (darker = larger), its diagonal outlined. */
export function paintMatrix(
  ctx: CanvasRenderingContext2D,
  M: readonly number[],
  E: number,
  size: number,
): void {
  ctx.clearRect(0, 0, size, size);
  if (E === 0 || M.length !== E * E) return;
  let max = -Infinity;
  for (const v of M) max = Math.max(max, v);
  const cell = size / E;
  for (let i = 0; i < E; i++)
    for (let j = 0; j < E; j++) {
      ctx.fillStyle = quantityColor(max > 0 ? M[i * E + j] / max : 0);
      ctx.fillRect(j * cell, i * cell, Math.ceil(cell), Math.ceil(cell));
    }
  ctx.strokeStyle = '#d62728';
  ctx.lineWidth = 1.5;
  for (let i = 0; i < E; i++)
    ctx.strokeRect(i * cell + 0.75, i * cell + 0.75, cell - 1.5, cell - 1.5);
}
