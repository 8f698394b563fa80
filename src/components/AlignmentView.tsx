import { useEffect, useMemo, useRef, useState } from 'react';
import { interpolateViridis, scaleBand, scaleLinear, select } from 'd3';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { promptPairDivergence } from '../routing/metrics/index';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { explain } from './explain';

const W = 320;
const ROW = 16;
const M = { top: 18, right: 8, bottom: 8, left: 34 };

/**
 * Cross-lingual routing alignment (Multilingual Routing in MoE): per language and layer, the
 * Jensen–Shannon divergence (bits) between the mean routing vectors of parallel probe articles
 * and English's. Darker = more divergent. Computed on the model's held-out UDHR probes.
 */
export function AlignmentView() {
  const imported = useLab((s) => s.imported);
  const manifest = useLab((s) => s.manifest);
  const result = useLab((s) => s.alignment);
  const aligning = useLab((s) => s.aligning);
  const svgRef = useRef<SVGSVGElement>(null);
  const [articles, setArticles] = useState(31);
  const langs = useMemo(() => (result ? result.languages.filter((l) => l !== result.ref) : []), [result]);
  const H = M.top + M.bottom + ROW * langs.length;
  const denseLayers = result ? (result.jsd[result.ref] ?? []).flatMap((v, l) => (v === null ? [l] : [])) : [];

  useEffect(() => {
    if (!result || !svgRef.current) return;
    const svg = select(svgRef.current);
    const layers = Array.from({ length: result.numLayers }, (_, l) => l);
    const x = scaleBand<number>().domain(layers).range([M.left, W - M.right]).padding(0.05);
    const y = scaleBand<string>().domain(langs).range([M.top, H - M.bottom]).padding(0.05);
    const max = Math.max(1e-6, ...langs.flatMap((l) => result.jsd[l].filter((v) => v !== null)));
    const color = scaleLinear<number>().domain([0, max]).range([0.95, 0.1]);
    // Dense layers (no router) have no JSD: grey cells labelled as such, never a misleading 0.
    const cells = langs.flatMap((lang) => layers.map((l) => ({ key: `${lang}:${l}`, lang, l, v: result.jsd[lang][l] })));
    svg
      .selectAll<SVGRectElement, (typeof cells)[number]>('rect.cell')
      .data(cells, (d) => d.key)
      .join('rect')
      .attr('class', 'cell')
      .attr('x', (d) => x(d.l)!)
      .attr('y', (d) => y(d.lang)!)
      .attr('width', x.bandwidth())
      .attr('height', y.bandwidth())
      .attr('fill', (d) => (d.v === null ? '#e4e6eb' : interpolateViridis(color(d.v))))
      .attr('data-lang', (d) => d.lang)
      .attr('data-layer', (d) => d.l)
      .attr('data-jsd', (d) => (d.v === null ? '' : d.v.toFixed(4)))
      .attr('data-kind', (d) => (d.v === null ? 'dense' : null))
      .selectAll('title')
      .data((d) => [d])
      .join('title')
      .text((d) => (d.v === null ? `layer ${d.l} is dense (no router): no routing to compare` : `${d.lang}, layer ${d.l}: JSD to ${result.ref} = ${d.v.toFixed(4)} bits`));
    svg
      .selectAll<SVGTextElement, string>('text.lang')
      .data(langs, (d) => d)
      .join('text')
      .attr('class', 'lang')
      .attr('x', M.left - 4)
      .attr('y', (d) => y(d)! + y.bandwidth() / 2 + 4)
      .attr('text-anchor', 'end')
      .attr('font-size', 11)
      .text((d) => d);
    svg
      .selectAll<SVGTextElement, number>('text.layer')
      .data(layers, (d) => d)
      .join('text')
      .attr('class', 'layer')
      .attr('x', (d) => x(d)! + x.bandwidth() / 2)
      .attr('y', M.top - 5)
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .text((d) => `L${d}`);
  }, [result, langs, H]);

  return (
    <Panel title="Cross-lingual alignment" testId="alignment-view" disabled={disabledReason(imported, 'model')}>
      <PromptPair />
      {!manifest ? (
        <p className="placeholder">Routing of the model's parallel probe texts, once a model has loaded.</p>
      ) : !manifest.probes ? (
        <p className="placeholder">This model ships no parallel probe texts (probes/), so there is nothing to align.</p>
      ) : (
        <>
          <p className="hint" {...explain('align-jsd')}>
            JS divergence of each language’s routing to {result?.ref ?? 'en'}’s on parallel held-out UDHR articles, per layer. Darker = more different from {result?.ref ?? 'en'}.
          </p>
          <label className="hint">
            articles <input type="number" data-testid="align-articles" {...explain('align-articles')} min={1} max={100} value={articles} onChange={(e) => setArticles(Math.min(100, Math.max(1, Math.floor(Number(e.target.value)) || 1)))} />{' '}
          </label>
          <button type="button" data-testid="run-align" {...explain('align-run')} disabled={aligning} onClick={() => useLab.getState().align(articles)}>
            {aligning ? 'Aligning…' : result ? 'Re-run alignment' : `Run on ${manifest.languages?.length ?? '?'} languages`}
          </button>
          {result && (
            <>
              <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label="language by layer heatmap of JS divergence to English" />
              {denseLayers.length > 0 && (
                <p className="hint" data-testid="dense-note">
                  Dense layer{denseLayers.length > 1 ? 's' : ''} {denseLayers.join(', ')} (no router): grey, no JSD, left out of the means.
                </p>
              )}
              <table className="align-table">
                <thead>
                  <tr>
                    <th>lang</th>
                    <th {...explain('align-jsd')}>mean JSD</th>
                    <th {...explain('align-min-layer')}>min layer</th>
                  </tr>
                </thead>
                <tbody>
                  {langs.map((l) => {
                    // over the MoE layers only (dense layers have no JSD)
                    const v = result.jsd[l];
                    const moe = v.filter((x): x is number => x !== null);
                    const mean = moe.reduce((a, b) => a + b, 0) / Math.max(1, moe.length);
                    const best = v.indexOf(Math.min(...moe));
                    return (
                      <tr key={l} data-lang={l}>
                        <td>{l}</td>
                        <td data-testid={`align-mean-${l}`}>{mean.toFixed(4)}</td>
                        <td>L{best}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <ExportButtons svg={svgRef} name="alignment" />
              <SteeringControls langs={langs} />
            </>
          )}
        </>
      )}
    </Panel>
  );
}

/**
 * The paper's steering test: steer experts English uses more than the target language (Δ_e > τ)
 * in the middle layers vs outside them, and compare the target-language probe loss change.
 */
function SteeringControls({ langs }: { langs: string[] }) {
  const result = useLab((s) => s.alignment);
  const steering = useLab((s) => s.analyses.steering);
  const busy = useLab((s) => s.analysisBusy.steering === true);
  const [target, setTarget] = useState(steering?.request.target ?? langs[0] ?? '');
  const [tau, setTau] = useState(steering?.request.tau ?? 0.02);
  const [lambda, setLambda] = useState(steering?.request.lambda ?? 0.5);
  const steer = steering?.result ?? null;
  // A result computed elsewhere (restored from a shared URL) brings its settings with it.
  const [shown, setShown] = useState(steering);
  if (steering !== shown) {
    setShown(steering);
    if (steering) {
      setTarget(steering.request.target);
      setTau(steering.request.tau);
      setLambda(steering.request.lambda);
    }
  }
  if (!result) return null;
  const run = () => useLab.getState().runSteering({ target, tau, lambda });
  const fmt = (d: number) => `${d >= 0 ? '+' : ''}${d.toFixed(4)}`;
  return (
    <fieldset className="gen" data-testid="steering">
      <legend {...explain('align-steer')}>Steer towards English</legend>
      <select aria-label="target language" {...explain('steer-target')} value={target} onChange={(e) => setTarget(e.target.value)}>
        {langs.map((l) => (
          <option key={l}>{l}</option>
        ))}
      </select>
      <label>
        τ <input type="number" {...explain('steer-tau')} step={0.01} value={tau} onChange={(e) => setTau(Number(e.target.value))} />
      </label>
      <label>
        λ <input type="number" {...explain('steer-lambda')} step={0.1} value={lambda} onChange={(e) => setLambda(Number(e.target.value))} />
      </label>
      <button type="button" data-testid="steer-run" {...explain('steer-run')} disabled={busy || !target} onClick={run}>
        {busy ? 'Running…' : 'Run'}
      </button>
      {steer && (
        <p className="stat" data-testid="steer-result" {...explain('steer-result')}>
          {steer.target} probe loss: middle layers {steer.middle.layers.join(',')} <strong>{fmt(steer.middle.delta)}</strong> nats/token ({steer.middle.interventions.length} steer specs); outside{' '}
          {steer.outside.layers.join(',')} <strong>{fmt(steer.outside.delta)}</strong>
        </p>
      )}
    </fieldset>
  );
}

/**
 * The last two prompts run (e.g. a sentence and its translation) compared layer by layer: JSD of
 * their mean routing vectors under the model's own router, the measure of the probe heatmap
 * applied to one pair of texts.
 */
function PromptPair() {
  const pair = useLab((s) => s.promptPair);
  const d = useMemo(() => {
    if (!pair.prev || !pair.cur) return null;
    const probs = (layers: LayerEvent[]) => layers.map((ev) => (ev && ev.kind !== 'dense' ? { probs: ev.probs, T: ev.T, E: ev.E } : null));
    return promptPairDivergence(probs(pair.prev.layers), probs(pair.cur.layers));
  }, [pair]);
  if (!d || !pair.prev || !pair.cur) return null;
  const short = (t: string) => (t.length > 40 ? `${t.slice(0, 39)}…` : t);
  return (
    <div className="prompt-pair" data-testid="prompt-pair">
      <p className="hint" {...explain('pair-jsd')}>
        Your last two prompts, “{short(pair.prev.text)}” and “{short(pair.cur.text)}”: JS divergence of their routing per layer (lower = the layers line up).
      </p>
      <table className="align-table">
        <tbody>
          <tr>
            {d.map((_, l) => (
              <th key={l}>L{l}</th>
            ))}
          </tr>
          <tr>
            {d.map((v, l) => (
              <td key={l} data-layer={l} data-jsd={v === null ? '' : v.toFixed(4)}>
                {v === null ? 'dense' : v.toFixed(3)}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}
