import { useEffect, useMemo, useRef, useState } from 'react';
import { interpolateOranges, select } from 'd3';
import { useLab } from '../state/store';
import { columnDominance, meanOffDiagonalCosine, rowDominance } from '../routing/metrics/index';
import { Panel } from './Panel';
import { DenseNote, useLayerKind } from './DenseNote';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { drawExpertMatrix } from './charts';
import { explain } from './explain';

const S = 220;
const MARGIN = 22;

/**
 * Router–expert coupling (ERC): router rows pushed through every expert of the focused layer as
 * proxy tokens; M[i][j] = expert j's output norm for proxy i, with row and column dominance, the
 * mean off-diagonal cosine of router rows, and the correlation of router probability with expert
 * output norm on the current run's tokens.
 */
export function CouplingView() {
  const imported = useLab((s) => s.imported);
  const layer = useLab((s) => s.focus.layer);
  const manifest = useLab((s) => s.manifest);
  const coupling = useLab((s) => s.analyses.coupling);
  const res = useMemo(() => (coupling ? { layer: coupling.request.layer, M: coupling.M, R: coupling.R, corr: coupling.corr } : null), [coupling]);
  const [perturb, setPerturb] = useState(coupling?.request.perturb ?? false);
  // A result computed elsewhere (restored from a shared URL) brings its setting with it.
  const [shown, setShown] = useState(coupling);
  if (coupling !== shown) {
    setShown(coupling);
    if (coupling) setPerturb(coupling.request.perturb);
  }
  const svgRef = useRef<SVGSVGElement>(null);
  const dense = useLayerKind(layer) === 'dense';

  const run = () => useLab.getState().computeCoupling({ layer, perturb });

  useEffect(() => {
    if (!res || !svgRef.current) return;
    const max = Math.max(1e-9, ...res.M.flat());
    drawExpertMatrix(select(svgRef.current), res.M, {
      size: S,
      margin: MARGIN,
      fill: (d) => interpolateOranges(d.v / max),
      stroke: (d) => (d.i === d.j ? '#222' : 'none'),
      title: (d) => `proxy ${d.i} (router row) through expert ${d.j}: ‖output‖ = ${d.v.toFixed(3)}`,
    });
  }, [res]);

  return (
    <Panel title={`Router–expert coupling — layer ${layer}`} testId="coupling-view" disabled={disabledReason(imported, 'model')}>
      {dense ? (
        <DenseNote layer={layer}>No router rows to couple with experts.</DenseNote>
      ) : (
        <>
          <p className="hint" {...explain('coupling-note')}>
            Each router row is fed to every expert as a proxy token; a strong diagonal means router and experts are coupled.
          </p>
          <label className="hint">
            <input type="checkbox" {...explain('coupling-perturb')} checked={perturb} onChange={(e) => setPerturb(e.target.checked)} /> perturb proxies by U(1 ± ε_i)
          </label>{' '}
          <button type="button" data-testid="coupling-run" {...explain('coupling-run')} disabled={!manifest} onClick={run}>
            Compute
          </button>
          {res && res.layer === layer && (
            <>
              <svg ref={svgRef} viewBox={`0 0 ${S + 4} ${S + 4}`} className="chart square" role="img" aria-label={`router-expert coupling matrix of layer ${layer}`} />
              <p className="stat" {...explain('coupling-dominance')}>
                row dominance <strong data-testid="row-dominance">{rowDominance(res.M).toFixed(3)}</strong>, column dominance{' '}
                <strong data-testid="col-dominance">{columnDominance(res.M).toFixed(3)}</strong>, router rows’ mean off-diagonal cosine{' '}
                <strong data-testid="router-cosine">{meanOffDiagonalCosine(res.R).toFixed(3)}</strong>
              </p>
              {res.corr !== null && (
                <p className="stat" {...explain('coupling-pearson')}>
                  corr(router p, expert output norm) on this prompt: <strong data-testid="score-norm-corr">{res.corr.toFixed(3)}</strong>
                </p>
              )}
              <ExportButtons svg={svgRef} name={`coupling-L${layer}`} />
            </>
          )}
        </>
      )}
    </Panel>
  );
}
