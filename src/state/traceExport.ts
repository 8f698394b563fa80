// The current run as DESIGN.md §3 trace JSON (the same shape the CLI prints, plus the analyses on
// screen) and as CSV.
import { traceJson } from '../gpu/trace';
import type { LabState } from './store';

export function currentTrace(s: LabState): Record<string, unknown> | null {
  // An opened trace exports as it was opened.
  if (s.imported) return typeof s.imported.trace === 'string' ? (JSON.parse(s.imported.trace) as Record<string, unknown>) : s.imported.trace;
  const summary = s.modified.summary;
  if (!s.manifest || !summary || !s.backend) return null;
  const trace = traceJson(s.manifest, s.backend, { summary, events: s.modified.layers, logits: new Float32Array(0) }, { loss: true });
  const analyses = analysesOf(s);
  return analyses ? { ...trace, analyses } : trace;
}

/**
 * The one-shot analyses on screen, each with the request that made it, exported beside the run
 * (the trace format allows extra fields; importers ignore them). Null when there are none.
 */
export function analysesOf(s: LabState): Record<string, unknown> | null {
  const { attribution, coupling, steering } = s.analyses;
  const out: Record<string, unknown> = {
    ...(s.alignment ? { alignment: s.alignment } : {}),
    ...(attribution ? { attribution: { request: attribution.request, frequencyA: attribution.A, frequencyB: attribution.B } } : {}),
    ...(coupling ? { coupling: { request: coupling.request, M: coupling.M, routerRows: coupling.R, scoreNormCorrelation: coupling.corr } } : {}),
    ...(steering ? { steering: { request: steering.request, result: steering.result } } : {}),
  };
  return Object.keys(out).length ? out : null;
}

/** One row per (layer, token): layer, token index, token id, token text, experts, gates, dropped. */
export function currentTraceCsv(s: LabState): string | null {
  const summary = s.modified.summary;
  if (!summary) return null;
  const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
  const rows = ['layer,token,token_id,token_text,experts,gates,dropped'];
  for (const ev of s.modified.layers) {
    if (!ev) continue;
    for (let t = 0; t < ev.T; t++) {
      const tok = summary.tokens[t];
      rows.push([ev.layer, t, tok.id, q(tok.text), q(ev.selected[t].join(' ')), q(ev.gates[t].map((g) => g.toFixed(6)).join(' ')), ev.dropped[t]].join(','));
    }
  }
  return rows.join('\n') + '\n';
}
