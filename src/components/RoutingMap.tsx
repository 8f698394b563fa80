import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent, PointerEvent } from 'react';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { paintMap, paintMinimap, warmGlyphs, type Colouring, type MapPaint } from './mapCanvas';
import {
  COLOUR_BY,
  defaultColourBy,
  GATE_RAMP,
  GREY_RAMP,
  HIGHLIGHT,
  RANK_RAMP,
  topExpert,
  type ColourBy,
} from './mapColours';
import { hitTest, stripeAt } from './mapHitTest';
import {
  clamp,
  defaultZoomY,
  FALLBACK_VIEW,
  geometry,
  gridSize,
  HEAD_H,
  LABEL_W,
  maxScroll,
  scrollToShow,
  tokensPerPage,
  visibleWindow,
  ZOOM_X,
  ZOOM_Y,
  type MapGeom,
} from './mapViewport';
import { Panel } from './Panel';
import { visibleToken } from './tokenText';
import { explain } from './explain';

/**
 * Layers × tokens: each cell shows the experts the token visits in that layer (stripes, width ∝
 * gate), in a scrollable, zoomable viewport. One viewport-sized canvas (mapCanvas.ts) paints only
 * the visible window, so the page does not grow with the run (4096 tokens × 64 layers). The cells
 * of that window (the whole grid for small runs) are also transparent focusable buttons carrying
 * data-token / data-layer / data-experts and an aria-label (the keyboard and screen-reader path,
 * and the test hooks); the focused cell always exists. Arrow keys, Home/End and PageUp/PageDown
 * move the focus across the whole grid, scrolling it into view; hover and click on the painted
 * area are hit-tested (mapHitTest.ts). Changed cells (vs the unmodified run) are outlined.
 */
export function RoutingMap() {
  const modified = useLab((s) => s.modified);
  const diff = useLab((s) => s.diff);
  const focus = useLab((s) => s.focus);
  const hover = useLab((s) => s.hover);
  const pin = useLab((s) => s.pin);
  const manifest = useLab((s) => s.manifest);
  const imported = useLab((s) => s.imported !== null);
  const tokens = useMemo(() => modified.summary?.tokens ?? [], [modified.summary]);
  const T = tokens.length || modified.layers.find(Boolean)?.T || 0;
  // An imported trace has its own layer count, whatever model is loaded underneath.
  const L = imported ? modified.layers.length : (manifest?.numLayers ?? modified.layers.length);
  // Per layer, the flipped tokens as a string key.
  const changedByLayer = useMemo(
    () => new Map(diff?.layers.map((d) => [d.layer, d.flippedTokens.join(',')]) ?? []),
    [diff],
  );
  const dense = useMemo(
    () =>
      Array.from(
        { length: L },
        (_, l) =>
          (modified.layers[l]?.kind ?? (imported ? undefined : manifest?.layers[l]?.kind)) ===
          'dense',
      ),
    [L, modified.layers, imported, manifest],
  );
  const E = useMemo(
    () =>
      Math.max(
        0,
        ...modified.layers.map((ev) => ev?.E ?? 0),
        ...(imported ? [] : (manifest?.layers.map((x) => x?.numExperts ?? 0) ?? [])),
      ),
    [modified.layers, imported, manifest],
  );

  const [zoomX, setZoomX] = useState<number>(ZOOM_X.length - 1);
  const [zoomYSet, setZoomY] = useState<number | null>(null);
  const zoomY = zoomYSet ?? defaultZoomY(L);
  const colourSet = useLab((s) => s.mapColour);
  const setColourBy = useLab((s) => s.setMapColour);
  const colourBy = colourSet ?? defaultColourBy(E);
  const [view, setView] = useState(FALLBACK_VIEW);
  const [scroll, setScroll] = useState({ sx: 0, sy: 0 });

  const scrollRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const miniRef = useRef<HTMLCanvasElement>(null);
  const tipRef = useRef<HTMLDivElement>(null);

  const g = useMemo(() => geometry(T, L, zoomX, zoomY), [T, L, zoomX, zoomY]);
  const size = gridSize(g);
  const max = maxScroll(g, view);
  const sx = clamp(scroll.sx, 0, max.sx);
  const sy = clamp(scroll.sy, 0, max.sy);
  const canvasW = Math.max(0, Math.min(view.w - LABEL_W, size.w));
  const canvasH = Math.max(0, Math.min(view.h - HEAD_H, size.h));
  const fl = clamp(focus.layer, 0, Math.max(0, L - 1));
  const ft = clamp(focus.token, 0, Math.max(0, T - 1));
  const win = visibleWindow(g, sx, sy, view, ft);
  const showMinimap = T > 0 && size.w > view.w - LABEL_W;

  const data: MapPaint = useMemo(
    () => ({ layers: modified.layers, dense, T }),
    [modified.layers, dense, T],
  );
  // "focus" mode highlights the focused expert, else the focused cell's top expert.
  const highlight =
    colourBy === 'focus'
      ? (focus.expert ?? (dense[fl] ? null : topExpert(modified.layers[fl], ft)))
      : null;

  useEffect(() => {
    const id = setTimeout(warmGlyphs, 0);
    return () => clearTimeout(id);
  }, []);

  // The viewport's size (a collapsed panel or jsdom measures 0: then a default size). A
  // ResizeObserver reports it without forcing a layout: reading clientWidth on every streamed
  // layer forced one each time (~0.8 s of a DeepSeek-V3-sized trace's opening).
  const hasGrid = T > 0 && L > 0;
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const set = (w: number, h: number) =>
      setView((v) =>
        v.w === (w || FALLBACK_VIEW.w) && v.h === (h || FALLBACK_VIEW.h)
          ? v
          : { w: w || FALLBACK_VIEW.w, h: h || FALLBACK_VIEW.h },
      );
    if (typeof ResizeObserver === 'undefined') {
      const measure = () => set(el.clientWidth, el.clientHeight);
      measure();
      window.addEventListener('resize', measure);
      return () => window.removeEventListener('resize', measure);
    }
    const ro = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      set(Math.round(box.width), Math.round(box.height));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [hasGrid]);

  // The scroll state drives the window and the paint; the element follows it (a user's scroll
  // comes back through onScroll). jsdom never scrolls, so the state is the truth.
  /** the scroll the element has (set by us or by the user) */
  const shownScroll = useRef({ sx: 0, sy: 0 });
  const scrollTo = (s: { sx: number; sy: number }) =>
    setScroll({ sx: Math.round(s.sx), sy: Math.round(s.sy) });
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    // (compared with what the element last had, not read from it: reading forces a layout)
    if (shownScroll.current.sx !== sx) el.scrollLeft = sx;
    if (shownScroll.current.sy !== sy) el.scrollTop = sy;
    shownScroll.current = { sx, sy };
  }, [sx, sy, T]);

  // Paint the visible window (and the minimap) once per frame, whatever changed.
  useEffect(() => {
    if (T === 0) return;
    const raf =
      globalThis.requestAnimationFrame ??
      ((f: FrameRequestCallback) => setTimeout(() => f(0), 16) as unknown as number);
    const cancel = globalThis.cancelAnimationFrame ?? clearTimeout;
    const colouring: Colouring = { mode: colourBy, highlight };
    const id = raf(() => {
      if (canvasRef.current && canvasW > 0 && canvasH > 0) {
        paintMap(canvasRef.current, data, g, { x: sx, y: sy, w: canvasW, h: canvasH }, colouring);
        // For `npm run bench`: when the page first painted experts (ms since navigation start).
        if (!firstMapMarked && data.layers.some((ev) => ev?.selected.some((x) => x.length > 0))) {
          firstMapMarked = true;
          performance.mark('moe-first-map');
        }
      }
      if (miniRef.current && size.w > 0 && size.h > 0) {
        const mini = miniRef.current;
        const paint = (stale: boolean) =>
          paintMinimap(
            mini,
            data,
            view.w,
            minimapHeight(L),
            colouring,
            { x: sx / size.w, y: sy / size.h, w: canvasW / size.w, h: canvasH / size.h },
            stale,
          );
        // A new highlighted expert (each hover in "focus" mode) redraws the overview once the
        // pointer rests; scrolling only moves its outline.
        if (!paint(true)) later = setTimeout(() => paint(false), 200);
      }
    });
    let later: ReturnType<typeof setTimeout> | undefined;
    return () => {
      cancel(id);
      clearTimeout(later);
    };
  }, [
    data,
    g,
    sx,
    sy,
    canvasW,
    canvasH,
    colourBy,
    highlight,
    T,
    L,
    view.w,
    size.w,
    size.h,
    showMinimap,
  ]);

  // Zoom keeps an anchor token (the focused one when in view, else the middle one, or the one
  // under the pointer) at the same place on screen.
  const zoomTokens = (dir: number, at?: { token: number; offset: number }) => {
    const z = clamp(zoomX + dir, 0, ZOOM_X.length - 1);
    if (z === zoomX) return;
    const w = Math.max(0, view.w - LABEL_W);
    const focusX = ft * g.pitchX - sx;
    const a =
      at ??
      (focusX >= 0 && focusX < w
        ? { token: ft, offset: focusX }
        : { token: (sx + w / 2) / g.pitchX, offset: w / 2 });
    setZoomX(z);
    scrollTo({ sx: a.token * geometry(T, L, z, zoomY).pitchX - a.offset, sy });
  };
  const zoomLayers = (dir: number) => setZoomY(clamp(zoomY + dir, 0, ZOOM_Y.length - 1));

  // Ctrl/⌘ + wheel zooms the token axis at the pointer (with Shift: the layer axis).
  const wheel = useRef<(e: WheelEvent) => void>(() => {});
  useLayoutEffect(() => {
    wheel.current = (e: WheelEvent) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      const dir = e.deltaY < 0 ? 1 : -1;
      if (e.shiftKey) return zoomLayers(dir);
      const r = scrollRef.current!.getBoundingClientRect();
      const offset = clamp(e.clientX - r.left - LABEL_W, 0, Math.max(0, view.w - LABEL_W));
      zoomTokens(dir, { token: (sx + offset) / g.pitchX, offset });
    };
  });
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const on = (e: WheelEvent) => wheel.current(e);
    el.addEventListener('wheel', on, { passive: false });
    return () => el.removeEventListener('wheel', on);
  }, [T]);

  // A focus set elsewhere (another view, the URL) scrolls its cell into view; the map's own
  // hover, click and keys leave the scroll alone (keys scroll themselves).
  const local = useRef<{ layer: number; token: number } | null>(null);
  const wantFocus = useRef(false);
  const live = useRef({ g, view, sx, sy });
  useLayoutEffect(() => {
    live.current = { g, view, sx, sy };
  });
  useEffect(
    () =>
      useLab.subscribe((s, prev) => {
        const { g, view, sx, sy } = live.current;
        if (s.focus === prev.focus || g.T === 0 || g.L === 0) return;
        const layer = clamp(s.focus.layer, 0, g.L - 1);
        const token = clamp(s.focus.token, 0, g.T - 1);
        if (local.current && local.current.layer === layer && local.current.token === token) return;
        const n = scrollToShow(g, token, layer, sx, sy, view);
        if (n.sx !== sx || n.sy !== sy) setScroll(n);
      }),
    [],
  );
  // After a key moved the focus: focus the (now rendered) cell; the keys scrolled already.
  useLayoutEffect(() => {
    if (!wantFocus.current) return;
    wantFocus.current = false;
    gridRef.current
      ?.querySelector<HTMLElement>(`button.map-cell[data-layer="${fl}"][data-token="${ft}"]`)
      ?.focus({ preventScroll: true });
  }, [fl, ft]);

  const tip = (text: string | null, e?: MouseEvent<HTMLElement>) => {
    const el = tipRef.current;
    if (!el) return;
    if (!text || !e) {
      el.hidden = true;
      return;
    }
    const r = el.parentElement!.getBoundingClientRect();
    el.textContent = text;
    el.hidden = false;
    el.style.transform = `translate(${Math.round(e.clientX - r.left + 12)}px, ${Math.round(e.clientY - r.top + 14)}px)`;
  };

  // The cell (and expert stripe) under the pointer: the button's own data where there is one,
  // else hit-tested on the painted grid. Null over the label row and column.
  const cellAt = (
    e: MouseEvent<HTMLElement>,
  ): { layer: number; token: number; dx: number } | null => {
    const target = e.target as HTMLElement;
    if (target.closest('.map-head, .map-layer')) return null;
    const r = gridRef.current?.getBoundingClientRect();
    const x = e.clientX - (r?.left ?? 0) - LABEL_W;
    const y = e.clientY - (r?.top ?? 0) - HEAD_H;
    const el = target.closest<HTMLElement>('[data-token][data-layer]');
    if (el) {
      const token = Number(el.dataset.token);
      return { layer: Number(el.dataset.layer), token, dx: x - token * g.pitchX };
    }
    return hitTest(x, y, g);
  };
  const onMove = (e: MouseEvent<HTMLDivElement>) => {
    const c = cellAt(e);
    if (!c) return tip(null);
    tip(
      tipText(
        modified.layers[c.layer],
        dense[c.layer],
        c.layer,
        c.token,
        tokens[c.token]?.text ?? '',
        g.cellW,
        c.dx,
      ),
      e,
    );
    const last = local.current;
    if (last && last.layer === c.layer && last.token === c.token) return;
    local.current = { layer: c.layer, token: c.token };
    hover({ layer: c.layer, token: c.token });
  };
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const c = cellAt(e);
    if (!c) return;
    local.current = { layer: c.layer, token: c.token };
    pin({ layer: c.layer, token: c.token });
  };

  const move = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = tokensPerPage(g, view);
    let layer = fl;
    let token = ft;
    switch (e.key) {
      case 'ArrowLeft':
        token--;
        break;
      case 'ArrowRight':
        token++;
        break;
      case 'ArrowUp':
        layer--;
        break;
      case 'ArrowDown':
        layer++;
        break;
      case 'Home':
        token = 0;
        if (e.ctrlKey || e.metaKey) layer = 0;
        break;
      case 'End':
        token = T - 1;
        if (e.ctrlKey || e.metaKey) layer = L - 1;
        break;
      case 'PageUp':
        token -= page;
        break;
      case 'PageDown':
        token += page;
        break;
      default:
        return;
    }
    e.preventDefault();
    layer = clamp(layer, 0, L - 1);
    token = clamp(token, 0, T - 1);
    local.current = { layer, token };
    wantFocus.current = true;
    pin({ layer, token });
    const s = scrollToShow(g, token, layer, sx, sy, view);
    if (s.sx !== sx || s.sy !== sy) scrollTo(s);
    // Already there (the edge of the grid): focus it now, no render will follow.
    if (layer === fl && token === ft)
      gridRef.current
        ?.querySelector<HTMLElement>(
          `button.map-cell[data-layer="${layer}"][data-token="${token}"]`,
        )
        ?.focus({ preventScroll: true });
  };

  const jump = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.type === 'pointermove' && e.buttons !== 1) return;
    const r = e.currentTarget.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return;
    const fx = clamp((e.clientX - r.left) / r.width, 0, 1);
    const fy = clamp((e.clientY - r.top) / r.height, 0, 1);
    scrollTo({ sx: fx * size.w - canvasW / 2, sy: fy * size.h - canvasH / 2 });
  };

  if (T === 0) {
    return (
      <Panel title="Routing map" testId="routing-map">
        <p className="placeholder">
          Type a prompt and press Enter to see which experts each token visits in each layer.
        </p>
      </Panel>
    );
  }

  const rows: number[] = [];
  for (let l = win.l0; l < win.l1; l++) rows.push(l);
  if (fl < win.l0 || fl >= win.l1) rows.push(fl);
  // Column labels for the visible tokens (also where the DOM window is narrowed by its cap).
  const heads = headerTokens(
    g,
    Math.min(win.t0, Math.floor(sx / g.pitchX)),
    Math.max(win.t1, Math.min(T, Math.ceil((sx + canvasW) / g.pitchX))),
  );
  return (
    <Panel title="Routing map" testId="routing-map">
      <div className="map-tools">
        <label>
          Colour by{' '}
          <select
            data-testid="map-colour-by"
            {...explain('map-colour')}
            value={colourBy}
            onChange={(e) => setColourBy(e.target.value as ColourBy)}
          >
            {COLOUR_BY.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <span className="map-zoom" role="group" aria-label="Zoom">
          tokens
          <button
            type="button"
            data-testid="map-zoom-out"
            {...explain('map-zoom-tokens')}
            aria-label="Zoom out on the token axis"
            disabled={zoomX === 0}
            onClick={() => zoomTokens(-1)}
          >
            −
          </button>
          <button
            type="button"
            data-testid="map-zoom-in"
            {...explain('map-zoom-tokens')}
            aria-label="Zoom in on the token axis"
            disabled={zoomX === ZOOM_X.length - 1}
            onClick={() => zoomTokens(1)}
          >
            +
          </button>
          layers
          <button
            type="button"
            data-testid="map-rows-out"
            {...explain('map-zoom-layers')}
            aria-label="Zoom out on the layer axis"
            disabled={zoomY === 0}
            onClick={() => zoomLayers(-1)}
          >
            −
          </button>
          <button
            type="button"
            data-testid="map-rows-in"
            {...explain('map-zoom-layers')}
            aria-label="Zoom in on the layer axis"
            disabled={zoomY === ZOOM_Y.length - 1}
            onClick={() => zoomLayers(1)}
          >
            +
          </button>
        </span>
        <ColourKey mode={colourBy} highlight={highlight} />
      </div>
      {showMinimap && (
        <canvas
          ref={miniRef}
          className="map-minimap"
          data-testid="map-minimap"
          role="img"
          aria-label={`Overview of all ${T} tokens × ${L} layers; click to jump`}
          style={{ width: '100%', height: minimapHeight(L) }}
          onPointerDown={jump}
          onPointerMove={jump}
        />
      )}
      <div className="map-frame">
        <div
          className="map-scroll"
          ref={scrollRef}
          onScroll={(e) => {
            shownScroll.current = { sx: e.currentTarget.scrollLeft, sy: e.currentTarget.scrollTop };
            setScroll(shownScroll.current);
          }}
        >
          <div
            className="map-grid"
            ref={gridRef}
            role="grid"
            aria-label="Experts chosen per layer and token"
            aria-rowcount={L + 1}
            aria-colcount={T + 1}
            onKeyDown={move}
            onMouseMove={onMove}
            onMouseOver={onMove}
            onMouseLeave={() => tip(null)}
            onClick={onClick}
            style={{ width: LABEL_W + size.w, height: HEAD_H + size.h }}
          >
            <div
              role="row"
              className="map-head"
              style={{ width: LABEL_W + size.w, height: HEAD_H }}
            >
              <span
                role="columnheader"
                className="map-corner"
                style={{ width: LABEL_W, height: HEAD_H }}
              >
                layer
              </span>
              {heads.map(({ t, span, text }) => (
                <span
                  role="columnheader"
                  key={t}
                  className={`map-token${t === ft ? ' is-focus' : ''}`}
                  title={`token ${t} (id ${tokens[t]?.id ?? '?'})`}
                  style={{
                    left: LABEL_W + t * g.pitchX,
                    width: span * g.pitchX - (g.pitchX - g.cellW),
                  }}
                >
                  {text ?? visibleToken(tokens[t]?.text ?? '')}
                </span>
              ))}
            </div>
            <canvas
              ref={canvasRef}
              className="map-canvas"
              aria-hidden="true"
              style={{
                top: HEAD_H,
                left: LABEL_W,
                marginLeft: LABEL_W,
                width: canvasW,
                height: canvasH,
              }}
            />
            {rows.map((l) => (
              <MapRow
                key={l}
                layer={l}
                ev={modified.layers[l]}
                skipped={!!modified.layers[l]?.skipped}
                dense={dense[l]}
                g={g}
                t0={win.t0}
                t1={win.t1}
                extra={l === fl && (ft < win.t0 || ft >= win.t1) ? ft : -1}
                focusToken={l === fl ? ft : -1}
                changed={changedByLayer.get(l) ?? ''}
                tokens={tokens}
              />
            ))}
          </div>
        </div>
        <div className="map-tip" ref={tipRef} data-testid="map-tooltip" aria-hidden="true" hidden />
      </div>
      {diff && (
        <p className="map-legend">
          Outlined cells changed against the unmodified run. Flipped per layer:{' '}
          {diff.layers.map((d) => `L${d.layer} ${(d.flipped * 100).toFixed(0)}%`).join(' · ')}
        </p>
      )}
    </Panel>
  );
}

let firstMapMarked = false;

const minimapHeight = (L: number) => clamp(L * 2, 16, 48);

/** Column headers of tokens [t0, t1): every token's text when a cell is wide enough, else its index every few tokens. */
function headerTokens(
  g: MapGeom,
  t0: number,
  t1: number,
): { t: number; span: number; text?: string }[] {
  const out: { t: number; span: number; text?: string }[] = [];
  if (g.pitchX >= 20) {
    for (let t = t0; t < t1; t++) out.push({ t, span: 1 });
    return out;
  }
  const step = Math.ceil(40 / g.pitchX);
  for (let t = Math.ceil(t0 / step) * step; t < t1; t += step)
    out.push({ t, span: step, text: String(t) });
  return out;
}

function ColourKey({ mode, highlight }: { mode: ColourBy; highlight: number | null }) {
  const swatch = (c: string) => <span className="map-swatch" style={{ background: c }} />;
  if (mode === 'focus')
    return (
      <span className="map-key" data-testid="map-key">
        {swatch(HIGHLIGHT)} {highlight === null ? 'no expert focused' : `expert ${highlight}`},{' '}
        {swatch(GREY_RAMP[2])}
        {swatch(GREY_RAMP[6])} the rest by gate
      </span>
    );
  if (mode === 'gate')
    return (
      <span className="map-key" data-testid="map-key">
        gate 0 {swatch(GATE_RAMP[0])}
        {swatch(GATE_RAMP[5])}
        {swatch(GATE_RAMP[11])} 1
      </span>
    );
  if (mode === 'rank')
    return (
      <span className="map-key" data-testid="map-key">
        most used {swatch(RANK_RAMP[0])}
        {swatch(RANK_RAMP[5])}
        {swatch(RANK_RAMP[11])} least used in the layer
      </span>
    );
  return null;
}

function cellLabel(
  l: number,
  t: number,
  text: string,
  dense: boolean,
  sel: number[],
  gates: number[] | undefined,
): string {
  if (dense) return `layer ${l}, token ${t} "${text}": dense MLP layer (no router, no experts)`;
  return `layer ${l}, token ${t} "${text}": experts ${sel.length ? sel.map((e, i) => `${e} (gate ${(gates?.[i] ?? 0).toFixed(2)})`).join(', ') : 'none'}`;
}

/** The tooltip: the cell, and the expert under the pointer. */
export function tipText(
  ev: LayerEvent | undefined,
  dense: boolean,
  l: number,
  t: number,
  text: string,
  cellW: number,
  dx: number,
): string {
  const head = `L${l} · token ${t} "${visibleToken(text)}"`;
  if (dense) return `${head}: dense MLP layer`;
  const sel = ev?.selected[t] ?? [];
  if (!ev) return `${head}: not computed yet`;
  if (!sel.length) return `${head}: no experts`;
  const gates = ev.gates[t] ?? [];
  const i =
    cellW / sel.length < 1.5
      ? sel.indexOf(topExpert(ev, t)!)
      : Math.max(0, stripeAt(dx, cellW, gates, sel.length));
  return `${head}: expert ${sel[i]} (gate ${(gates[i] ?? 0).toFixed(2)}) · all: ${sel.join(', ')}`;
}

interface RowProps {
  layer: number;
  ev: LayerEvent | undefined;
  skipped: boolean;
  /** a dense MLP layer: no router, so no experts per token */
  dense: boolean;
  g: MapGeom;
  /** the window's tokens [t0, t1), plus `extra` (the focused token when outside it; else −1) */
  t0: number;
  t1: number;
  extra: number;
  /** the focused token when this is the focused layer, else −1 */
  focusToken: number;
  /** flipped tokens of this layer, comma-separated */
  changed: string;
  tokens: { id: number; text: string }[];
}

/** One layer of the map: its label and the buttons of the window's cells. */
const MapRow = memo(function MapRow({
  layer: l,
  ev,
  skipped,
  dense,
  g,
  t0,
  t1,
  extra,
  focusToken,
  changed,
  tokens,
}: RowProps) {
  const flipped = useMemo(() => new Set(changed ? changed.split(',').map(Number) : []), [changed]);
  const ts: number[] = [];
  if (extra >= 0 && extra < t0) ts.push(extra);
  for (let t = t0; t < t1; t++) ts.push(t);
  if (extra >= t1) ts.push(extra);
  return (
    <div
      role="row"
      className={`map-row${dense ? ' is-dense' : ''}`}
      data-kind={dense ? 'dense' : undefined}
      aria-rowindex={l + 2}
      style={{ top: HEAD_H + l * g.pitchY, height: g.cellH, width: LABEL_W + g.T * g.pitchX }}
    >
      <span
        role="rowheader"
        className="map-layer"
        style={{
          width: LABEL_W,
          height: g.cellH,
          lineHeight: `${g.cellH}px`,
          fontSize: g.cellH < 12 ? Math.max(7, g.cellH) : undefined,
        }}
      >
        L{l}
        {skipped ? ' ⤼' : ''}
        {dense && (
          <span
            className="map-kind"
            data-testid="dense-row-label"
            title="dense MLP layer: no router, every token goes through the same MLP"
          >
            {' '}
            dense
          </span>
        )}
      </span>
      {ts.map((t) => {
        const sel = ev?.selected[t] ?? [];
        const cls = `map-cell${ev ? '' : ' is-pending'}${dense ? ' is-dense' : ''}${flipped.has(t) ? ' is-changed' : ''}${t === focusToken ? ' is-focus' : ''}`;
        return (
          <button
            key={t}
            type="button"
            role="gridcell"
            data-testid="routing-cell"
            {...explain('routing-cell')}
            data-token={t}
            data-layer={l}
            data-experts={sel.join(',')}
            aria-label={cellLabel(l, t, tokens[t]?.text ?? '', dense, sel, ev?.gates[t])}
            aria-colindex={t + 2}
            tabIndex={t === focusToken ? 0 : -1}
            className={cls}
            style={{ left: LABEL_W + t * g.pitchX, width: g.cellW, height: g.cellH }}
          />
        );
      })}
    </div>
  );
});
