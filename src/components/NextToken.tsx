import { useState } from 'react';
import { useLab } from '../state/store';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { visibleToken } from './tokenText';
import { explain } from './explain';

/** candidates listed (the engine sends the top 10 of the vocabulary; nothing here grows with V) */
export const NEXT_SHOWN = 10;

/** The model's next-token distribution, the diff against the unmodified run, and generation. */
export function NextToken() {
  const imported = useLab((s) => s.imported);
  const summary = useLab((s) => s.modified.summary);
  const baseline = useLab((s) => s.baseline.summary);
  const diff = useLab((s) => s.diff);
  const gen = useLab((s) => s.generation);
  const running = useLab((s) => s.running);
  const [temperature, setTemperature] = useState(0);
  const [topP, setTopP] = useState(0.9);
  const [maxTokens, setMaxTokens] = useState(24);
  const meanLoss = summary && summary.loss.length ? summary.loss.reduce((a, b) => a + b, 0) / summary.loss.length : null;
  return (
    <Panel title="Next token" testId="next-token" disabled={disabledReason(imported, 'model')}>
      {!summary ? (
        <p className="placeholder">The model's next-token distribution.</p>
      ) : (
        <>
          <ol className="next-list">
            {summary.next.slice(0, NEXT_SHOWN).map((n) => (
              <li key={n.id}>
                <span className="tok" title={JSON.stringify(n.text)}>
                  {visibleToken(n.text)}
                </span>
                <span className="bar" style={{ width: `${Math.round(n.p * 100)}%` }} />
                <span className="p">{(n.p * 100).toFixed(1)}%</span>
              </li>
            ))}
          </ol>
          <p className="stat" {...explain('next-loss')}>
            mean loss <strong data-testid="mean-loss">{meanLoss?.toFixed(3) ?? '–'}</strong> nats
          </p>
          {diff && baseline && (
            <p className="stat diff" {...explain('next-kl')}>
              vs unmodified: KL <strong data-testid="next-kl">{diff.nextKL.toFixed(4)}</strong> nats, Δloss{' '}
              <strong data-testid="loss-delta">{diff.meanLossDelta >= 0 ? '+' : ''}{diff.meanLossDelta.toFixed(4)}</strong>
            </p>
          )}
        </>
      )}
      <fieldset className="gen">
        <legend>Generate</legend>
        <label>
          temperature <input type="number" {...explain('gen-temperature')} min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Number(e.target.value))} />
        </label>
        <label>
          top-p <input type="number" {...explain('gen-top-p')} min={0.05} max={1} step={0.05} value={topP} onChange={(e) => setTopP(Number(e.target.value))} />
        </label>
        <label>
          tokens <input type="number" {...explain('gen-tokens')} min={1} max={128} step={1} value={maxTokens} onChange={(e) => setMaxTokens(Number(e.target.value))} />
        </label>
        <button type="button" disabled={!summary || running} {...explain('generate')} onClick={() => useLab.getState().generate({ maxTokens, temperature, topP, seed: 0 })}>
          Generate
        </button>
        {gen?.running && (
          <button type="button" {...explain('gen-stop')} onClick={() => useLab.getState().cancel()}>
            Stop
          </button>
        )}
        {gen && (
          <p className="gen-text" data-testid="generated-text" aria-label={gen.text}>
            {gen.tokens.map((tok, i) => (
              <span key={i} className="gen-tok" title={tok.experts ? tok.experts.map((ex, l) => `L${l}: ${ex.join(',')}`).join('\n') : undefined}>
                {tok.text}
              </span>
            ))}
          </p>
        )}
      </fieldset>
    </Panel>
  );
}
