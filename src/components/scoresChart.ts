// The router-scores figure: one bar per drawn expert (all of them, or the top-m of one token) in
// the given order, the unmodified run's probabilities as one dashed outline path, thinned id labels.
// Kept apart from charts.ts: that one labels every expert, this one must stay small at E = 256.
import { scaleBand, scaleLinear, type Selection } from 'd3';
import { expertColor } from './colors';
import { drawYLabels } from './charts';

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

export const SCORE_COLOURS = { selected: '#2f5bd3', rest: '#7d8597', focus: '#e15759' };

export interface ScoreBarsOptions {
  W: number;
  H: number;
  M: { top: number; right: number; bottom: number; left: number };
  /** experts to draw, left to right */
  ids: number[];
  /** experts in the layer (colours: one per expert up to 10, else selected vs rest) */
  E: number;
  p: (e: number) => number;
  /** the unmodified run's probability, or null when there is none */
  before: ((e: number) => number) | null;
  /** positions in `ids` that get an id label */
  labelAt: number[];
  /** top of the y axis (1, or a round number above the largest p drawn) */
  yMax: number;
  /** alternate the id labels over two rows (long ids under narrow bars) */
  stagger: boolean;
  selected: ReadonlySet<number>;
  focus: number | null;
  intervened: ReadonlySet<number>;
  onHover?: (e: number | null) => void;
  onClick?: (e: number) => void;
}

export function drawScoreBars(svg: Svg, o: ScoreBarsOptions) {
  const x = scaleBand<number>().domain(o.ids).range([o.M.left, o.W - o.M.right]).padding(o.ids.length > 64 ? 0.05 : 0.15);
  const y = scaleLinear().domain([0, o.yMax]).range([o.H - o.M.bottom, o.M.top]).clamp(true);
  const fill = (e: number) => (o.E <= 10 ? expertColor(e, o.E) : o.selected.has(e) ? SCORE_COLOURS.selected : SCORE_COLOURS.rest);
  const bars = svg
    .selectAll<SVGRectElement, number>('rect.bar')
    .data(o.ids, (e) => e)
    .join('rect')
    .attr('class', (e) => `bar${o.selected.has(e) ? ' is-selected' : ''}${e === o.focus ? ' is-focus' : ''}`)
    .attr('x', (e) => x(e)!)
    .attr('width', x.bandwidth())
    .attr('y', (e) => y(o.p(e)))
    .attr('height', (e) => y(0) - y(o.p(e)))
    .attr('fill', fill)
    .attr('stroke', (e) => (e === o.focus ? SCORE_COLOURS.focus : o.intervened.has(e) ? '#222' : null))
    .attr('stroke-width', (e) => (e === o.focus ? 2 : o.intervened.has(e) ? 1 : null))
    .attr('opacity', (e) => (o.selected.has(e) ? 1 : 0.35))
    .attr('data-expert', (e) => e)
    .attr('data-p', (e) => o.p(e).toFixed(4))
    .attr('data-intervened', (e) => (o.intervened.has(e) ? 'true' : null))
    .style('cursor', () => (o.onClick ? 'pointer' : null));
  if (o.onHover) {
    const hover = o.onHover;
    bars.on('mouseenter', (_, e) => hover(e));
    svg.on('mouseleave', () => hover(null));
  }
  if (o.onClick) {
    const click = o.onClick;
    bars.on('click', (_, e) => click(e));
  }
  // The unmodified run as one dashed path of open boxes (one element whatever E is).
  const d = o.before
    ? o.ids
        .map((e) => {
          const x0 = x(e)!;
          const x1 = x0 + x.bandwidth();
          const y1 = y(o.before!(e));
          return `M${x0},${y(0)}V${y1}H${x1}V${y(0)}`;
        })
        .join('')
    : '';
  svg
    .selectAll<SVGPathElement, string>('path.before')
    .data(d ? [d] : [])
    .join('path')
    .attr('class', 'before')
    .attr('d', (v) => v)
    .attr('fill', 'none')
    .attr('stroke', '#222')
    .attr('stroke-dasharray', '3 2')
    .attr('pointer-events', 'none');
  const labelled = o.labelAt.map((i) => o.ids[i]).filter((e) => e !== undefined);
  const font = o.ids.length > 12 ? 9 : 11;
  svg
    .selectAll<SVGTextElement, number>('text.label')
    .data(labelled, (e) => e)
    .join('text')
    .attr('class', 'label')
    .attr('x', (e) => x(e)! + x.bandwidth() / 2)
    .attr('y', (_, i) => (o.stagger && i % 2 === 1 ? o.H - 4 : o.stagger ? o.H - 14 : o.H - 6))
    .attr('text-anchor', 'middle')
    .attr('font-size', font)
    .attr('font-weight', (e) => (o.selected.has(e) || e === o.focus ? 700 : 400))
    .attr('fill', (e) => (e === o.focus ? SCORE_COLOURS.focus : null))
    .text((e) => e);
  drawYLabels(svg, [0, o.yMax / 2, o.yMax], y, o.M.left, (v) => String(+v.toPrecision(3)));
  return { x, y };
}
