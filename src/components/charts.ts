// Shared D3 drawing for the expert views: a bar per expert (router scores, expert load) and an
// expert × expert matrix (co-activation, coupling). Joins are keyed by expert id.
import { scaleBand, scaleLinear, type Selection } from 'd3';
import { expertColor } from './colors';

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

export interface BarLayout {
  W: number;
  H: number;
  M: { top: number; right: number; bottom: number; left: number };
}

export interface BarOptions extends BarLayout {
  yMax: number;
  yTicks: number[];
  /** bold label (e.g. selected experts) */
  bold?: (e: number) => boolean;
  opacity?: (e: number) => number;
  /** data-* attributes on each bar */
  data: Record<string, (e: number, v: number) => string | number>;
  onHover?: (e: number) => void;
}

/** One bar per expert with id labels and a y axis; returns the scales for overlays. */
export function drawExpertBars(svg: Svg, values: number[], o: BarOptions) {
  const E = values.length;
  const ids = values.map((_, e) => e);
  const x = scaleBand<number>().domain(ids).range([o.M.left, o.W - o.M.right]).padding(0.15);
  const y = scaleLinear().domain([0, o.yMax]).range([o.H - o.M.bottom, o.M.top]);
  const bars = svg
    .selectAll<SVGRectElement, number>('rect.bar')
    .data(ids, (e) => e)
    .join('rect')
    .attr('class', 'bar')
    .attr('x', (e) => x(e)!)
    .attr('width', x.bandwidth())
    .attr('y', (e) => y(values[e]))
    .attr('height', (e) => y(0) - y(values[e]))
    .attr('fill', (e) => expertColor(e, E))
    .attr('opacity', (e) => o.opacity?.(e) ?? 1);
  for (const [k, f] of Object.entries(o.data)) bars.attr(`data-${k}`, (e) => f(e, values[e]));
  if (o.onHover) bars.on('mouseenter', (_, e) => o.onHover!(e));
  svg
    .selectAll<SVGTextElement, number>('text.label')
    .data(ids, (e) => e)
    .join('text')
    .attr('class', 'label')
    .attr('x', (e) => x(e)! + x.bandwidth() / 2)
    .attr('y', o.H - 6)
    .attr('text-anchor', 'middle')
    .attr('font-size', 11)
    .attr('font-weight', (e) => (o.bold?.(e) ? 700 : 400))
    .text((e) => e);
  svg
    .selectAll<SVGTextElement, number>('text.axis')
    .data(o.yTicks)
    .join('text')
    .attr('class', 'axis')
    .attr('x', o.M.left - 4)
    .attr('y', (d) => y(d) + 4)
    .attr('text-anchor', 'end')
    .attr('font-size', 10)
    .text((d) => String(d));
  return { x, y };
}

export interface MatrixCell {
  i: number;
  j: number;
  v: number;
}

/** An n × n matrix of cells with row/column expert ids. */
export function drawExpertMatrix(svg: Svg, M: number[][], o: { size: number; margin: number; fill: (c: MatrixCell) => string; title: (c: MatrixCell) => string; stroke?: (c: MatrixCell) => string; onHover?: (c: MatrixCell) => void }) {
  const n = M.length;
  const ids = M.map((_, i) => i);
  const x = scaleBand<number>().domain(ids).range([o.margin, o.size]).padding(0.04);
  const cells: (MatrixCell & { key: string })[] = ids.flatMap((i) => ids.map((j) => ({ key: `${i}:${j}`, i, j, v: M[i][j] })));
  const rects = svg
    .selectAll<SVGRectElement, (typeof cells)[number]>('rect.cell')
    .data(cells, (d) => d.key)
    .join('rect')
    .attr('class', 'cell')
    .attr('x', (d) => x(d.j)!)
    .attr('y', (d) => x(d.i)!)
    .attr('width', x.bandwidth())
    .attr('height', x.bandwidth())
    .attr('fill', o.fill)
    .attr('stroke', (d) => o.stroke?.(d) ?? 'none')
    .attr('data-count', (d) => d.v);
  if (o.onHover) rects.on('mouseenter', (_, d) => o.onHover!(d));
  rects
    .selectAll('title')
    .data((d) => [d])
    .join('title')
    .text(o.title);
  const font = n > 16 ? 7 : 10;
  for (const axis of ['row', 'col'] as const)
    svg
      .selectAll<SVGTextElement, number>(`text.${axis}`)
      .data(ids, (d) => d)
      .join('text')
      .attr('class', axis)
      .attr('x', (d) => (axis === 'row' ? o.margin - 4 : x(d)! + x.bandwidth() / 2))
      .attr('y', (d) => (axis === 'row' ? x(d)! + x.bandwidth() / 2 + 4 : o.margin - 6))
      .attr('text-anchor', axis === 'row' ? 'end' : 'middle')
      .attr('font-size', font)
      .text((d) => d);
}
