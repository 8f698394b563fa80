// The corpus run against the unmodified baseline (native router, no interventions), per MoE layer:
// tokens whose expert set is unchanged, mean Jaccard, load drift (`moe-lab compare`'s measures);
// and against the previous corpus run on this model: load drift and the largest share change.
import type { CorpusCompareLayer, ReportDrift } from '../routing/metrics/corpusRun';

export function CorpusCompare({ rows }: { rows: CorpusCompareLayer[] }) {
  return (
    <>
      <h3>Against the unmodified baseline</h3>
      <table className="align-table" data-testid="corpus-compare">
        <thead>
          <tr>
            <th>layer</th>
            <th title="tokens whose expert set is the baseline's">unchanged</th>
            <th title="mean |A∩B| / |A∪B| of the expert sets">Jaccard</th>
            <th title="total variation distance of the expert loads">load drift</th>
            <th>tokens flipped</th>
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
            <th title="total variation distance of the expert loads">load drift</th>
            <th title="the largest change of a source's share on an expert (now − before)">
              largest share change
            </th>
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
