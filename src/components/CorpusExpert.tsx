// One expert of a corpus run: its load, each source's share, its top tokens (OLMoE's vocabulary
// specialisation) and top activating contexts. Token text is rendered as text, never HTML.
import type { CorpusExpert as Expert } from '../routing/metrics/corpus';
import { visibleToken } from './tokenText';
import { explain } from './explain';

export function CorpusExpert({
  layer,
  expert,
  sources,
  uniform,
}: {
  layer: number;
  expert: Expert;
  sources: string[];
  uniform: number;
}) {
  return (
    <div className="corpus-expert" data-testid="corpus-expert">
      <h3>
        Layer {layer} · expert {expert.id}{' '}
        <span className="placeholder" {...explain('corpus-load')}>
          load {(100 * expert.load).toFixed(1)}% of the layer's selections
        </span>
      </h3>
      <table className="align-table">
        <thead>
          <tr>
            <th>source</th>
            <th {...explain('corpus-share')}>share</th>
            <th {...explain('corpus-uniform')}>× uniform</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr key={s}>
              <td>{s}</td>
              <td data-testid={`corpus-share-${s}`}>{(expert.sources[s] ?? 0).toFixed(4)}</td>
              <td>{((expert.sources[s] ?? 0) / uniform).toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4 {...explain('corpus-top-tokens')}>Top tokens</h4>
      {expert.topTokens.length ? (
        <ol className="corpus-tokens" data-testid="corpus-top-tokens">
          {expert.topTokens.map((t) => (
            <li
              key={t.id}
              title={`token ${t.id}: ${t.count} occurrences, ${(100 * t.share).toFixed(1)}% routed here`}
            >
              <code>{visibleToken(t.text)}</code> {(100 * t.share).toFixed(0)}% of {t.count}
            </li>
          ))}
        </ol>
      ) : (
        <p className="placeholder">
          No token occurs often enough in the corpus (see the minimum count).
        </p>
      )}
      <h4 {...explain('corpus-contexts')}>Top contexts</h4>
      {expert.contexts.length ? (
        <ul className="corpus-contexts" data-testid="corpus-contexts">
          {expert.contexts.map((c, i) => (
            <li
              key={i}
              title={`${c.source}, sequence ${c.sequence + 1}, position ${c.position}: gate ${c.gate.toFixed(3)}`}
            >
              <span>{c.before}</span>
              <mark>{c.token}</mark>
              <span>{c.after}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="placeholder">No context (the expert was never chosen).</p>
      )}
    </div>
  );
}
