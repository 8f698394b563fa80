// Geometry of the routing map's scrollable viewport: cell sizes per zoom level, which cells of the
// T × L grid are visible (the window that gets DOM cells), and the scroll that brings a cell into
// view. Pure functions: the component and the tests share them.

/** the row of token labels above the grid and the column of layer labels left of it (px) */
export const HEAD_H = 22;
export const LABEL_W = 64;

/** cell widths on the token axis, narrowest first (the last one is the default) */
export const ZOOM_X = [2, 4, 8, 14, 22, 34] as const;
/** cell heights on the layer axis, smallest first (the last one is the default for few layers) */
export const ZOOM_Y = [4, 8, 14, 26] as const;
/**
 * the most DOM cells the map keeps (whole grids up to this size are rendered in full). The canvas
 * draws and hit-tests every cell; the DOM cells carry names for screen readers and the keyboard's
 * roving focus. 2000 cost ~1 s of element creation on 2 loaded cores when a big trace opened.
 */
export const MAX_DOM_CELLS = 800;
/** a viewport measured as 0 × 0 (jsdom, a collapsed panel) is taken to be this big */
export const FALLBACK_VIEW = { w: 960, h: 600 };

export interface MapGeom {
  cellW: number;
  cellH: number;
  /** cell width + gap, cell height + gap */
  pitchX: number;
  pitchY: number;
  T: number;
  L: number;
}

export function geometry(T: number, L: number, zoomX: number, zoomY: number): MapGeom {
  const cellW = ZOOM_X[clamp(zoomX, 0, ZOOM_X.length - 1)];
  const cellH = ZOOM_Y[clamp(zoomY, 0, ZOOM_Y.length - 1)];
  const gapX = cellW >= 8 ? 2 : cellW >= 4 ? 1 : 0;
  const gapY = cellH >= 8 ? 2 : 1;
  return { cellW, cellH, pitchX: cellW + gapX, pitchY: cellH + gapY, T, L };
}

/** The default row height: the tallest level that shows every layer in ≤ 640 px, at least 8 px. */
export function defaultZoomY(L: number): number {
  for (let z = ZOOM_Y.length - 1; z > 0; z--) if (L * geometry(1, L, 0, z).pitchY <= 640) return z;
  return 1;
}

/** Size of the painted grid (without the label row/column), px. */
export function gridSize(g: MapGeom): { w: number; h: number } {
  return { w: Math.max(0, g.T * g.pitchX - (g.pitchX - g.cellW)), h: Math.max(0, g.L * g.pitchY - (g.pitchY - g.cellH)) };
}

export interface MapWindow {
  /** tokens [t0, t1) and layers [l0, l1) that get DOM cells */
  t0: number;
  t1: number;
  l0: number;
  l1: number;
}

/**
 * The cells to render for a viewport `view` (px, including the label column and token row)
 * scrolled to (sx, sy): the visible ones plus a margin, at most `cap` of them (narrowed on the
 * token axis around `aroundToken`, where the canvas still paints and hit-tests the rest). A grid
 * of at most `cap` cells is rendered whole.
 */
export function visibleWindow(g: MapGeom, sx: number, sy: number, view: { w: number; h: number }, aroundToken = 0, cap = MAX_DOM_CELLS): MapWindow {
  if (g.T * g.L <= cap) return { t0: 0, t1: g.T, l0: 0, l1: g.L };
  const w = Math.max(0, view.w - LABEL_W);
  const h = Math.max(0, view.h - HEAD_H);
  const overX = 4;
  const overY = 2;
  let t0 = clamp(Math.floor(sx / g.pitchX) - overX, 0, g.T);
  let t1 = clamp(Math.ceil((sx + w) / g.pitchX) + overX, t0, g.T);
  const l0 = clamp(Math.floor(sy / g.pitchY) - overY, 0, g.L);
  const l1 = clamp(Math.ceil((sy + h) / g.pitchY) + overY, l0, g.L);
  const rows = Math.max(1, l1 - l0);
  const most = Math.max(1, Math.floor(cap / rows));
  if (t1 - t0 > most) {
    const c = aroundToken >= t0 && aroundToken < t1 ? aroundToken : Math.floor((t0 + t1) / 2);
    t0 = clamp(c - Math.floor(most / 2), t0, t1 - most);
    t1 = t0 + most;
  }
  return { t0, t1, l0, l1 };
}

/**
 * The scroll (sx, sy) that shows cell (token, layer) in a viewport `view` currently scrolled to
 * (sx, sy): unchanged when it is already in view, else the least move that shows it with one cell
 * of margin.
 */
export function scrollToShow(g: MapGeom, token: number, layer: number, sx: number, sy: number, view: { w: number; h: number }): { sx: number; sy: number } {
  const w = Math.max(g.pitchX, view.w - LABEL_W);
  const h = Math.max(g.pitchY, view.h - HEAD_H);
  const x = token * g.pitchX;
  const y = layer * g.pitchY;
  const mx = Math.min(g.pitchX, Math.max(0, (w - g.pitchX) / 2));
  const my = Math.min(g.pitchY, Math.max(0, (h - g.pitchY) / 2));
  let nx = sx;
  let ny = sy;
  if (x - mx < sx) nx = x - mx;
  else if (x + g.cellW + mx > sx + w) nx = x + g.cellW + mx - w;
  if (y - my < sy) ny = y - my;
  else if (y + g.cellH + my > sy + h) ny = y + g.cellH + my - h;
  const max = maxScroll(g, view);
  return { sx: clamp(Math.round(nx), 0, max.sx), sy: clamp(Math.round(ny), 0, max.sy) };
}

export function maxScroll(g: MapGeom, view: { w: number; h: number }): { sx: number; sy: number } {
  const s = gridSize(g);
  return { sx: Math.max(0, s.w - (view.w - LABEL_W)), sy: Math.max(0, s.h - (view.h - HEAD_H)) };
}

/** Tokens per page (PageUp/PageDown) in a viewport. */
export function tokensPerPage(g: MapGeom, view: { w: number }): number {
  return Math.max(1, Math.floor((view.w - LABEL_W) / g.pitchX) - 1);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
