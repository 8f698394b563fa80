// Two models over the same corpus (the previous corpus run was on another model): per source, each model's
// specialisation and how many of its experts the source's tokens use — babel-moe's 8 experts against
// deepseek-moe's 32 on the same probe texts. `moe-lab compare` of two corpus reports gives the same numbers.
import type { CorpusModelsComparison } from '../routing/metrics/corpusModels';
import { explain } from './explain';

const f = (x: number | undefined, d = 2) => (x === undefined ? '–' : x.toFixed(d));

export function CorpusModels({ c }: { c: CorpusModelsComparison }) {
  const [a, b] = c.models;
  return (
    <>
      <h3>
        Two models on this corpus ({a}, then {b})
      </h3>
      <table className="align-table" data-testid="corpus-models">
        <thead>
          <tr>
            <th>source</th>
            <th {...explain('corpus-models-specialisation')}>specialisation {a}</th>
            <th {...explain('corpus-models-specialisation')}>specialisation {b}</th>
            <th {...explain('corpus-models-experts-used')}>experts used {a}</th>
            <th {...explain('corpus-models-experts-used')}>experts used {b}</th>
            <th {...explain('corpus-models-cover90')}>90 % in {a}</th>
            <th {...explain('corpus-models-cover90')}>90 % in {b}</th>
          </tr>
        </thead>
        <tbody>
          {c.summary.map((s) => (
            <tr key={s.source}>
              <td>{s.source}</td>
              <td>{f(s.a?.specialisation)}</td>
              <td>{f(s.b?.specialisation)}</td>
              <td>
                {f(s.a?.effectiveExperts, 1)} ({f(s.a ? 100 * s.a.effectiveShare : undefined, 0)}%)
              </td>
              <td>
                {f(s.b?.effectiveExperts, 1)} ({f(s.b ? 100 * s.b.effectiveShare : undefined, 0)}%)
              </td>
              <td>{f(s.a?.cover90, 1)}</td>
              <td>{f(s.b?.cover90, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {c.notices.map((n) => (
        <p key={n} className="notice">
          {n}
        </p>
      ))}
    </>
  );
}
