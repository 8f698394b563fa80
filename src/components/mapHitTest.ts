// Which routing-map cell (and which expert stripe in it) lies under a point: the canvas has no
// element per cell, so hover and click on it are resolved here.
import type { MapGeom } from './mapViewport';

export interface MapHit {
  token: number;
  layer: number;
  /** x within the cell, 0 … cellW (px) */
  dx: number;
}

/**
 * The cell under (x, y), in grid pixels (0, 0 = the top-left corner of cell (token 0, layer 0),
 * i.e. scroll offset + position in the painted area). Null outside the grid and in the gaps.
 */
export function hitTest(x: number, y: number, g: MapGeom): MapHit | null {
  if (x < 0 || y < 0) return null;
  const token = Math.floor(x / g.pitchX);
  const layer = Math.floor(y / g.pitchY);
  if (token >= g.T || layer >= g.L) return null;
  const dx = x - token * g.pitchX;
  const dy = y - layer * g.pitchY;
  if (dx >= g.cellW || dy >= g.cellH) return null;
  return { token, layer, dx };
}

/**
 * The stripe at `dx` (px from the cell's left edge) in a cell `cellW` wide whose stripes are the
 * selected experts with widths ∝ max(0.05, gate), as mapCanvas paints them. −1 if none.
 */
export function stripeAt(dx: number, cellW: number, gates: readonly number[], n = gates.length): number {
  if (n === 0 || dx < 0 || dx >= cellW) return -1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.max(0.05, gates[i] ?? 0);
  let x = 0;
  for (let i = 0; i < n; i++) {
    x += (Math.max(0.05, gates[i] ?? 0) / sum) * cellW;
    if (dx < x) return i;
  }
  return n - 1;
}
