import { useEffect, useMemo, useRef } from 'react';
import { select } from 'd3';
import { useLab } from '../state/store';
import { drawExpertBars } from './charts';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { DenseNote, useLayerKind } from './DenseNote';

const W = 320;
const H = 150;
const M = { top: 8, right: 8, bottom: 22, left: 32 };

/**
 * Router softmax for the focused token and layer: one bar per expert (selected experts solid,
 * the rest faded); with an intervention, the unmodified run's probabilities are drawn as outlines.
 */
export function RouterScores() {
  const imported = useLab((s) => s.imported);
  const focus = useLab((s) => s.focus);
  const ev = useLab((s) => s.modified.layers[s.focus.layer]);
  const base = useLab((s) => s.baseline.layers[s.focus.layer]);
  const interventions = useLab((s) => s.interventions);
  const addIntervention = useLab((s) => s.addIntervention);
  const setInterventions = useLab((s) => s.setInterventions);
  const svgRef = useRef<SVGSVGElement>(null);
  const dense = useLayerKind(focus.layer) === 'dense';
  const t = focus.token;
  const E = ev?.E ?? 0;
  const probs = useMemo(() => (ev && t < ev.T ? Array.from(ev.probs.subarray(t * E, (t + 1) * E)) : []), [ev, t, E]);
  const before = useMemo(() => (base && t < base.T ? Array.from(base.probs.subarray(t * E, (t + 1) * E)) : null), [base, t, E]);
  const selected = useMemo(() => ev?.selected[t] ?? [], [ev, t]);

  useEffect(() => {
    if (!svgRef.current) return;
    const svg = select(svgRef.current);
    const { x, y } = drawExpertBars(svg, probs, { W, H, M, yMax: 1, yTicks: [0, 0.5, 1], bold: (e) => selected.includes(e), opacity: (e) => (selected.includes(e) ? 1 : 0.35), data: { expert: (e) => e, p: (_, v) => v.toFixed(4) } });
    // The unmodified run's probabilities as dashed outlines over the bars.
    const rows = before ? before.map((b, e) => ({ e, b })) : [];
    svg
      .selectAll<SVGRectElement, (typeof rows)[number]>('rect.before')
      .data(rows, (d) => d.e)
      .join('rect')
      .attr('class', 'before')
      .attr('x', (d) => x(d.e)!)
      .attr('width', x.bandwidth())
      .attr('y', (d) => y(d.b))
      .attr('height', (d) => y(0) - y(d.b))
      .attr('fill', 'none')
      .attr('stroke', '#222')
      .attr('stroke-dasharray', '3 2');
  }, [probs, before, selected]);

  const toggle = (kind: 'mask' | 'force', e: number) => {
    const spec = `${kind}:layers=${focus.layer},experts=${e}`;
    if (interventions.includes(spec)) setInterventions(interventions.filter((s) => s !== spec));
    else addIntervention(spec);
    useLab.getState().run();
  };

  // A slider release replaces this expert's bias in this layer (0 removes it) and re-runs.
  const setBias = (e: number, value: number) => {
    const prefix = `bias:layers=${focus.layer},experts=${e},value=`;
    const rest = interventions.filter((s) => !s.startsWith(prefix));
    setInterventions(value === 0 ? rest : [...rest, `${prefix}${value}`]);
    useLab.getState().run();
  };

  return (
    <Panel title={`Router scores — layer ${focus.layer}, token ${t}`} testId="router-scores" disabled={disabledReason(imported, 'logits')}>
      {dense ? (
        <DenseNote layer={focus.layer}>No router scores, nothing to mask or force.</DenseNote>
      ) : probs.length === 0 ? (
        <p className="placeholder">Router probabilities for the focused token and layer.</p>
      ) : (
        <>
          <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label={`router probabilities of token ${t} in layer ${focus.layer}; selected experts ${selected.join(', ')}`} />
          <p className="hint" title="softmax of the router logits; solid = selected, dashed outline = the unmodified run">
            p = softmax(router logits). Solid: selected ({selected.join(', ') || 'none'}). {before ? 'Dashed: before the intervention.' : ''}
          </p>
          {imported ? (
            <p className="hint">Masking, forcing and logit biases re-run the model: run a prompt to go back to it.</p>
          ) : (
            <>
              <div className="expert-toggles" role="group" aria-label={`Mask or force experts in layer ${focus.layer}`}>
                {probs.map((_, e) => (
                  <span key={e} className="toggle-pair">
                    <button type="button" data-testid={`mask-${e}`} aria-pressed={interventions.includes(`mask:layers=${focus.layer},experts=${e}`)} onClick={() => toggle('mask', e)} title={`mask expert ${e} in layer ${focus.layer} (logit → −∞)`}>
                      ⊘{e}
                    </button>
                    <button type="button" data-testid={`force-${e}`} aria-pressed={interventions.includes(`force:layers=${focus.layer},experts=${e}`)} onClick={() => toggle('force', e)} title={`force expert ${e} in layer ${focus.layer} (logit → max + ε)`}>
                      ↑{e}
                    </button>
                  </span>
                ))}
              </div>
              <details className="bias-sliders">
                <summary>Logit bias per expert (layer {focus.layer})</summary>
                {probs.map((_, e) => {
                  const prefix = `bias:layers=${focus.layer},experts=${e},value=`;
                  const current = Number(interventions.find((s) => s.startsWith(prefix))?.slice(prefix.length) ?? 0);
                  return (
                    <label key={e} className="bias-row">
                      <span>expert {e}</span>
                      <input
                        type="range"
                        min={-5}
                        max={5}
                        step={0.5}
                        defaultValue={current}
                        key={`${focus.layer}-${e}-${current}`}
                        data-testid={`bias-${e}`}
                        aria-label={`logit bias for expert ${e} in layer ${focus.layer}`}
                        onPointerUp={(ev) => setBias(e, Number((ev.target as HTMLInputElement).value))}
                        onKeyUp={(ev) => setBias(e, Number((ev.target as HTMLInputElement).value))}
                      />
                      <output>{current.toFixed(1)}</output>
                    </label>
                  );
                })}
              </details>
            </>
          )}
          <ExportButtons svg={svgRef} name={`router-scores-L${focus.layer}-t${t}`} />
        </>
      )}
    </Panel>
  );
}
