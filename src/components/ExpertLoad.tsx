import {
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { scaleLinear, select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import { loadMetrics } from '../routing/metrics/load';
import { drawExpertBars } from './charts';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';
import { DenseNote, useLayerKind } from './DenseNote';
import { expertOrder, positionsOf } from '../routing/metrics/expertOrder';
import { bandAt, labelGap, thinTicks, toLocal } from './chartLayout';
import {
  colourModes,
  COLOUR_BY_LABEL,
  defaultColourBy,
  expertColor,
  FOCUS_COLOR,
  quantityColor,
  REST_COLOR,
  type ColourBy,
} from './colors';
import { ChartTip, type Tip } from './ChartTip';
import { explain } from './explain';
import type { Term } from './glossary';

const W = 320;
const H = 140;
const M = { top: 8, right: 8, bottom: 22, left: 32 };

const METRIC_HELP: [string, Term, (m: ReturnType<typeof loadMetrics>) => string][] = [
  ['CV', 'load-cv', (m) => m.cv.toFixed(3)],
  ['MaxVio', 'load-maxvio', (m) => m.maxVio.toFixed(3)],
  ['entropy', 'load-entropy', (m) => m.loadEntropy.toFixed(3)],
  ['dropped', 'load-dropped', (m) => `${(m.dropped * 100).toFixed(1)}%`],
  ['mean active', 'load-active', (m) => m.meanActive.toFixed(2)],
];

type LoadSort = 'id' | 'load';
const PAD = 0.15;

/** The hover text of one bar. */
export const loadTip = (e: number, count: number, ideal: number) =>
  `expert ${e}: ${count} tokens (ideal ${ideal.toFixed(1)})`;

/**
 * Tokens per expert in the focused layer, with the ideal (balanced) line and balance metrics. The
 * axis sorts by id or load, ids are thinned to stay ≥ ~10 px apart, the focused expert is outlined
 * and always labelled, and the bars colour by expert (≤ 12), load, or focused vs the rest.
 */
export function ExpertLoad() {
  const layer = useLab((s) => s.focus.layer);
  // (deferred: a streamed or refocused layer draws the map first, this view just after)
  const ev = useDeferredValue(useLab((s) => s.modified.layers[s.focus.layer]));
  const focused = useLab((s) => s.focus.expert);
  const hoverExpert = useLab((s) => s.hover);
  const pin = useLab((s) => s.pin);
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const dense = useLayerKind(layer) === 'dense';
  const m = useMemo(
    () => (ev && ev.kind !== 'dense' ? loadMetrics(ev.selected, ev.E) : null),
    [ev],
  );
  const E = m?.counts.length ?? 0;
  const [sort, setSort] = useState<LoadSort>('id');
  const [colourPick, setColourBy] = useState<ColourBy | null>(null);
  const colourBy =
    colourPick && colourModes(E).includes(colourPick) ? colourPick : defaultColourBy(E);
  const [tip, setTip] = useState<Tip | null>(null);
  const order = useMemo(() => (m ? expertOrder(sort, m.counts) : []), [m, sort]);
  const focusE = focused !== null && focused < E ? focused : null;
  const span = W - M.left - M.right;
  const labelSize = E > 32 ? 9 : 11;
  const ticks = useMemo(() => {
    const pos = positionsOf(order);
    return thinTicks(E, span, {
      minGap: labelGap(String(Math.max(0, E - 1)).length, labelSize),
      keep: focusE === null ? null : pos[focusE],
    }).map((p) => order[p]);
  }, [order, E, span, labelSize, focusE]);

  useEffect(() => {
    if (!visible || !m || !svgRef.current) return;
    const svg = select(svgRef.current);
    const yMax = Math.max(1, ...m.counts, m.ideal);
    const cMax = Math.max(1, ...m.counts);
    const fill = (e: number, v: number) =>
      colourBy === 'expert'
        ? expertColor(e, E)
        : colourBy === 'quantity'
          ? quantityColor(v / cMax)
          : e === focusE
            ? FOCUS_COLOR
            : REST_COLOR;
    const { y } = drawExpertBars(svg, m.counts, {
      W,
      H,
      M,
      yMax,
      yTicks: scaleLinear().domain([0, yMax]).ticks(3),
      data: { expert: (e) => e, count: (_, v) => v },
      order,
      fill,
      labels: ticks,
      labelSize,
      focused: focusE,
    });
    svg
      .selectAll('line.ideal')
      .data([m.ideal])
      .join('line')
      .attr('class', 'ideal')
      .attr('x1', M.left)
      .attr('x2', W - M.right)
      .attr('y1', (d) => y(d))
      .attr('y2', (d) => y(d))
      .attr('stroke', '#222')
      .attr('stroke-dasharray', '4 3');
  }, [visible, m, E, order, ticks, labelSize, focusE, colourBy]);

  /** the expert under a pointer x (the whole column height counts, so thin bars are easy to hit) */
  const expertAt = (e: MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const p = toLocal(e.clientX, e.clientY, r, W, H);
    const step = span / (E - PAD + 2 * PAD);
    const i = bandAt(p.x, M.left + PAD * step - (PAD * step) / 2, step, E);
    return { e: i === null ? null : order[i], x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onMove = (ev: MouseEvent<SVGSVGElement>) => {
    const { e, x, y } = expertAt(ev);
    if (e === null || !m) return setTip(null);
    setTip({ x, y, text: loadTip(e, m.counts[e], m.ideal) });
    hoverExpert({ expert: e });
  };
  const onKey = (ev: KeyboardEvent<SVGSVGElement>) => {
    if (!m || !E) return;
    const pos = positionsOf(order);
    const cur = focusE === null ? -1 : pos[focusE];
    const d =
      ev.key === 'ArrowRight'
        ? 1
        : ev.key === 'ArrowLeft'
          ? -1
          : ev.key === 'Home'
            ? -E
            : ev.key === 'End'
              ? E
              : 0;
    if (!d) return;
    ev.preventDefault();
    const e = order[Math.max(0, Math.min(E - 1, cur < 0 ? 0 : cur + d))];
    pin({ expert: e });
    const box = ev.currentTarget.getBoundingClientRect();
    const k = box.width ? box.width / W : 1;
    const step = span / (E - PAD + 2 * PAD);
    setTip({
      x: (M.left + (pos[e] + 1) * step) * k,
      y: (H / 3) * k,
      text: loadTip(e, m.counts[e], m.ideal),
    });
  };

  return (
    <Panel title={`Expert load — layer ${layer}`} testId="expert-load">
      {dense ? (
        <DenseNote layer={layer}>No expert load to count and no token is dropped.</DenseNote>
      ) : !m ? (
        <p className="placeholder">Tokens per expert in the focused layer.</p>
      ) : (
        <>
          <div className="chart-controls">
            <label>
              order{' '}
              <select
                data-testid="load-sort"
                {...explain('load-sort')}
                value={sort}
                onChange={(e) => setSort(e.target.value as LoadSort)}
              >
                <option value="id">by id</option>
                <option value="load">by load</option>
              </select>
            </label>
            <label>
              colour{' '}
              <select
                data-testid="load-colour"
                {...explain('load-colour')}
                value={colourBy}
                onChange={(e) => setColourBy(e.target.value as ColourBy)}
              >
                {colourModes(E).map((c) => (
                  <option key={c} value={c}>
                    {c === 'quantity' ? 'by load' : COLOUR_BY_LABEL[c]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="chart-wrap">
            <svg
              ref={svgRef}
              viewBox={`0 0 ${W} ${H}`}
              className="chart"
              role="img"
              tabIndex={0}
              {...explain('load-chart')}
              data-order={order.join(',')}
              data-focused={focusE ?? ''}
              aria-label={`tokens per expert in layer ${layer}: ${m.counts.join(', ')}; dashed line = ideal ${m.ideal.toFixed(2)}`}
              onMouseMove={onMove}
              onMouseLeave={() => setTip(null)}
              onClick={(ev) => {
                const { e } = expertAt(ev);
                if (e !== null) pin({ expert: e });
              }}
              onKeyDown={onKey}
              onBlur={() => setTip(null)}
            />
            <ChartTip tip={tip} />
          </div>
          <dl className="metrics">
            {METRIC_HELP.map(([name, term, fmt]) => (
              <div key={name} data-metric={name} {...explain(term)}>
                <dt>{name}</dt>
                <dd>{fmt(m)}</dd>
              </div>
            ))}
          </dl>
          <GeneratedLoad layer={layer} E={E} prefill={m} prefillTokens={ev?.T ?? 0} />
          <ExportButtons svg={svgRef} name={`expert-load-L${layer}`} />
        </>
      )}
    </Panel>
  );
}

/**
 * Generated tokens are routed apart from the prompt (decode-time routing can differ from
 * prefill's): their load in this layer, beside the prompt's bars above.
 */
function GeneratedLoad({
  layer,
  E,
  prefill,
  prefillTokens,
}: {
  layer: number;
  E: number;
  prefill: ReturnType<typeof loadMetrics>;
  prefillTokens: number;
}) {
  const generation = useLab((s) => s.generation);
  const gen = useMemo(() => {
    const sel = (generation?.tokens ?? [])
      .map((t) => t.experts?.[layer])
      .filter((x): x is number[] => Array.isArray(x) && x.length > 0);
    return sel.length ? { ...loadMetrics(sel, E), tokens: sel.length } : null;
  }, [generation, layer, E]);
  if (!gen) return null;
  const top = gen.counts
    .map((c, e) => [e, c] as const)
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 8);
  return (
    <p className="hint" data-testid="load-generated" {...explain('load-generated')}>
      Generated {gen.tokens} tokens (apart from the prompt&apos;s {prefillTokens}): busiest{' '}
      {top.map(([e, c]) => `${e}×${c}`).join(', ')}; MaxVio {gen.maxVio.toFixed(3)} vs prompt{' '}
      {prefill.maxVio.toFixed(3)}
    </p>
  );
}
