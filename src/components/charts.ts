// Shared D3 drawing for the expert views: a bar per expert (router scores, expert load) and an
// expert × expert matrix (co-activation, coupling). Joins are keyed by expert id, and the data
// stay in id order (the DOM order tests read), whatever order the axis shows them in.
import { scaleBand, scaleLinear, type Selection } from 'd3';
import { expertColor, FOCUS_COLOR } from './colors';

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
  /** the axis order (expert ids left to right); default by id */
  order?: number[];
  /** bar fill; default a hue per expert */
  fill?: (e: number, v: number) => string;
  /** the experts whose id is written under the axis (thinned ticks); default all */
  labels?: number[];
  /** id label font size; default 11 */
  labelSize?: number;
  /** the focused expert: its bar outlined and marked data-focused, its label bold */
  focused?: number | null;
}

/** One bar per expert with id labels and a y axis; returns the scales for overlays. */
/** Value labels right-aligned left of a chart's plot area, one per tick. */
export function drawYLabels(svg: Svg, ticks: number[], y: (v: number) => number, left: number, format: (v: number) => string): void {
  svg
    .selectAll<SVGTextElement, number>('text.axis')
    .data(ticks)
    .join('text')
    .attr('class', 'axis')
    .attr('x', left - 4)
    .attr('y', (d) => y(d) + 4)
    .attr('text-anchor', 'end')
    .attr('font-size', 10)
    .text(format);
}

export function drawExpertBars(svg: Svg, values: number[], o: BarOptions) {
  const E = values.length;
  const ids = values.map((_, e) => e);
  const x = scaleBand<number>()
    .domain(o.order ?? ids)
    .range([o.M.left, o.W - o.M.right])
    .padding(0.15);
  const focused = o.focused ?? null;
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
    .attr('fill', (e) => (o.fill ? o.fill(e, values[e]) : expertColor(e, E)))
    .attr('opacity', (e) => o.opacity?.(e) ?? 1);
  if (o.focused !== undefined)
    bars
      .attr('data-focused', (e) => (e === focused ? 'true' : null))
      .attr('stroke', (e) => (e === focused ? FOCUS_COLOR : null))
      .attr('stroke-width', (e) => (e === focused ? 1.5 : null));
  for (const [k, f] of Object.entries(o.data)) bars.attr(`data-${k}`, (e) => f(e, values[e]));
  if (o.onHover) bars.on('mouseenter', (_, e) => o.onHover!(e));
  const labelled = o.labels ? new Set(o.labels) : null;
  svg
    .selectAll<SVGTextElement, number>('text.label')
    .data(labelled ? ids.filter((e) => labelled.has(e)) : ids, (e) => e)
    .join('text')
    .attr('class', 'label')
    .attr('x', (e) => x(e)! + x.bandwidth() / 2)
    .attr('y', o.H - 6)
    .attr('text-anchor', 'middle')
    .attr('font-size', o.labelSize ?? 11)
    .attr('font-weight', (e) => (o.bold?.(e) || e === focused ? 700 : 400))
    .attr('fill', (e) => (e === focused ? FOCUS_COLOR : null))
    .text((e) => e);
  drawYLabels(svg, o.yTicks, y, o.M.left, (d) => String(d));
  return { x, y };
}

export interface MatrixCell {
  i: number;
  j: number;
  v: number;
}

export interface MatrixOptions {
  size: number;
  margin: number;
  fill: (c: MatrixCell) => string;
  /** a <title> per cell; leave out when the view shows its own tooltip */
  title?: (c: MatrixCell) => string;
  stroke?: (c: MatrixCell) => string;
  onHover?: (c: MatrixCell) => void;
  /** the axis order (expert ids top to bottom, left to right); default by id */
  order?: number[];
  /** the experts whose id is written on the axes (thinned ticks); default all */
  labels?: number[];
  /** the focused expert: its row and column outlined, its id bold */
  focused?: number | null;
}

/** An n × n matrix of cells with row/column expert ids. */
export function drawExpertMatrix(svg: Svg, M: number[][], o: MatrixOptions) {
  const n = M.length;
  const ids = M.map((_, i) => i);
  const x = scaleBand<number>()
    .domain(o.order ?? ids)
    .range([o.margin, o.size])
    .padding(0.04);
  const focused = o.focused ?? null;
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
  if (o.title)
    rects
      .selectAll('title')
      .data((d) => [d])
      .join('title')
      .text(o.title);
  // The focused expert's row and column, outlined (none when nothing is focused).
  const band = x.step() * (1 - 0.04 / 2);
  svg
    .selectAll<SVGRectElement, string>('rect.focus-band')
    .data(o.focused !== undefined && focused !== null && focused < n ? ['row', 'col'] : [])
    .join('rect')
    .attr('class', 'focus-band')
    .attr('data-expert', focused ?? '')
    .attr('x', (d) => (d === 'row' ? o.margin : x(focused!)! - 0.5))
    .attr('y', (d) => (d === 'row' ? x(focused!)! - 0.5 : o.margin))
    .attr('width', (d) => (d === 'row' ? o.size - o.margin : band))
    .attr('height', (d) => (d === 'row' ? band : o.size - o.margin))
    .attr('fill', 'none')
    .attr('stroke', FOCUS_COLOR)
    .attr('stroke-width', 1.2)
    .attr('pointer-events', 'none')
    .raise();
  const font = n > 16 ? 7 : 10;
  const labelled = o.labels ? new Set(o.labels) : null;
  for (const axis of ['row', 'col'] as const)
    svg
      .selectAll<SVGTextElement, number>(`text.${axis}`)
      .data(labelled ? ids.filter((e) => labelled.has(e)) : ids, (d) => d)
      .join('text')
      .attr('class', axis)
      .attr('x', (d) => (axis === 'row' ? o.margin - 4 : x(d)! + x.bandwidth() / 2))
      .attr('y', (d) => (axis === 'row' ? x(d)! + x.bandwidth() / 2 + 4 : o.margin - 6))
      .attr('text-anchor', axis === 'row' ? 'end' : 'middle')
      .attr('font-size', font)
      .attr('font-weight', (d) => (d === focused ? 700 : null))
      .attr('fill', (d) => (d === focused ? FOCUS_COLOR : null))
      .text((d) => d);
}
