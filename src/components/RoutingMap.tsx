import { memo, useMemo, useRef } from 'react';
import type { LayerEvent } from '../gpu/protocol';
import type { Focus } from '../state/store';
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
  const imported = useLab((s) => s.imported !== null);
  // An imported trace has its own layer count, whatever model is loaded underneath.
  const L = imported ? modified.layers.length : (manifest?.numLayers ?? modified.layers.length);
  // Per layer, the flipped tokens as a string key, so unchanged rows skip re-rendering.
  const changedByLayer = useMemo(() => new Map(diff?.layers.map((d) => [d.layer, d.flippedTokens.join(',')]) ?? []), [diff]);

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
          {Array.from({ length: L }, (_, l) => (
            <MapRow
              key={l}
              layer={l}
              ev={modified.layers[l]}
              dense={(modified.layers[l]?.kind ?? (imported ? undefined : manifest?.layers[l]?.kind)) === 'dense'}
              T={T}
              tokens={tokens}
              focusToken={focus.layer === l ? focus.token : -1}
              changed={changedByLayer.get(l) ?? ''}
              hover={hover}
              pin={pin}
            />
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
  ev: LayerEvent | undefined;
  /** a dense MLP layer: no router, so no experts per token */
  dense: boolean;
  T: number;
  tokens: { id: number; text: string }[];
  /** the focused token when the focus is in this row, else −1 */
  focusToken: number;
  /** flipped token indices joined by commas */
  changed: string;
  hover(f: Partial<Focus>): void;
  pin(f: Partial<Focus>): void;
}

/** One layer of the map; memoised so a focus move or a new layer re-renders only the rows it touches. */
const MapRow = memo(function MapRow({ layer: l, ev, dense, T, tokens, focusToken, changed, hover, pin }: RowProps) {
  const flipped = new Set(changed ? changed.split(',').map(Number) : []);
  return (
    <div role="row" className={`map-row${dense ? ' is-dense' : ''}`} data-kind={dense ? 'dense' : undefined}>
      <span role="rowheader" className="map-layer">
        L{l}
        {ev?.skipped ? ' ⤼' : ''}
        {dense && (
          <span className="map-kind" data-testid="dense-row-label" title="dense MLP layer: no router, every token goes through the same MLP">
            {' '}
            dense
          </span>
        )}
      </span>
      {Array.from({ length: T }, (_, t) => {
        const sel = ev?.selected[t] ?? [];
        const gates = ev?.gates[t] ?? [];
        const isFocus = focusToken === t;
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
            className={`map-cell${isFocus ? ' is-focus' : ''}${flipped.has(t) ? ' is-changed' : ''}${ev ? '' : ' is-pending'}${dense ? ' is-dense' : ''}`}
            aria-label={`layer ${l}, token ${t} "${tokens[t]?.text ?? ''}": ${dense ? 'dense MLP layer (no router, no experts)' : `experts ${sel.length ? sel.join(', ') : 'none'}`}`}
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
});
