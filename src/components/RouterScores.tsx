import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { select } from 'd3';
import { useLab } from '../state/store';
import {
  interventionExperts,
  parseExpertList,
  thinnedTicks,
  topExperts,
} from '../routing/scoreSummary';
import { drawScoreBars } from './scoresChart';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { DenseNote, useLayerKind } from './DenseNote';
import { explain } from './explain';

const W = 320;
const H = 150;
const M = { top: 8, right: 8, bottom: 22, left: 32 };
/** layers with at most this many experts show every bar with its ⊘/↑ buttons, as always */
export const SCORES_ALL_UP_TO = 16;
/** experts drawn by default in bigger layers (plus the selected, focused and intervened ones) */
export const SCORES_TOP_M = 16;
/** round tops for the y axis of a big layer's bars (p rarely reaches 1 among 256 experts) */
const Y_TOPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1];

const fmtP = (v: number) => (v === 0 ? '0' : v >= 0.01 ? v.toFixed(3) : v.toPrecision(2));

/**
 * Router softmax for the focused token and layer: one bar per expert (selected experts solid,
 * the rest faded); with an intervention, the unmodified run's probabilities are drawn as outlines.
 * Beyond 16 experts only the top 16 of the token (always with its selected experts, the focused
 * expert and any expert with an intervention here) are drawn, each with ⊘/↑, and the rest are
 * summarised in one line; "show all" draws every expert (thinned labels, no per-expert buttons)
 * and an expert picker masks or forces any expert by id.
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
  const [showAll, setShowAll] = useState(false);
  const [hover, setHover] = useState<number | null>(null);
  const [pick, setPick] = useState('');
  const [pickError, setPickError] = useState<string | null>(null);
  const dense = useLayerKind(focus.layer) === 'dense';
  const t = focus.token;
  const E = ev?.E ?? 0;
  const probs = useMemo(
    () => (ev && t < ev.T ? ev.probs.subarray(t * E, (t + 1) * E) : new Float32Array(0)),
    [ev, t, E],
  );
  const before = useMemo(
    () => (base && t < base.T && base.E === E ? base.probs.subarray(t * E, (t + 1) * E) : null),
    [base, t, E],
  );
  const selected = useMemo(() => ev?.selected[t] ?? [], [ev, t]);
  const compact = E > SCORES_ALL_UP_TO;
  const intervened = useMemo(
    () => interventionExperts(interventions, focus.layer).filter((e) => e < E),
    [interventions, focus.layer, E],
  );
  const summary = useMemo(() => {
    if (!compact) return null;
    const keep = [...selected, ...intervened, ...(focus.expert !== null ? [focus.expert] : [])];
    return topExperts(probs, SCORES_TOP_M, keep);
  }, [compact, probs, selected, intervened, focus.expert]);
  const ids = useMemo(
    () => (summary && !showAll ? summary.shown : Array.from({ length: probs.length }, (_, e) => e)),
    [summary, showAll, probs],
  );
  // the experts that get ⊘/↑ buttons and a bias slider: all of a small layer, the top-m of a big one
  const buttons = !compact ? ids : showAll ? [] : ids;

  useEffect(() => {
    if (!svgRef.current) return;
    const svg = select(svgRef.current);
    let top = 0;
    for (const e of ids) top = Math.max(top, probs[e], before?.[e] ?? 0);
    // id labels: every one when they fit (two rows for 3-digit ids), else every 2^k-th id
    const digits = String(Math.max(0, ...ids)).length;
    const perLabel = digits * 6 + 4;
    const room = W - M.left - M.right;
    const fitAll = ids.length * perLabel <= room * 2;
    const stagger = fitAll && ids.length * perLabel > room;
    drawScoreBars(svg, {
      W,
      H,
      M: stagger ? { ...M, bottom: M.bottom + 10 } : M,
      ids,
      yMax: compact ? (Y_TOPS.find((v) => v >= top) ?? 1) : 1,
      stagger,
      E,
      p: (e) => probs[e],
      before: before ? (e) => before[e] : null,
      labelAt: fitAll
        ? ids.map((_, i) => i)
        : thinnedTicks(ids.length, Math.max(2, Math.floor(room / perLabel))),
      selected: new Set(selected),
      focus: focus.expert,
      intervened: new Set(intervened),
      onHover: setHover,
      onClick: compact ? (e) => setPick(String(e)) : undefined,
    });
  }, [ids, E, probs, before, selected, focus.expert, intervened, compact]);

  // The keyboard walks the drawn bars (←/→, Home/End) as the pointer does: the readout names the
  // expert and the lab focuses it; Enter puts it in the picker (big layers) for ⊘/↑.
  const onKey = (ev: KeyboardEvent<SVGSVGElement>) => {
    if (!ids.length) return;
    if (ev.key === 'Enter' && compact && focus.expert !== null) {
      ev.preventDefault();
      setPick(String(focus.expert));
      return;
    }
    const d =
      ev.key === 'ArrowRight'
        ? 1
        : ev.key === 'ArrowLeft'
          ? -1
          : ev.key === 'Home'
            ? -ids.length
            : ev.key === 'End'
              ? ids.length
              : 0;
    if (!d) return;
    ev.preventDefault();
    const cur = focus.expert === null ? -1 : ids.indexOf(focus.expert);
    const e =
      ids[Math.max(0, Math.min(ids.length - 1, cur < 0 ? (d > 0 ? 0 : ids.length - 1) : cur + d))];
    setHover(e);
    useLab.getState().pin({ expert: e });
  };

  const specFor = (kind: 'mask' | 'force', experts: number[]) =>
    `${kind}:layers=${focus.layer},experts=${experts.join('+')}`;
  const toggle = (kind: 'mask' | 'force', e: number) => {
    const spec = specFor(kind, [e]);
    if (interventions.includes(spec)) setInterventions(interventions.filter((s) => s !== spec));
    else addIntervention(spec);
    useLab.getState().run();
  };
  const applyPick = (kind: 'mask' | 'force') => {
    const r = parseExpertList(pick, E);
    if ('error' in r) {
      setPickError(r.error);
      return;
    }
    setPickError(null);
    addIntervention(specFor(kind, r.experts));
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
    <Panel
      title={`Router scores — layer ${focus.layer}, token ${t}`}
      testId="router-scores"
      disabled={disabledReason(imported, 'logits')}
    >
      {dense ? (
        <DenseNote layer={focus.layer}>No router scores, nothing to mask or force.</DenseNote>
      ) : probs.length === 0 ? (
        <p className="placeholder">Router probabilities for the focused token and layer.</p>
      ) : (
        <>
          <svg
            ref={svgRef}
            viewBox={`0 0 ${W} ${H}`}
            className="chart"
            role="img"
            tabIndex={0}
            {...explain('scores-chart')}
            onKeyDown={onKey}
            onBlur={() => setHover(null)}
            data-shown={ids.length}
            aria-label={`router probabilities of token ${t} in layer ${focus.layer}; selected experts ${selected.join(', ')}${summary && !showAll ? `; top ${ids.length} of ${E} experts shown` : ''}`}
          />
          <p className="hint scores-readout" data-testid="scores-hover" aria-live="polite">
            {hover !== null && hover < E ? (
              <>
                expert {hover}: p = {probs[hover].toFixed(4)}
                {before ? ` (unmodified ${before[hover].toFixed(4)})` : ''}
                {selected.includes(hover) ? ', selected' : ''}
              </>
            ) : (
              <span {...explain('scores-chart')}>
                p = softmax(router logits). Solid: selected ({selected.join(', ') || 'none'}).{' '}
                {before ? 'Dashed: before the intervention.' : ''}
              </span>
            )}
          </p>
          {summary && (
            <div className="scores-summary">
              {!showAll && summary.rest.count > 0 && (
                <span data-testid="scores-rest" {...explain('scores-rest')}>
                  +{summary.rest.count} others: total p = {fmtP(summary.rest.total)}, max{' '}
                  {fmtP(summary.rest.max)}
                </span>
              )}
              <button
                type="button"
                data-testid="scores-show-all"
                {...explain('scores-show-all')}
                aria-pressed={showAll}
                onClick={() => setShowAll(!showAll)}
              >
                {showAll ? `top ${summary.shown.length} only` : `show all ${E}`}
              </button>
            </div>
          )}
          {imported ? (
            <p className="hint">
              Masking, forcing and logit biases re-run the model: run a prompt to go back to it.
            </p>
          ) : (
            <>
              {buttons.length > 0 && (
                <div
                  className="expert-toggles"
                  role="group"
                  aria-label={`Mask or force experts in layer ${focus.layer}`}
                >
                  {buttons.map((e) => (
                    <span key={e} className={`toggle-pair${e === focus.expert ? ' is-focus' : ''}`}>
                      <button
                        type="button"
                        data-testid={`mask-${e}`}
                        aria-pressed={interventions.includes(specFor('mask', [e]))}
                        onClick={() => toggle('mask', e)}
                        aria-label={`mask expert ${e} in layer ${focus.layer}`}
                        {...explain('mask-expert')}
                      >
                        ⊘{e}
                      </button>
                      <button
                        type="button"
                        data-testid={`force-${e}`}
                        aria-pressed={interventions.includes(specFor('force', [e]))}
                        onClick={() => toggle('force', e)}
                        aria-label={`force expert ${e} in layer ${focus.layer}`}
                        {...explain('force-expert')}
                      >
                        ↑{e}
                      </button>
                    </span>
                  ))}
                </div>
              )}
              {compact && (
                <form
                  className="expert-picker"
                  data-testid="expert-picker"
                  onSubmit={(e) => {
                    e.preventDefault();
                    applyPick('mask');
                  }}
                >
                  <label>
                    expert{' '}
                    <input
                      data-testid="picker-expert"
                      {...explain('picker-expert')}
                      aria-label={`expert ids in layer ${focus.layer} (0–${E - 1}, e.g. 3+17)`}
                      aria-invalid={pickError ? true : undefined}
                      placeholder={`0–${E - 1}, e.g. 3+17`}
                      value={pick}
                      size={10}
                      onChange={(e) => {
                        setPick(e.target.value);
                        setPickError(null);
                      }}
                    />
                  </label>
                  <button type="submit" data-testid="picker-mask" {...explain('mask-expert')}>
                    ⊘ mask
                  </button>
                  <button
                    type="button"
                    data-testid="picker-force"
                    {...explain('force-expert')}
                    onClick={() => applyPick('force')}
                  >
                    ↑ force
                  </button>
                  {pickError && (
                    <span className="picker-error" role="alert" data-testid="picker-error">
                      {pickError}
                    </span>
                  )}
                </form>
              )}
              {buttons.length > 0 && (
                <details className="bias-sliders">
                  <summary {...explain('bias-sliders')}>
                    Logit bias per expert (layer {focus.layer})
                    {compact ? `: the ${buttons.length} shown` : ''}
                  </summary>
                  {buttons.map((e) => {
                    const prefix = `bias:layers=${focus.layer},experts=${e},value=`;
                    const current = Number(
                      interventions.find((s) => s.startsWith(prefix))?.slice(prefix.length) ?? 0,
                    );
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
                          {...explain('bias-slider')}
                          aria-label={`logit bias for expert ${e} in layer ${focus.layer}`}
                          onPointerUp={(ev) =>
                            setBias(e, Number((ev.target as HTMLInputElement).value))
                          }
                          onKeyUp={(ev) =>
                            setBias(e, Number((ev.target as HTMLInputElement).value))
                          }
                        />
                        <output>{current.toFixed(1)}</output>
                      </label>
                    );
                  })}
                </details>
              )}
            </>
          )}
          <ExportButtons svg={svgRef} name={`router-scores-L${focus.layer}-t${t}`} />
        </>
      )}
    </Panel>
  );
}
