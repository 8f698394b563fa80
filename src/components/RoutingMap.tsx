import { memo, useEffect, useMemo, useRef } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { CELL_GAP, CELL_H, CELL_W, paintMap, warmGlyphs } from './mapCanvas';
import { Panel } from './Panel';
import { visibleToken } from './tokenText';

/**
 * Layers × tokens: each cell shows the experts the token visits in that layer (colour per expert,
 * width ∝ gate), painted on one canvas (mapCanvas.ts). On top, every cell is a transparent
 * focusable button carrying data-token / data-layer / data-experts and an aria-label (the
 * keyboard and screen-reader path, and the test hooks); arrow keys move between them. Changed
 * cells (vs the unmodified run) are outlined.
 */
export function RoutingMap() {
  const modified = useLab((s) => s.modified);
  const diff = useLab((s) => s.diff);
  const focus = useLab((s) => s.focus);
  const hover = useLab((s) => s.hover);
  const pin = useLab((s) => s.pin);
  const manifest = useLab((s) => s.manifest);
  const gridRef = useRef<HTMLDivElement>(null);
  const tokens = useMemo(() => modified.summary?.tokens ?? [], [modified.summary]);
  const T = tokens.length || modified.layers.find(Boolean)?.T || 0;
  const imported = useLab((s) => s.imported !== null);
  // An imported trace has its own layer count, whatever model is loaded underneath.
  const L = imported ? modified.layers.length : (manifest?.numLayers ?? modified.layers.length);
  // Per layer, the flipped tokens as a string key.
  const changedByLayer = useMemo(() => new Map(diff?.layers.map((d) => [d.layer, d.flippedTokens.join(',')]) ?? []), [diff]);

  const canvasRef = useRef<HTMLCanvasElement>(null);
  const dense = useMemo(
    () => Array.from({ length: L }, (_, l) => (modified.layers[l]?.kind ?? (imported ? undefined : manifest?.layers[l]?.kind)) === 'dense'),
    [L, modified.layers, imported, manifest],
  );
  // Layers arrive one at a time: repaint and relabel only the rows whose event changed since the
  // last draw (all of them when the shape or the tokens change).
  const painted = useRef<{ key: string; layers: (LayerEvent | undefined)[] }>({ key: '', layers: [] });
  const labelled = useRef<{ key: string; layers: (LayerEvent | undefined)[] }>({ key: '', layers: [] });
  const changedRows = (seen: { key: string; layers: (LayerEvent | undefined)[] }, key: string) =>
    seen.key === key ? Array.from({ length: L }, (_, l) => l).filter((l) => seen.layers[l] !== modified.layers[l]) : undefined;
  useEffect(() => {
    const id = setTimeout(warmGlyphs, 0);
    return () => clearTimeout(id);
  }, []);
  useEffect(() => {
    if (!canvasRef.current || T === 0) return;
    const key = `${T}:${dense.join()}`;
    paintMap(canvasRef.current, { layers: modified.layers, dense, T }, changedRows(painted.current, key));
    painted.current = { key, layers: [...modified.layers] };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- changedRows reads the same inputs
  }, [modified.layers, dense, T]);

  // The cells are rendered once per shape; what a run changes (experts, labels, outlines) is
  // written here directly — a swap touches T·L attributes instead of reconciling T·L elements.
  useEffect(() => {
    const cells = gridRef.current?.querySelectorAll<HTMLButtonElement>('button.map-cell');
    if (!cells || cells.length !== T * L) return;
    const key = `${T}:${L}:${dense.join()}:${tokens.map((x) => x.id).join(',')}`;
    const rows = changedRows(labelled.current, key) ?? Array.from({ length: L }, (_, l) => l);
    labelled.current = { key, layers: [...modified.layers] };
    // For `npm run bench`: when the page first shows experts (ms since navigation start).
    if (!firstMapMarked && modified.layers.some((ev) => ev?.selected.some((x) => x.length > 0))) {
      firstMapMarked = true;
      performance.mark('moe-first-map');
    }
    for (const l of rows) {
      const ev = modified.layers[l];
      for (let t = 0; t < T; t++) {
        const el = cells[l * T + t];
        const sel = ev?.selected[t] ?? [];
        // (unchanged values are left alone: each write invalidates the cell's style)
        const experts = sel.join(',');
        if (el.getAttribute('data-experts') !== experts) el.setAttribute('data-experts', experts);
        const label = cellLabel(l, t, tokens[t]?.text ?? '', dense[l], sel, ev?.gates[t]);
        if (el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
        el.classList.toggle('is-pending', !ev);
        el.classList.toggle('is-dense', dense[l]);
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- changedRows reads the same inputs
  }, [modified.layers, dense, tokens, T, L]);

  // Outlines of the cells whose experts changed against the unmodified run (arrives after the
  // routing, with the pass's diff).
  useEffect(() => {
    const grid = gridRef.current;
    if (!grid) return;
    for (const el of grid.querySelectorAll('button.map-cell.is-changed')) el.classList.remove('is-changed');
    // Cells are in layer-major order (one query, then indexing: a swap outlines most of them).
    const cells = grid.querySelectorAll('button.map-cell');
    if (cells.length !== T * L) return;
    for (const [l, flipped] of changedByLayer) for (const t of flipped ? flipped.split(',') : []) cells[l * T + Number(t)]?.classList.add('is-changed');
  }, [changedByLayer, T, L]);

  // The focused cell: the only one in the tab order, outlined.
  useEffect(() => {
    const grid = gridRef.current;
    if (!grid) return;
    for (const el of grid.querySelectorAll<HTMLElement>('button.map-cell.is-focus')) {
      el.classList.remove('is-focus');
      el.tabIndex = -1;
    }
    const el = grid.querySelector<HTMLElement>(`button.map-cell[data-layer="${focus.layer}"][data-token="${focus.token}"]`);
    if (el) {
      el.classList.add('is-focus');
      el.tabIndex = 0;
    }
  }, [focus.layer, focus.token, T, L]);

  // One listener for all cells (not one closure per cell per render).
  const cellAt = (e: MouseEvent<HTMLDivElement>) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-token][data-layer]');
    return el ? { layer: Number(el.dataset.layer), token: Number(el.dataset.token) } : null;
  };
  const onOver = (e: MouseEvent<HTMLDivElement>) => {
    const c = cellAt(e);
    if (c) hover(c);
  };
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const c = cellAt(e);
    if (c) pin(c);
  };

  const move = (e: KeyboardEvent<HTMLDivElement>) => {
    const d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
    if (!d) return;
    e.preventDefault();
    const layer = Math.min(L - 1, Math.max(0, focus.layer + d[0]));
    const token = Math.min(T - 1, Math.max(0, focus.token + d[1]));
    pin({ layer, token });
    gridRef.current?.querySelector<HTMLElement>(`[data-layer="${layer}"][data-token="${token}"]`)?.focus();
  };

  if (T === 0) {
    return (
      <Panel title="Routing map" testId="routing-map">
        <p className="placeholder">Type a prompt and press Enter to see which experts each token visits in each layer.</p>
      </Panel>
    );
  }
  return (
    <Panel title="Routing map" testId="routing-map">
      <div className="map-scroll">
        <div
          className="map-grid"
          ref={gridRef}
          role="grid"
          aria-label="Experts chosen per layer and token"
          onKeyDown={move}
          onMouseOver={onOver}
          onClick={onClick}
          style={{ gridTemplateColumns: `4.5em repeat(${T}, ${CELL_W}px)`, gridTemplateRows: `auto repeat(${L}, ${CELL_H}px)`, gap: CELL_GAP }}
        >
          <canvas ref={canvasRef} className="map-canvas" aria-hidden="true" style={{ gridColumn: `2 / span ${T}`, gridRow: `2 / span ${L}` }} />
          <div role="row" className="map-row">
            <span role="columnheader" className="map-corner">layer</span>
            {Array.from({ length: T }, (_, t) => (
              <span role="columnheader" key={t} className={`map-token${t === focus.token ? ' is-focus' : ''}`} title={`token ${t} (id ${tokens[t]?.id ?? '?'})`}>
                {visibleToken(tokens[t]?.text ?? '')}
              </span>
            ))}
          </div>
          {Array.from({ length: L }, (_, l) => (
            <MapRow key={l} layer={l} skipped={!!modified.layers[l]?.skipped} dense={dense[l]} T={T} />
          ))}
        </div>
      </div>
      {diff && (
        <p className="map-legend">
          Outlined cells changed against the unmodified run. Flipped per layer: {diff.layers.map((d) => `L${d.layer} ${(d.flipped * 100).toFixed(0)}%`).join(' · ')}
        </p>
      )}
    </Panel>
  );
}

interface RowProps {
  layer: number;
  skipped: boolean;
  /** a dense MLP layer: no router, so no experts per token */
  dense: boolean;
  T: number;
}

let firstMapMarked = false;

function cellLabel(l: number, t: number, text: string, dense: boolean, sel: number[], gates: number[] | undefined): string {
  if (dense) return `layer ${l}, token ${t} "${text}": dense MLP layer (no router, no experts)`;
  return `layer ${l}, token ${t} "${text}": experts ${sel.length ? sel.map((e, i) => `${e} (gate ${(gates?.[i] ?? 0).toFixed(2)})`).join(', ') : 'none'}`;
}

/** One layer of the map: static cells (the effects above write what a run changes). */
const MapRow = memo(function MapRow({ layer: l, skipped, dense, T }: RowProps) {
  return (
    <div role="row" className={`map-row${dense ? ' is-dense' : ''}`} data-kind={dense ? 'dense' : undefined}>
      <span role="rowheader" className="map-layer" style={{ gridRow: l + 2, gridColumn: 1 }}>
        L{l}
        {skipped ? ' ⤼' : ''}
        {dense && (
          <span className="map-kind" data-testid="dense-row-label" title="dense MLP layer: no router, every token goes through the same MLP">
            {' '}
            dense
          </span>
        )}
      </span>
      {Array.from({ length: T }, (_, t) => (
        <button key={t} type="button" role="gridcell" data-testid="routing-cell" data-token={t} data-layer={l} tabIndex={-1} style={{ gridRow: l + 2, gridColumn: t + 2 }} className="map-cell" />
      ))}
    </div>
  );
});
