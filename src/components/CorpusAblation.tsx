// The corpus view's causal check (`moe-lab ablate`): mask the n experts a source prefers in every
// MoE layer and compare the loss change on it and on the other sources with masking n random
// experts (mean ± sample std over the seeds).
import { useState } from 'react';
import { useLab } from '../state/store';
import type { Spread } from '../routing/metrics/ablation';
import { explain } from './explain';

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
const pm = (s: Spread) => `${signed(s.mean)} ± ${s.std.toFixed(3)}`;

export function CorpusAblation({ sources, maxN }: { sources: string[]; maxN: number }) {
  const result = useLab((s) => s.analyses.ablation);
  const busy = useLab((s) => s.analysisBusy.ablation === true);
  const corpusBusy = useLab((s) => s.analysisBusy.corpus === true);
  const runAblation = useLab((s) => s.runAblation);
  const cancelCorpus = useLab((s) => s.cancelCorpus);
  const [source, setSource] = useState(sources[0] ?? '');
  const [n, setN] = useState(Math.min(2, maxN));
  const [seeds, setSeeds] = useState(3);
  const src = sources.includes(source) ? source : (sources[0] ?? '');
  const r = result?.result;
  return (
    <div className="corpus-ablation" data-testid="corpus-ablation">
      <h3>Ablate a source's experts</h3>
      <label>
        source{' '}
        <select
          value={src}
          onChange={(e) => setSource(e.currentTarget.value)}
          data-testid="ablate-source"
          {...explain('ablate-source')}
        >
          {sources.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>{' '}
      <label>
        n{' '}
        <input
          type="number"
          min={1}
          max={maxN}
          value={n}
          onChange={(e) =>
            setN(Math.min(maxN, Math.max(1, Math.round(Number(e.currentTarget.value)) || 1)))
          }
          style={{ width: '3.5em' }}
          data-testid="ablate-n"
          {...explain('ablate-n')}
        />
      </label>{' '}
      <label>
        seeds{' '}
        <input
          type="number"
          min={1}
          max={50}
          value={seeds}
          onChange={(e) =>
            setSeeds(Math.min(50, Math.max(1, Math.round(Number(e.currentTarget.value)) || 1)))
          }
          style={{ width: '3.5em' }}
          data-testid="ablate-seeds"
          {...explain('ablate-seeds')}
        />
      </label>{' '}
      <button
        type="button"
        disabled={busy || corpusBusy || sources.length < 2}
        onClick={() => void runAblation({ source: src, n, seeds })}
        data-testid="ablate-run"
        {...explain('ablate-run')}
        title={sources.length < 2 ? 'needs at least two sources' : undefined}
      >
        Ablate
      </button>{' '}
      {busy && (
        <button
          type="button"
          onClick={cancelCorpus}
          data-testid="ablate-cancel"
          {...explain('ablate-cancel')}
        >
          Cancel
        </button>
      )}
      {r && (
        <table className="align-table" data-testid="ablate-table">
          <caption className="placeholder">
            Loss change (nats per token) when masking {r.source}'s {r.n} preferred experts in layers{' '}
            {r.layers.join(', ')} (
            {r.preferred.experts.map((e, i) => `L${r.layers[i]}: ${e.join('+')}`).join('; ')}) vs{' '}
            {r.n} random experts ({r.random.target.n} seeds, mean ± std)
          </caption>
          <thead>
            <tr>
              <th></th>
              <th>on {r.source}</th>
              <th>on the others</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td {...explain('ablate-baseline')}>baseline loss</td>
              <td>{r.baseline.target.toFixed(3)}</td>
              <td>{r.baseline.others.toFixed(3)}</td>
            </tr>
            <tr>
              <td {...explain('ablate-preferred')}>preferred masked</td>
              <td data-testid="ablate-preferred-target">{signed(r.preferred.deltaLoss.target)}</td>
              <td>{signed(r.preferred.deltaLoss.others)}</td>
            </tr>
            <tr>
              <td {...explain('ablate-random')}>random masked</td>
              <td data-testid="ablate-random-target">{pm(r.random.target)}</td>
              <td>{pm(r.random.others)}</td>
            </tr>
          </tbody>
        </table>
      )}
    </div>
  );
}
