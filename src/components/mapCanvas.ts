// Paints the routing map's cells on one canvas: per cell, a stripe per chosen expert (its colour,
// width ∝ gate, its id when it fits). The focusable DOM cells on top stay transparent, so a router
// swap repaints one canvas instead of restyling thousands of elements.
import type { LayerEvent } from '../gpu/protocol';
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

export function paintMap(canvas: HTMLCanvasElement, { layers, dense, T }: MapPaint): void {
  const L = dense.length;
  const w = T * (CELL_W + CELL_GAP) - CELL_GAP;
  const h = L * (CELL_H + CELL_GAP) - CELL_GAP;
  const dpr = globalThis.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return; // no 2D context (test environments): the DOM cells still carry everything
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let l = 0; l < L; l++) {
    const ev = layers[l];
    const y = l * (CELL_H + CELL_GAP);
    for (let t = 0; t < T; t++) {
      const x = t * (CELL_W + CELL_GAP);
      ctx.fillStyle = dense[l] ? '#e4e6eb' : ev ? '#f3f4f7' : '#e8eaef';
      ctx.fillRect(x, y, CELL_W, CELL_H);
      const sel = ev?.selected[t];
      if (!ev || dense[l] || !sel?.length) continue;
      const gates = ev.gates[t] ?? [];
      const weights = sel.map((_, i) => Math.max(0.05, gates[i] ?? 0));
      const sum = weights.reduce((a, b) => a + b, 0);
      let sx = x;
      sel.forEach((e, i) => {
        const sw = (weights[i] / sum) * CELL_W;
        ctx.fillStyle = expertColor(e, ev.E);
        ctx.fillRect(sx, y, sw, CELL_H);
        if (sw >= 9) {
          ctx.fillStyle = '#fff';
          ctx.fillText(String(e), sx + sw / 2, y + CELL_H / 2);
        }
        sx += sw;
      });
    }
  }
}
