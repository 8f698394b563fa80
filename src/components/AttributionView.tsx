import { useMemo, useState } from 'react';
import { useLab } from '../state/store';
import { ask, runPrompt } from '../state/engineClient';
import { contrastiveRanking, routingFrequency, steeringSpecs } from '../routing/metrics/index';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';

/**
 * Contrastive expert attribution: route two text sets (one text per line), rank experts per layer
 * by routing-frequency difference, and turn the ranking into a steering intervention in one click.
 */
export function AttributionView() {
  const imported = useLab((s) => s.imported);
  const manifest = useLab((s) => s.manifest);
  const setInterventions = useLab((s) => s.setInterventions);
  const interventions = useLab((s) => s.interventions);
  const setError = useLab((s) => s.setError);
  const [a, setA] = useState('All human beings are born free and equal in dignity and rights.');
  const [b, setB] = useState('Alle Menschen sind frei und gleich an Würde und Rechten geboren.');
  const [freq, setFreq] = useState<{ A: number[][]; B: number[][] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tau, setTau] = useState(0.1);
  const [lambda, setLambda] = useState(0.5);
  const ranking = useMemo(() => (freq ? contrastiveRanking(freq.A, freq.B) : null), [freq]);

  const run = async () => {
    if (!manifest) return;
    setBusy(true);
    try {
      const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean);
      const E = Math.max(...manifest.layers.map((s) => s.numExperts));
      const ra = await ask({ type: 'route-texts', texts: lines(a) });
      const rb = await ask({ type: 'route-texts', texts: lines(b) });
      if (ra.type === 'routed-texts' && rb.type === 'routed-texts') setFreq({ A: routingFrequency(ra.runs, E), B: routingFrequency(rb.runs, E) });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const apply = (direction: 'towardsA' | 'suppressB') => {
    if (!ranking) return;
    const specs = steeringSpecs(ranking, { tau, lambda, direction });
    if (specs.length === 0) return setError(`no expert has |Δ| > τ = ${tau}: lower τ`);
    setInterventions([...interventions.filter((s) => !specs.includes(s)), ...specs]);
    runPrompt();
  };

  return (
    <Panel title="Contrastive expert attribution" testId="attribution-view" disabled={disabledReason(imported, 'model')}>
      <div className="attr-inputs">
        <label>
          set A (one text per line)
          <textarea data-testid="attr-a" rows={2} value={a} onChange={(e) => setA(e.target.value)} />
        </label>
        <label>
          set B
          <textarea data-testid="attr-b" rows={2} value={b} onChange={(e) => setB(e.target.value)} />
        </label>
      </div>
      <button type="button" data-testid="attr-run" disabled={!manifest || busy} onClick={run}>
        {busy ? 'Routing…' : 'Rank experts by A − B'}
      </button>
      {ranking && (
        <>
          <table className="align-table" data-testid="attr-table">
            <thead>
              <tr>
                <th>layer</th>
                <th title="experts used more by A (Δ = freq A − freq B)">top for A</th>
                <th title="experts used more by B">top for B</th>
              </tr>
            </thead>
            <tbody>
              {ranking.map((row, l) => (
                <tr key={l} data-layer={l}>
                  <td>L{l}</td>
                  <td data-testid={`attr-top-a-${l}`}>{row.slice(0, 2).map((r) => `${r.expert} (${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(2)})`).join(', ')}</td>
                  <td>{row.slice(-2).reverse().map((r) => `${r.expert} (${r.delta.toFixed(2)})`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="attr-apply">
            <label>
              τ <input type="number" step={0.05} value={tau} onChange={(e) => setTau(Number(e.target.value))} />
            </label>
            <label>
              λ <input type="number" step={0.1} value={lambda} onChange={(e) => setLambda(Number(e.target.value))} />
            </label>
            <button type="button" data-testid="attr-towards-a" onClick={() => apply('towardsA')} title="soft-steer (+λ·std) the experts A uses more than B">
              Steer towards A
            </button>
            <button type="button" data-testid="attr-suppress-b" onClick={() => apply('suppressB')} title="soft-steer (−λ·std) the experts B uses more than A">
              Suppress B
            </button>
          </div>
        </>
      )}
    </Panel>
  );
}
