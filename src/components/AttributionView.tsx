import { useMemo, useState } from 'react';
import { useLab } from '../state/store';
import { contrastiveRanking, steeringSpecs } from '../routing/metrics/index';
import { probeLanguages } from '../models/manifest';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { explain } from './explain';

/**
 * Contrastive expert attribution: route two text sets (typed, one text per line, or a language of
 * the bundle's probe set: its first N articles, one text each, as `moe-lab attribute --a-probe
 * <lang> --articles N`), rank experts per layer by routing-frequency difference, and turn the
 * ranking into a steering intervention in one click. Dense layers (no router) are marked, not ranked.
 */
export function AttributionView() {
  const imported = useLab((s) => s.imported);
  const manifest = useLab((s) => s.manifest);
  const setInterventions = useLab((s) => s.setInterventions);
  const interventions = useLab((s) => s.interventions);
  const setError = useLab((s) => s.setError);
  // The inputs start from the request of the result on screen (e.g. restored from a shared URL).
  const result = useLab((s) => s.analyses.attribution);
  const busy = useLab((s) => s.analysisBusy.attribution === true);
  const [a, setA] = useState(result?.request.a ?? 'All human beings are born free and equal in dignity and rights.');
  const [b, setB] = useState(result?.request.b ?? 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.');
  const [tau, setTau] = useState(0.1);
  const [lambda, setLambda] = useState(0.5);
  // '' = the typed texts; else a probe language
  const [probeA, setProbeA] = useState(result?.request.probeA ?? '');
  const [probeB, setProbeB] = useState(result?.request.probeB ?? '');
  const [articles, setArticles] = useState(result?.request.articles ?? 5);
  // A result computed elsewhere (restored from a shared URL) brings its inputs with it.
  const [shown, setShown] = useState(result);
  if (result !== shown) {
    setShown(result);
    if (result) {
      setA(result.request.a);
      setB(result.request.b);
      setProbeA(result.request.probeA);
      setProbeB(result.request.probeB);
      setArticles(result.request.articles);
    }
  }
  const langs = useMemo(() => (manifest ? probeLanguages(manifest) : []), [manifest]);
  const dense = (l: number) => manifest?.layers[l]?.kind === 'dense';
  // Dense layers route nothing: an empty row, so no ranking and no steering spec there.
  const ranking = useMemo(() => (result ? contrastiveRanking(result.A, result.B).map((r, l) => (manifest?.layers[l]?.kind === 'dense' ? [] : r)) : null), [result, manifest]);

  const run = () => useLab.getState().rankAttribution({ a, b, probeA, probeB, articles });

  const apply = (direction: 'towardsA' | 'suppressB') => {
    if (!ranking) return;
    const specs = steeringSpecs(ranking, { tau, lambda, direction });
    if (specs.length === 0) return setError(`no expert has |Δ| > τ = ${tau}: lower τ`);
    setInterventions([...interventions.filter((s) => !specs.includes(s)), ...specs]);
    useLab.getState().run();
  };

  return (
    <Panel title="Contrastive expert attribution" testId="attribution-view" disabled={disabledReason(imported, 'model')}>
      <div className="attr-inputs">
        {(
          [
            ['a', 'set A', a, setA, probeA, setProbeA],
            ['b', 'set B', b, setB, probeB, setProbeB],
          ] as const
        ).map(([id, label, text, setText, probe, setProbe]) => (
          <div key={id} className="attr-set">
            {langs.length > 0 && (
              <select data-testid={`attr-${id}-probe`} {...explain('attr-probe')} aria-label={`${label}: typed texts or a probe language`} value={probe} onChange={(e) => setProbe(e.target.value)}>
                <option value="">typed texts</option>
                {langs.map((l) => (
                  <option key={l} value={l}>
                    probe: {l}
                  </option>
                ))}
              </select>
            )}
            <label>
              {label} {probe ? `(probe ${probe}: first ${articles} articles, one text each)` : '(one text per line)'}
              <textarea data-testid={`attr-${id}`} {...explain('attr-text')} rows={2} value={text} disabled={probe !== ''} onChange={(e) => setText(e.target.value)} />
            </label>
          </div>
        ))}
        {(probeA || probeB) && (
          <label>
            articles <input type="number" data-testid="attr-articles" {...explain('attr-articles')} min={1} max={100} value={articles} onChange={(e) => setArticles(Math.max(1, Math.floor(Number(e.target.value)) || 1))} />
          </label>
        )}
      </div>
      <button type="button" data-testid="attr-run" {...explain('attr-run')} disabled={!manifest || busy} onClick={run}>
        {busy ? 'Routing…' : 'Rank experts by A − B'}
      </button>
      {ranking && (
        <>
          <table className="align-table" data-testid="attr-table">
            <thead>
              <tr>
                <th>layer</th>
                <th {...explain('attr-top-a')}>top for A</th>
                <th {...explain('attr-top-b')}>top for B</th>
              </tr>
            </thead>
            <tbody>
              {ranking.map((row, l) =>
                dense(l) ? (
                  <tr key={l} data-layer={l} data-kind="dense">
                    <td>L{l}</td>
                    <td colSpan={2} data-testid={`attr-top-a-${l}`}>
                      layer {l} is dense (no router)
                    </td>
                  </tr>
                ) : (
                  <tr key={l} data-layer={l}>
                    <td>L{l}</td>
                    <td data-testid={`attr-top-a-${l}`}>{row.slice(0, 2).map((r) => `${r.expert} (${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(2)})`).join(', ')}</td>
                    <td>{row.slice(-2).reverse().map((r) => `${r.expert} (${r.delta.toFixed(2)})`).join(', ')}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
          <div className="attr-apply">
            <label>
              τ <input type="number" {...explain('attr-tau')} step={0.05} value={tau} onChange={(e) => setTau(Number(e.target.value))} />
            </label>
            <label>
              λ <input type="number" {...explain('attr-lambda')} step={0.1} value={lambda} onChange={(e) => setLambda(Number(e.target.value))} />
            </label>
            <button type="button" data-testid="attr-towards-a" onClick={() => apply('towardsA')} {...explain('attr-towards-a')}>
              Steer towards A
            </button>
            <button type="button" data-testid="attr-suppress-b" onClick={() => apply('suppressB')} {...explain('attr-suppress-b')}>
              Suppress B
            </button>
          </div>
        </>
      )}
    </Panel>
  );
}
