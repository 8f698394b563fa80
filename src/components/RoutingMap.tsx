import { useMemo, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { useLab } from '../state/store';
import { expertColor } from './colors';
import { Panel } from './Panel';

/**
 * Layers × tokens: each cell shows the experts the token visits in that layer (colour per expert,
 * width ∝ gate). Cells are focusable buttons carrying data-token / data-layer / data-experts;
 * arrow keys move between them. Changed cells (vs the unmodified run) are outlined.
 */
export function RoutingMap() {
  const modified = useLab((s) => s.modified);
  const diff = useLab((s) => s.diff);
  const focus = useLab((s) => s.focus);
  const hover = useLab((s) => s.hover);
  const pin = useLab((s) => s.pin);
  const manifest = useLab((s) => s.manifest);
  const gridRef = useRef<HTMLDivElement>(null);
  const tokens = modified.summary?.tokens ?? [];
  const T = tokens.length || modified.layers.find(Boolean)?.T || 0;
  const L = manifest?.numLayers ?? modified.layers.length;
  const changed = useMemo(() => new Set(diff?.layers.flatMap((d) => d.flippedTokens.map((t) => `${d.layer}:${t}`)) ?? []), [diff]);

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
        <div className="map-grid" ref={gridRef} role="grid" aria-label="Experts chosen per layer and token" onKeyDown={move} style={{ gridTemplateColumns: `4.5em repeat(${T}, minmax(2.6em, 1fr))` }}>
          <div role="row" className="map-row">
            <span role="columnheader" className="map-corner">layer</span>
            {Array.from({ length: T }, (_, t) => (
              <span role="columnheader" key={t} className={`map-token${t === focus.token ? ' is-focus' : ''}`} title={`token ${t} (id ${tokens[t]?.id ?? '?'})`}>
                {tokens[t]?.text ?? ''}
              </span>
            ))}
          </div>
          {Array.from({ length: L }, (_, l) => {
            const ev = modified.layers[l];
            return (
              <div role="row" className="map-row" key={l}>
                <span role="rowheader" className="map-layer">
                  L{l}
                  {ev?.skipped ? ' ⤼' : ''}
                </span>
                {Array.from({ length: T }, (_, t) => {
                  const sel = ev?.selected[t] ?? [];
                  const gates = ev?.gates[t] ?? [];
                  const isFocus = focus.layer === l && focus.token === t;
                  return (
                    <button
                      key={t}
                      type="button"
                      role="gridcell"
                      data-testid="routing-cell"
                      data-token={t}
                      data-layer={l}
                      data-experts={sel.join(',')}
                      tabIndex={isFocus ? 0 : -1}
                      className={`map-cell${isFocus ? ' is-focus' : ''}${changed.has(`${l}:${t}`) ? ' is-changed' : ''}${ev ? '' : ' is-pending'}`}
                      aria-label={`layer ${l}, token ${t} "${tokens[t]?.text ?? ''}": experts ${sel.length ? sel.join(', ') : 'none'}`}
                      onMouseEnter={() => hover({ layer: l, token: t })}
                      onClick={() => pin({ layer: l, token: t })}
                    >
                      {sel.map((e, i) => (
                        <span key={e} className="map-stripe" style={{ background: expertColor(e, ev!.E), flexGrow: Math.max(0.05, gates[i] ?? 0) }}>
                          {e}
                        </span>
                      ))}
                    </button>
                  );
                })}
              </div>
            );
          })}
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
