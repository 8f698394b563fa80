import { useEffect, useMemo, useRef } from 'react';
import { scaleLinear, select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import { loadMetrics } from '../routing/metrics/load';
import { drawExpertBars } from './charts';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';
import { DenseNote, useLayerKind } from './DenseNote';

const W = 320;
const H = 140;
const M = { top: 8, right: 8, bottom: 22, left: 32 };

const METRIC_HELP: [string, string, (m: ReturnType<typeof loadMetrics>) => string][] = [
  ['CV', 'coefficient of variation of the counts (std / mean); 0 = perfectly balanced (Shazeer et al. 2017)', (m) => m.cv.toFixed(3)],
  ['MaxVio', '(max load − ideal) / ideal: how far the busiest expert is over its fair share (Loss-Free Balancing, Wang et al. 2024)', (m) => m.maxVio.toFixed(3)],
  ['entropy', 'entropy of the load distribution / log E; 1 = uniform', (m) => m.loadEntropy.toFixed(3)],
  ['dropped', 'fraction of tokens no expert processed (capacity overflow, null experts; Switch Transformer)', (m) => `${(m.dropped * 100).toFixed(1)}%`],
  ['mean active', 'experts per token on average (adaptive routers vary it; Huang et al. 2024)', (m) => m.meanActive.toFixed(2)],
];

/** Tokens per expert in the focused layer, with the ideal (balanced) line and balance metrics. */
export function ExpertLoad() {
  const layer = useLab((s) => s.focus.layer);
  const ev = useLab((s) => s.modified.layers[s.focus.layer]);
  const hoverExpert = useLab((s) => s.hover);
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const dense = useLayerKind(layer) === 'dense';
  const m = useMemo(() => (ev && ev.kind !== 'dense' ? loadMetrics(ev.selected, ev.E) : null), [ev]);

  useEffect(() => {
    if (!visible || !m || !svgRef.current) return;
    const svg = select(svgRef.current);
    const yMax = Math.max(1, ...m.counts, m.ideal);
    const { y } = drawExpertBars(svg, m.counts, { W, H, M, yMax, yTicks: scaleLinear().domain([0, yMax]).ticks(3), data: { expert: (e) => e, count: (_, v) => v }, onHover: (e) => hoverExpert({ expert: e }) });
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
  }, [visible, m, hoverExpert]);

  return (
    <Panel title={`Expert load — layer ${layer}`} testId="expert-load">
      {dense ? (
        <DenseNote layer={layer}>No expert load to count and no token is dropped.</DenseNote>
      ) : !m ? (
        <p className="placeholder">Tokens per expert in the focused layer.</p>
      ) : (
        <>
          <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label={`tokens per expert in layer ${layer}: ${m.counts.join(', ')}; dashed line = ideal ${m.ideal.toFixed(2)}`} />
          <dl className="metrics">
            {METRIC_HELP.map(([name, help, fmt]) => (
              <div key={name} title={help} data-metric={name}>
                <dt>{name}</dt>
                <dd>{fmt(m)}</dd>
              </div>
            ))}
          </dl>
          <ExportButtons svg={svgRef} name={`expert-load-L${layer}`} />
        </>
      )}
    </Panel>
  );
}
