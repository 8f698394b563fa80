import { useEffect, useMemo, useRef } from 'react';
import { interpolateBlues, scaleBand, select } from 'd3';
import { useLab } from '../state/store';
import { coActivation } from '../routing/metrics/coactivation';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';

const S = 220;
const M = 22;

/** Expert co-activation in the focused layer: cell (i, j) = tokens that chose both i and j. */
export function CoActivationView() {
  const layer = useLab((s) => s.focus.layer);
  const ev = useLab((s) => s.modified.layers[s.focus.layer]);
  const hover = useLab((s) => s.hover);
  const svgRef = useRef<SVGSVGElement>(null);
  const m = useMemo(() => (ev ? coActivation(ev.selected, ev.E) : null), [ev]);

  useEffect(() => {
    if (!m || !svgRef.current) return;
    const E = m.length;
    const ids = m.map((_, i) => i);
    const x = scaleBand<number>().domain(ids).range([M, S]).padding(0.04);
    const offMax = Math.max(1, ...m.flatMap((r, i) => r.filter((_, j) => j !== i)));
    const cells = ids.flatMap((i) => ids.map((j) => ({ key: `${i}:${j}`, i, j, v: m[i][j] })));
    const svg = select(svgRef.current);
    svg
      .selectAll<SVGRectElement, (typeof cells)[number]>('rect.cell')
      .data(cells, (d) => d.key)
      .join('rect')
      .attr('class', 'cell')
      .attr('x', (d) => x(d.j)!)
      .attr('y', (d) => x(d.i)!)
      .attr('width', x.bandwidth())
      .attr('height', x.bandwidth())
      .attr('fill', (d) => (d.i === d.j ? '#ddd' : interpolateBlues(0.1 + (0.9 * d.v) / offMax)))
      .attr('data-count', (d) => d.v)
      .on('mouseenter', (_, d) => hover({ expert: d.i }))
      .selectAll('title')
      .data((d) => [d])
      .join('title')
      .text((d) => (d.i === d.j ? `expert ${d.i}: ${d.v} tokens` : `experts ${d.i} and ${d.j} together: ${d.v} tokens`));
    svg
      .selectAll<SVGTextElement, number>('text.row')
      .data(ids, (d) => d)
      .join('text')
      .attr('class', 'row')
      .attr('x', M - 4)
      .attr('y', (d) => x(d)! + x.bandwidth() / 2 + 4)
      .attr('text-anchor', 'end')
      .attr('font-size', E > 16 ? 7 : 10)
      .text((d) => d);
    svg
      .selectAll<SVGTextElement, number>('text.col')
      .data(ids, (d) => d)
      .join('text')
      .attr('class', 'col')
      .attr('x', (d) => x(d)! + x.bandwidth() / 2)
      .attr('y', M - 6)
      .attr('text-anchor', 'middle')
      .attr('font-size', E > 16 ? 7 : 10)
      .text((d) => d);
  }, [m, hover]);

  return (
    <Panel title={`Co-activation — layer ${layer}`} testId="coactivation-view">
      {!m ? (
        <p className="placeholder">Which experts fire together on the same token.</p>
      ) : (
        <>
          <svg ref={svgRef} viewBox={`0 0 ${S + 4} ${S + 4}`} className="chart square" role="img" aria-label={`expert co-activation matrix of layer ${layer}`} />
          <p className="hint" title="Counts of tokens whose selected set holds both experts; the diagonal (grey) is each expert's load">
            Tokens that chose both experts (diagonal: load).
          </p>
          <ExportButtons svg={svgRef} name={`coactivation-L${layer}`} />
        </>
      )}
    </Panel>
  );
}
