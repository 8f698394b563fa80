import {
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { interpolateBlues, select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import type { LayerEvent } from '../routing/run';
import type { TokenRouting } from '../routing/metrics/index';
import { emptyTokenRouting, tokenRoutingRows } from '../routing/metrics/routingFlat';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { CanvasExport } from './CanvasExport';
import { DenseNote } from './DenseNote';
import { useIncrementalLayers } from './useIncrementalLayers';
import {
  clampWindow,
  context2d,
  gridPixels,
  labelGap,
  sizeCanvas,
  thinTicks,
  toLocal,
  windowShowing,
  zoomWindow,
  type TokenWindow,
} from './chartLayout';
import { gridCellAt, gridHeight, gridLayout, paintGrid } from './gridPaint';
import { pixelsToImage } from './matrixPaint';
import { quantityColor, rampBytes } from './colors';
import { ChartTip, type Tip } from './ChartTip';
import { explain } from './explain';

const W = 320;
const ROW = 14;
const LEFT = 24;

type Measure = 'normalisedEntropy' | 'margin';

/** Up to this many grid cells (layers × tokens) the grid is SVG, one rect per cell; above, one canvas. */
export const SVG_MAX_CELLS = 1024;

const SOURCE =
  'Per-token routing entropy H(softmax(z)) and confidence max p, DESIGN.md §6 (the tokens a flat router is unsure about are the ones top-p routing gives more experts: Huang et al. 2024, “Harder Tasks Need More Experts: Dynamic Routing in MoE Models”)';

const mean = (xs: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return xs.length ? sum / xs.length : 0;
};
/** a layer's four table means, once per layer's numbers (the table re-renders on every hover) */
const meansCache = new WeakMap<TokenRouting, number[]>();
const layerMeans = (s: TokenRouting) => {
  let m = meansCache.get(s);
  if (!m)
    meansCache.set(s, (m = [s.entropy, s.normalisedEntropy, s.confidence, s.margin].map(mean)));
  return m;
};

const routingCache = new WeakMap<LayerEvent, TokenRouting>();
/** Layers part-way through a background computation: the numbers so far and the next token. */
const partial = new WeakMap<LayerEvent, { r: TokenRouting; next: number }>();
/** Tokens per chunk of a background computation (~1 ms at 256 experts). */
const CHUNK = 64;
/** Advance a layer's numbers a chunk of tokens at a time until `deadline`; true once cached. */
function stepRouting(ev: LayerEvent, deadline = Infinity): boolean {
  if (routingCache.has(ev)) return true;
  let p = partial.get(ev);
  if (!p) partial.set(ev, (p = { r: emptyTokenRouting(ev.T), next: 0 }));
  while (p.next < ev.T) {
    const to = Math.min(ev.T, p.next + CHUNK);
    tokenRoutingRows(ev.routerLogits, ev.E, p.next, to, p.r);
    p.next = to;
    if (performance.now() >= deadline) break;
  }
  if (p.next < ev.T) return false;
  routingCache.set(ev, p.r);
  partial.delete(ev);
  return true;
}
/** A layer event's per-token routing numbers, computed once per event (finishing a partial computation). */
function routingOf(ev: LayerEvent): TokenRouting {
  stepRouting(ev);
  return routingCache.get(ev)!;
}
const cachedRouting = (ev: LayerEvent) => routingCache.get(ev);

/** The tooltip of one cell: all four numbers of that token and layer. */
const cellTip = (s: TokenRouting, layer: number, token: number) =>
  `token ${token}, layer ${layer}: H = ${s.entropy[token].toFixed(3)} nats (${s.normalisedEntropy[token].toFixed(3)} of log E), top-1 p = ${s.confidence[token].toFixed(3)}, margin ${s.margin[token].toFixed(3)}`;

interface Cell {
  layer: number;
  token: number;
  v: number;
}

/**
 * Router uncertainty per token and layer: entropy of the router softmax (nats and / log E), the
 * top-1 probability and its margin over the runner-up, as a layers × tokens grid plus the focused
 * token's numbers and per-layer means (the same numbers as `moe-lab analyze --metrics entropy`).
 */
export function EntropyView() {
  const imported = useLab((s) => s.imported);
  // (deferred: streamed layers draw the map first, this view just after)
  const layers = useDeferredValue(useLab((s) => s.modified.layers));
  const tokens = useLab((s) => s.modified.summary?.tokens);
  const focus = useLab((s) => s.focus);
  const pin = useLab((s) => s.pin);
  const hover = useLab((s) => s.hover);
  const [measure, setMeasure] = useState<Measure>('normalisedEntropy');
  const svgRef = useRef<SVGSVGElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const visible = useInView(wrapRef);
  const builtShape = useRef('');
  const cellEls = useRef(new Map<string, SVGRectElement>());
  const statsRef = useRef<(TokenRouting | undefined)[]>([]);
  const coloured = useRef<{ shape: string; measure: Measure; stats: (TokenRouting | undefined)[] }>(
    { shape: '', measure, stats: [] },
  );
  // Per layer index (sparse while the pass streams in); each layer's numbers computed once per
  // event: the focused layer at once, the rest in short slices while the view is on screen.
  // Dense layers have no router: no row of numbers (their grid row is labelled "dense").
  const stats = useIncrementalLayers(layers, cachedRouting, routingOf, {
    enabled: visible,
    first: focus.layer,
    step: stepRouting,
  });
  const T = layers.find(Boolean)?.T ?? 0;
  const L = layers.length;
  const useSvg = L * T <= SVG_MAX_CELLS;
  // per layer: m (MoE, arrived), d (dense), _ (not arrived yet)
  // (Array.from, not map: the streamed array has holes where layers have not arrived)
  const denseKey = Array.from(layers, (ev) => (!ev ? '_' : ev.kind === 'dense' ? 'd' : 'm')).join(
    '',
  );

  useEffect(() => {
    statsRef.current = stats;
    if (!useSvg || !visible || !svgRef.current) return;
    const cells: Cell[] = [];
    stats.forEach((s, l) => s?.[measure].forEach((v, t) => cells.push({ layer: l, token: t, v })));
    const w = T ? (W - LEFT) / T : 0;
    const svg = select(svgRef.current);
    svg
      .selectAll<SVGTextElement, number>('text.row-label')
      .data(
        Array.from({ length: L }, (_, l) => l),
        (l) => l,
      )
      .join('text')
      .attr('class', 'row-label')
      .attr('x', LEFT - 4)
      .attr('y', (l) => l * ROW + ROW - 4)
      .attr('text-anchor', 'end')
      .attr('font-size', 9)
      .text((l) => `L${l}`);
    // A dense row says so across the grid instead of staying blank.
    const denseRows = Array.from(denseKey, (k, l) => (k === 'd' ? l : -1)).filter((l) => l >= 0);
    svg
      .selectAll<SVGTextElement, number>('text.dense-row')
      .data(denseRows, (l) => l)
      .join('text')
      .attr('class', 'dense-row')
      .attr('data-layer', (l) => l)
      .attr('x', LEFT + 2)
      .attr('y', (l) => l * ROW + ROW - 4)
      .attr('font-size', 9)
      .attr('font-style', 'italic')
      .attr('fill', '#5d6470')
      .text('dense MLP layer (no router)');
    // One rect per (MoE layer, token), built when that set or the width changes; a run only
    // recolours them in a plain loop. A cell's tooltip is written when the pointer reaches it.
    const shape = `${T}:${denseKey}:${w}`;
    if (builtShape.current !== shape || cellEls.current.size !== cells.length) {
      builtShape.current = shape;
      svg
        .selectAll<SVGRectElement, Cell>('rect.ent-cell')
        .data(cells, (d) => `${d.layer}:${d.token}`)
        .join('rect')
        .attr('class', 'ent-cell')
        .attr('data-layer', (d) => d.layer)
        .attr('data-token', (d) => d.token)
        .attr('x', (d) => LEFT + d.token * w)
        .attr('y', (d) => d.layer * ROW)
        .attr('width', Math.max(0.5, w - (w > 3 ? 1 : 0)))
        .attr('height', ROW - 2)
        .on('mouseenter', function (_, d) {
          const st = statsRef.current[d.layer];
          if (st)
            select(this)
              .selectAll('title')
              .data([0])
              .join('title')
              .text(cellTip(st, d.layer, d.token));
          hover({ token: d.token, layer: d.layer });
        })
        .on('click', (_, d) => pin({ token: d.token, layer: d.layer }));
      cellEls.current = new Map(
        svg
          .selectAll<SVGRectElement, Cell>('rect.ent-cell')
          .nodes()
          .map((el) => [`${el.dataset.layer}:${el.dataset.token}`, el]),
      );
    }
    // Recolour the rows whose layer changed since the last draw (all after a rebuild or a new measure).
    const prev = coloured.current;
    const all = prev.shape !== shape || prev.measure !== measure;
    coloured.current = { shape, measure, stats: [...stats] };
    cells.forEach((d) => {
      if (!all && prev.stats[d.layer] === stats[d.layer]) return;
      const el = cellEls.current.get(`${d.layer}:${d.token}`);
      if (!el) return;
      el.setAttribute('fill', interpolateBlues(0.1 + 0.9 * d.v));
      el.setAttribute('data-v', d.v.toFixed(4));
      el.querySelector('title')?.remove(); // written afresh on the next hover
    });
    svg.select('rect.ent-focus').raise();
  }, [useSvg, visible, stats, measure, T, L, denseKey, hover, pin]);

  // The focus outline is its own cheap update: moving the focus does not rejoin the grid.
  useEffect(() => {
    if (!useSvg || !svgRef.current) return;
    const w = T ? (W - LEFT) / T : 0;
    select(svgRef.current)
      .selectAll<SVGRectElement, number>('rect.ent-focus')
      .data(T && focus.layer < L && focus.token < T ? [0] : [])
      .join('rect')
      .attr('class', 'ent-focus')
      .attr('x', LEFT + focus.token * w)
      .attr('y', focus.layer * ROW)
      .attr('width', Math.max(1, w - (w > 3 ? 1 : 0)))
      .attr('height', ROW - 2)
      .attr('fill', 'none')
      .attr('stroke', '#d62728')
      .attr('stroke-width', 1.5)
      .attr('pointer-events', 'none')
      .raise();
  }, [useSvg, T, L, focus.layer, focus.token]);

  const cur = stats[focus.layer];
  const t = focus.token;
  const tokenText = tokens?.[t]?.text;

  return (
    <Panel
      title="Routing entropy and confidence"
      testId="entropy-view"
      disabled={disabledReason(imported, 'logits')}
    >
      {T === 0 ? (
        <p className="placeholder">How sure the router is, per token and layer, after a run.</p>
      ) : (
        <>
          <p className="hint" title={SOURCE}>
            Router uncertainty per token (columns) and layer (rows); darker ={' '}
            {measure === 'margin' ? 'larger top-1 margin (surer)' : 'higher entropy (less sure)'}.{' '}
            <label>
              colour by{' '}
              <select
                data-testid="entropy-measure"
                {...explain('entropy-measure')}
                value={measure}
                onChange={(e) => setMeasure(e.target.value as Measure)}
              >
                <option value="normalisedEntropy">entropy / log E</option>
                <option value="margin">top-1 margin</option>
              </select>
            </label>
          </p>
          <div ref={wrapRef} className="chart-wrap">
            {useSvg ? (
              <svg
                ref={svgRef}
                viewBox={`0 0 ${W} ${L * ROW}`}
                className="chart"
                role="img"
                aria-label={`routing ${measure === 'margin' ? 'top-1 margin' : 'entropy'} per token and layer`}
              />
            ) : (
              <EntropyCanvas
                stats={stats}
                layers={layers}
                measure={measure}
                T={T}
                visible={visible}
              />
            )}
          </div>
          {layers[focus.layer]?.kind === 'dense' && (
            <DenseNote layer={focus.layer}>No router entropy or confidence.</DenseNote>
          )}
          {cur && t < cur.entropy.length && (
            <p className="stat" data-testid="entropy-token" {...explain('entropy-stat')}>
              token {t}
              {tokenText !== undefined && <> “{tokenText}”</>}, layer {focus.layer}: H ={' '}
              <strong data-testid="entropy-h">{cur.entropy[t].toFixed(3)}</strong> nats (
              <strong data-testid="entropy-hnorm">{cur.normalisedEntropy[t].toFixed(3)}</strong> of
              log E), top-1 p{' '}
              <strong data-testid="entropy-conf">{cur.confidence[t].toFixed(3)}</strong>, margin{' '}
              <strong data-testid="entropy-margin">{cur.margin[t].toFixed(3)}</strong>
            </p>
          )}
          <table className="align-table" data-testid="entropy-table">
            <thead>
              <tr>
                <th>layer</th>
                <th {...explain('entropy-H')}>H</th>
                <th {...explain('entropy-Hnorm')}>H / log E</th>
                <th {...explain('entropy-top1')}>top-1 p</th>
                <th {...explain('entropy-margin')}>margin</th>
              </tr>
            </thead>
            <tbody>
              {stats.map((s, l) =>
                layers[l]?.kind === 'dense' ? (
                  <tr key={l} data-layer={l} data-kind="dense">
                    <td>L{l}</td>
                    <td colSpan={4}>dense (no router)</td>
                  </tr>
                ) : s ? (
                  <tr key={l} data-layer={l}>
                    <td>L{l}</td>
                    {layerMeans(s).map((x, i) => (
                      <td key={i}>{x.toFixed(3)}</td>
                    ))}
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
          {useSvg && <ExportButtons svg={svgRef} name="routing-entropy" />}
        </>
      )}
    </Panel>
  );
}

const BLUES = rampBytes(quantityColor);

/**
 * The layers × tokens grid on one canvas (long texts, deep models): a token window that zooms and
 * pans (buttons, slider, Ctrl/⌘ + wheel), columns averaged when the window holds more tokens than
 * pixels, hover for one cell's numbers, click and arrow keys to move the focus.
 */
function EntropyCanvas({
  stats,
  layers,
  measure,
  T,
  visible,
}: {
  stats: (TokenRouting | undefined)[];
  layers: (LayerEvent | undefined)[];
  measure: Measure;
  T: number;
  visible: boolean;
}) {
  const focus = useLab((s) => s.focus);
  const pin = useLab((s) => s.pin);
  const hover = useLab((s) => s.hover);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // null: all tokens (also after a new run of another length)
  const [winPick, setWin] = useState<TokenWindow | null>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const L = layers.length;
  const g = useMemo(() => gridLayout(L, W, LEFT), [L]);
  const H = gridHeight(g);
  const plot = W - LEFT;
  // The window follows the focused token when it moves (a click in the map may land outside it);
  // panning away from it afterwards is allowed.
  const [seenToken, setSeenToken] = useState(focus.token);
  if (seenToken !== focus.token) {
    setSeenToken(focus.token);
    if (winPick) setWin(windowShowing(clampWindow(winPick, T), T, Math.min(T - 1, focus.token)));
  }
  const win = clampWindow(winPick ?? { start: 0, size: T }, T);
  const rows = Array.from({ length: L }, (_, l) =>
    layers[l]?.kind === 'dense' ? 'd' : stats[l] ? 'm' : '_',
  ).join('');
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  const bins = Math.max(1, Math.min(win.size, Math.floor(plot * dpr)));
  const image = useMemo(() => {
    if (!visible) return null;
    const px = gridPixels(L, win, bins, (l, t) => stats[l]?.[measure][t] ?? NaN, BLUES);
    return pixelsToImage(px, bins, L);
  }, [visible, stats, measure, L, win, bins]);
  const layerTicks = useMemo(
    () => thinTicks(L, L * g.rowH, { minGap: 10, keep: focus.layer < L ? focus.layer : null }),
    [L, g, focus.layer],
  );
  const tokenTicks = useMemo(
    () =>
      thinTicks(win.size, plot, { minGap: labelGap(String(T).length, 8) }).map(
        (p) => win.start + p,
      ),
    [win, plot, T],
  );

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!visible || !canvas) return;
    const ratio = sizeCanvas(canvas, W, H);
    const ctx = context2d(canvas);
    if (!ctx) return;
    paintGrid(
      ctx,
      {
        g,
        win,
        image,
        rows,
        layerTicks,
        tokenTicks,
        focus: { layer: focus.layer, token: focus.token },
      },
      ratio,
    );
  }, [visible, g, H, win, image, rows, layerTicks, tokenTicks, focus.layer, focus.token]);

  const cellAt = (e: MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const p = toLocal(e.clientX, e.clientY, r, W, H);
    return { cell: gridCellAt(g, win, p.x, p.y), x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const tipText = (layer: number, token: number) => {
    const st = stats[layer];
    if (layers[layer]?.kind === 'dense') return `layer ${layer}: dense MLP layer (no router)`;
    return st ? cellTip(st, layer, token) : `token ${token}, layer ${layer}: computing…`;
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const { cell, x, y } = cellAt(e);
    if (!cell) return setTip(null);
    setTip({ x, y, text: tipText(cell.layer, cell.token) });
    hover({ token: cell.token, layer: cell.layer });
  };
  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const mv: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      PageUp: [0, -win.size],
      PageDown: [0, win.size],
    };
    if (!mv[e.key]) return;
    e.preventDefault();
    const layer = Math.max(0, Math.min(L - 1, focus.layer + mv[e.key][0]));
    const token = Math.max(0, Math.min(T - 1, focus.token + mv[e.key][1]));
    pin({ layer, token });
    setWin(windowShowing(win, T, token));
    const box = e.currentTarget.getBoundingClientRect();
    const k = box.width ? box.width / W : 1;
    setTip({
      x: (LEFT + ((token - win.start + 1) * plot) / win.size) * k,
      y: (layer + 1) * g.rowH * k,
      text: tipText(layer, token),
    });
  };
  const zoom = (f: number) => setWin(zoomWindow(win, T, f, Math.min(T - 1, focus.token)));
  // Ctrl/⌘ + wheel zooms around the pointer's token (a plain wheel still scrolls the page).
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      const p = toLocal(e.clientX, e.clientY, r, W, H);
      const at = win.start + ((p.x - LEFT) / plot) * win.size;
      setWin(zoomWindow(win, T, e.deltaY > 0 ? 1.25 : 0.8, at));
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, [win, T, H, plot]);

  return (
    <>
      <div className="chart-controls" data-testid="entropy-window">
        <span>
          tokens {win.start}–{win.start + win.size - 1} of {T}
        </span>
        <button
          type="button"
          data-testid="entropy-zoom-in"
          disabled={win.size <= Math.min(T, 8)}
          onClick={() => zoom(0.5)}
          {...explain('entropy-zoom')}
        >
          +
        </button>
        <button
          type="button"
          data-testid="entropy-zoom-out"
          disabled={win.size >= T}
          onClick={() => zoom(2)}
          {...explain('entropy-zoom')}
        >
          −
        </button>
        <button
          type="button"
          data-testid="entropy-zoom-all"
          disabled={win.size >= T}
          onClick={() => setWin(null)}
          {...explain('entropy-zoom')}
        >
          all
        </button>
        {win.size < T && (
          <input
            type="range"
            data-testid="entropy-pan"
            {...explain('entropy-pan')}
            aria-label="pan the token window"
            min={0}
            max={T - win.size}
            value={win.start}
            onChange={(e) => setWin({ start: Number(e.target.value), size: win.size })}
          />
        )}
      </div>
      <canvas
        ref={canvasRef}
        className="chart entropy-canvas"
        data-testid="entropy-canvas"
        data-layers={L}
        data-tokens={T}
        data-window={`${win.start}:${win.size}`}
        data-layer-ticks={layerTicks.join(',')}
        style={{ aspectRatio: `${W} / ${H}` }}
        tabIndex={0}
        {...explain('entropy-grid')}
        role="img"
        aria-label={`routing ${measure === 'margin' ? 'top-1 margin' : 'entropy'} per token and layer: ${L} layers × tokens ${win.start}–${win.start + win.size - 1}; arrow keys move the focused cell`}
        onMouseMove={onMove}
        onMouseLeave={() => setTip(null)}
        onClick={(e) => {
          const { cell } = cellAt(e);
          if (cell) pin({ token: cell.token, layer: cell.layer });
        }}
        onKeyDown={onKey}
        onBlur={() => setTip(null)}
      />
      <ChartTip tip={tip} />
      <CanvasExport
        canvas={canvasRef}
        name="routing-entropy"
        csv={() =>
          stats
            .map((s, l) => `L${l},${s ? s[measure].map((v) => v.toFixed(4)).join(',') : ''}`)
            .join('\n')
        }
      />
    </>
  );
}
