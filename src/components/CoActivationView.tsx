import { useEffect, useMemo, useRef } from 'react';
import { interpolateBlues, select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import { coActivation } from '../routing/metrics/coactivation';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';
import { drawExpertMatrix } from './charts';
import { DenseNote, useLayerKind } from './DenseNote';

const S = 220;
const MARGIN = 22;

/** Expert co-activation in the focused layer: cell (i, j) = tokens that chose both i and j. */
export function CoActivationView() {
  const layer = useLab((s) => s.focus.layer);
  const ev = useLab((s) => s.modified.layers[s.focus.layer]);
  const hover = useLab((s) => s.hover);
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const dense = useLayerKind(layer) === 'dense';
  const m = useMemo(() => (ev && ev.kind !== 'dense' ? coActivation(ev.selected, ev.E) : null), [ev]);

  useEffect(() => {
    if (!visible || !m || !svgRef.current) return;
    const offMax = Math.max(1, ...m.flatMap((r, i) => r.filter((_, j) => j !== i)));
    drawExpertMatrix(select(svgRef.current), m, {
      size: S,
      margin: MARGIN,
      fill: (d) => (d.i === d.j ? '#ddd' : interpolateBlues(0.1 + (0.9 * d.v) / offMax)),
      title: (d) => (d.i === d.j ? `expert ${d.i}: ${d.v} tokens` : `experts ${d.i} and ${d.j} together: ${d.v} tokens`),
      onHover: (d) => hover({ expert: d.i }),
    });
  }, [visible, m, hover]);

  return (
    <Panel title={`Co-activation — layer ${layer}`} testId="coactivation-view">
      {dense ? (
        <DenseNote layer={layer}>No experts to fire together.</DenseNote>
      ) : !m ? (
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
