// The corpus run against the unmodified baseline (native router, no interventions), per MoE layer:
// tokens whose expert set is unchanged, mean Jaccard, load drift (`moe-lab compare`'s measures);
// and against the previous corpus run on this model: load drift and the largest share change.
import type { CorpusCompareLayer, ReportDrift } from '../routing/metrics/corpusRun';
import { explain } from './explain';

export function CorpusCompare({ rows }: { rows: CorpusCompareLayer[] }) {
  return (
    <>
      <h3>Against the unmodified baseline</h3>
      <table className="align-table" data-testid="corpus-compare">
        <thead>
          <tr>
            <th>layer</th>
            <th {...explain('corpus-unchanged')}>unchanged</th>
            <th {...explain('corpus-jaccard')}>Jaccard</th>
            <th {...explain('corpus-load-drift')}>load drift</th>
            <th {...explain('corpus-flipped')}>tokens flipped</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.index}>
              <td>{r.index}</td>
              <td>{(100 * r.unchanged).toFixed(1)}%</td>
              <td>{r.jaccard.toFixed(3)}</td>
              <td>{r.loadDrift.toFixed(3)}</td>
              <td>
                {r.flipped} / {r.tokens}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function CorpusDrift({ rows, previous }: { rows: ReportDrift[]; previous: string }) {
  return (
    <>
      <h3>Against the previous run ({previous})</h3>
      <table className="align-table" data-testid="corpus-drift">
        <thead>
          <tr>
            <th>layer</th>
            <th {...explain('corpus-load-drift')}>load drift</th>
            <th {...explain('corpus-share-change')}>largest share change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.index}>
              <td>{r.index}</td>
              <td>{r.loadDrift.toFixed(3)}</td>
              <td>
                {r.maxShareChange
                  ? `${r.maxShareChange.delta >= 0 ? '+' : ''}${r.maxShareChange.delta.toFixed(3)} (${r.maxShareChange.source} → expert ${r.maxShareChange.expert})`
                  : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
