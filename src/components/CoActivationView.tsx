import {
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import type { LayerEvent } from '../routing/run';
import {
  coActivationCounts,
  expertOrder,
  positionsOf,
  type ExpertSort,
} from '../routing/metrics/expertOrder';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';
import { CanvasExport } from './CanvasExport';
import { drawExpertMatrix } from './charts';
import { DenseNote, useLayerKind } from './DenseNote';
import {
  focusQuantityColor,
  quantityColor,
  rampBytes,
  restQuantityColor,
  rgbBytes,
} from './colors';
import {
  context2d,
  labelGap,
  matrixCellAt,
  matrixLayout,
  matrixPixels,
  rampAt,
  sizeCanvas,
  thinTicks,
  toLocal,
} from './chartLayout';
import { paintMatrix, pixelsToImage } from './matrixPaint';
import { ChartTip, type Tip } from './ChartTip';
import { explain } from './explain';

/** Up to this many experts the matrix is SVG (one rect per cell, exportable as SVG); above, one canvas. */
export const SVG_MAX_EXPERTS = 16;
const S = 220;
const MARGIN = 22;
/** the canvas matrix: logical size and margin (room for three-digit ids) */
const CS = 340;
const CMARGIN = 30;
const CFONT = 9;

type Colouring = 'quantity' | 'focus';

interface CoAct {
  E: number;
  /** flat [E × E] counts, diagonal = load */
  counts: Uint32Array;
  load: number[];
  /** the largest off-diagonal count (≥ 1): the top of the colour scale */
  offMax: number;
  T: number;
}

const cache = new WeakMap<LayerEvent, CoAct>();
/** A layer event's co-activation counts, computed once per event (T·k² increments). */
function coActOf(ev: LayerEvent): CoAct {
  let c = cache.get(ev);
  if (!c) {
    const E = ev.E;
    const counts = coActivationCounts(ev.selected, E);
    let offMax = 1;
    for (let i = 0; i < E; i++)
      for (let j = 0; j < E; j++)
        if (i !== j && counts[i * E + j] > offMax) offMax = counts[i * E + j];
    c = {
      E,
      counts,
      load: Array.from({ length: E }, (_, e) => counts[e * E + e]),
      offMax,
      T: ev.T,
    };
    cache.set(ev, c);
  }
  return c;
}

/** The tooltip of cell (i, j). */
export function coActTip(c: CoAct, i: number, j: number): string {
  const v = c.counts[i * c.E + j];
  if (i === j) return `expert ${i}: ${v}/${c.T} tokens chose it (its load)`;
  const share = (e: number) =>
    c.load[e]
      ? `${Math.round((100 * v) / c.load[e])}% of expert ${e}'s`
      : `expert ${e} never chosen`;
  return `expert ${i} & expert ${j}: ${v}/${c.T} tokens chose both (${share(i)}, ${share(j)})`;
}

const BLUES = rampBytes(quantityColor);
const REDS = rampBytes(focusQuantityColor);
const GREYS = rampBytes(restQuantityColor);
const DIAG = rgbBytes('#ddd');
const DIAG_FOCUS = rgbBytes('#f2b8b8');

/** Expert co-activation in the focused layer: cell (i, j) = tokens that chose both i and j. */
export function CoActivationView() {
  const layer = useLab((s) => s.focus.layer);
  // (deferred: a streamed or refocused layer draws the map first, this view just after)
  const ev = useDeferredValue(useLab((s) => s.modified.layers[s.focus.layer]));
  const focused = useLab((s) => s.focus.expert);
  const hover = useLab((s) => s.hover);
  const pin = useLab((s) => s.pin);
  const wrapRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const visible = useInView(wrapRef);
  const dense = useLayerKind(layer) === 'dense';
  const [sort, setSort] = useState<ExpertSort>('id');
  const [colouring, setColouring] = useState<Colouring>('quantity');
  const [tip, setTip] = useState<Tip | null>(null);
  const [cursor, setCursor] = useState<{ row: number; col: number } | null>(null);
  // Counted only while on screen (or already counted for this event).
  const m = useMemo(
    () => (ev && ev.kind !== 'dense' && (visible || cache.has(ev)) ? coActOf(ev) : null),
    [ev, visible],
  );
  const E = m?.E ?? 0;
  const order = useMemo(() => (m ? expertOrder(sort, m.load, m.counts) : []), [m, sort]);
  const pos = useMemo(() => positionsOf(order), [order]);
  const focusE = focused !== null && focused < E ? focused : null;
  const focusPos = focusE === null ? null : pos[focusE];
  const big = E > SVG_MAX_EXPERTS;
  const layout = useMemo(
    () => (big ? matrixLayout(E, CS, CMARGIN) : matrixLayout(E, S, MARGIN)),
    [big, E],
  );
  // Thinned ticks: rows need ~10 px, columns the width of the longest id.
  const ticks = useMemo(
    () =>
      thinTicks(E, layout.size - layout.margin, {
        minGap: labelGap(String(Math.max(0, E - 1)).length, big ? CFONT : E > 16 ? 7 : 10),
        keep: focusPos,
      }),
    [E, layout, big, focusPos],
  );

  /** colour of cell (i, j) with count v as RGB bytes */
  const cellBytes = useMemo(() => {
    if (!m) return null;
    return (i: number, j: number, v: number) => {
      const inFocus = colouring === 'focus' && focusE !== null && (i === focusE || j === focusE);
      if (i === j) return inFocus ? DIAG_FOCUS : DIAG;
      const t = v / m.offMax;
      return rampAt(colouring === 'quantity' ? BLUES : inFocus ? REDS : GREYS, t);
    };
  }, [m, colouring, focusE]);

  // SVG: one rect per cell (≤ 16 experts).
  useEffect(() => {
    if (big || !visible || !m || !cellBytes || !svgRef.current) return;
    const rows = Array.from({ length: E }, (_, i) =>
      Array.from(m.counts.subarray(i * E, (i + 1) * E)),
    );
    const css = (b: ArrayLike<number>) => `rgb(${b[0]}, ${b[1]}, ${b[2]})`;
    drawExpertMatrix(select(svgRef.current), rows, {
      size: S,
      margin: MARGIN,
      order,
      labels: ticks.map((p) => order[p]),
      focused: focusE,
      fill: (d) => css(cellBytes(d.i, d.j, d.v)),
    });
  }, [big, visible, m, E, order, ticks, focusE, cellBytes]);

  // Canvas: the cells as one image, rebuilt when the counts, order or colours change.
  const image = useMemo(
    () =>
      big && m && cellBytes
        ? pixelsToImage(matrixPixels(m.counts, E, order, cellBytes), E, E)
        : null,
    [big, m, E, order, cellBytes],
  );
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!big || !visible || !canvas) return;
    const dpr = sizeCanvas(canvas, CS, CS);
    const ctx = context2d(canvas);
    if (!ctx) return;
    paintMatrix(ctx, { layout, image, order, ticks, focusPos, cursor, fontPx: CFONT }, dpr);
  }, [big, visible, layout, image, order, ticks, focusPos, cursor]);

  /** the cell at axis positions (row, col): tooltip and hover */
  const show = (row: number, col: number, x: number, y: number) => {
    if (!m) return;
    const i = order[row];
    const j = order[col];
    setTip({ x, y, text: coActTip(m, i, j) });
    hover({ expert: i });
  };
  const at = (e: MouseEvent<Element>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const p = toLocal(e.clientX, e.clientY, r, big ? CS : S + 4, big ? CS : S + 4);
    return { cell: matrixCellAt(layout, p.x, p.y), x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onMove = (e: MouseEvent<Element>) => {
    const { cell, x, y } = at(e);
    if (cell) show(cell.row, cell.col, x, y);
    else setTip(null);
  };
  const onClick = (e: MouseEvent<Element>) => {
    const { cell } = at(e);
    if (cell) pin({ expert: order[cell.row] });
  };
  const onKey = (e: KeyboardEvent<Element>) => {
    if (!E) return;
    const c = cursor ?? { row: focusPos ?? 0, col: focusPos ?? 0 };
    const step = e.shiftKey ? Math.max(1, Math.round(E / 16)) : 1;
    const mv: Record<string, [number, number]> = {
      ArrowUp: [-step, 0],
      ArrowDown: [step, 0],
      ArrowLeft: [0, -step],
      ArrowRight: [0, step],
    };
    if (mv[e.key]) {
      e.preventDefault();
      const n = {
        row: Math.max(0, Math.min(E - 1, c.row + mv[e.key][0])),
        col: Math.max(0, Math.min(E - 1, c.col + mv[e.key][1])),
      };
      setCursor(n);
      const box = (e.currentTarget as Element).getBoundingClientRect();
      const k = box.width ? box.width / layout.size : 1;
      show(
        n.row,
        n.col,
        (layout.margin + (n.col + 1) * layout.cell) * k,
        (layout.margin + (n.row + 0.5) * layout.cell) * k,
      );
    } else if ((e.key === 'Enter' || e.key === ' ') && cursor) {
      e.preventDefault();
      pin({ expert: order[cursor.row] });
    } else if (e.key === 'Escape') {
      setCursor(null);
      setTip(null);
    }
  };
  const figureProps = {
    tabIndex: 0,
    ...explain('coact-matrix'),
    onMouseMove: onMove,
    onMouseLeave: () => setTip(null),
    onClick,
    onKeyDown: onKey,
    onBlur: () => {
      setCursor(null);
      setTip(null);
    },
    'data-order': order.join(','),
    'data-ticks': ticks.map((p) => order[p]).join(','),
    'data-focused': focusE ?? '',
  };

  return (
    <Panel title={`Co-activation — layer ${layer}`} testId="coactivation-view">
      {dense ? (
        <DenseNote layer={layer}>No experts to fire together.</DenseNote>
      ) : !ev ? (
        <p className="placeholder">Which experts fire together on the same token.</p>
      ) : (
        <>
          <div className="chart-controls">
            <label>
              order{' '}
              <select
                data-testid="coact-sort"
                {...explain('coact-sort')}
                value={sort}
                onChange={(e) => setSort(e.target.value as ExpertSort)}
              >
                <option value="id">by id</option>
                <option value="load">by load</option>
                <option value="cluster">by co-activation cluster</option>
              </select>
            </label>
            <label>
              colour{' '}
              <select
                data-testid="coact-colour"
                {...explain('coact-colour')}
                value={colouring}
                onChange={(e) => setColouring(e.target.value as Colouring)}
              >
                <option value="quantity">by count</option>
                <option value="focus">focused expert vs the rest</option>
              </select>
            </label>
          </div>
          <div ref={wrapRef} className="chart-wrap">
            {big ? (
              <canvas
                ref={canvasRef}
                className="chart square coact-canvas"
                data-testid="coact-canvas"
                data-experts={E}
                role="img"
                aria-label={`expert co-activation matrix of layer ${layer}, ${E} experts ordered ${sort === 'id' ? 'by id' : sort === 'load' ? 'by load' : 'by co-activation cluster'}${focusE !== null ? `, expert ${focusE} focused` : ''}; arrow keys move a cell cursor, Enter focuses its row's expert`}
                {...figureProps}
              />
            ) : (
              <svg
                ref={svgRef}
                viewBox={`0 0 ${S + 4} ${S + 4}`}
                className="chart square"
                role="img"
                aria-label={`expert co-activation matrix of layer ${layer}`}
                {...figureProps}
              />
            )}
            <ChartTip tip={tip} />
          </div>
          <p className="hint" {...explain('coact-matrix')}>
            Tokens that chose both experts (diagonal: load)
            {colouring === 'focus' ? '; red: the focused expert’s row and column' : ''}. Hover names
            the pair, a click focuses the row’s expert.
          </p>
          {big ? (
            <CanvasExport
              canvas={canvasRef}
              name={`coactivation-L${layer}`}
              csv={() => (m ? matrixCsv(m) : '')}
            />
          ) : (
            <ExportButtons svg={svgRef} name={`coactivation-L${layer}`} />
          )}
        </>
      )}
    </Panel>
  );
}

/** The counts as CSV, a header row of expert ids. */
function matrixCsv(m: CoAct): string {
  const ids = Array.from({ length: m.E }, (_, e) => e);
  return [
    `expert,${ids.join(',')}`,
    ...ids.map((i) => `${i},${Array.from(m.counts.subarray(i * m.E, (i + 1) * m.E)).join(',')}`),
  ].join('\n');
}
