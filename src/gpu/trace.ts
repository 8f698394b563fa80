// A pass → the trace JSON of DESIGN.md §3 (also what the page exports and imports).
import { modelExperts, type Manifest } from '../models/manifest';
import type { BackendName, PassResult } from '../routing/run';

export interface TraceOptions {
  loss?: boolean;
  /** UTF-8 bytes of the traced text, to report bits per byte with the loss */
  bytes?: number;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function traceJson(m: Manifest, backend: BackendName, pass: PassResult, opts: TraceOptions = {}) {
  const { summary, events } = pass;
  const T = summary.tokens.length;
  const out: Record<string, unknown> = {
    model: { id: m.id, name: m.name, architecture: m.architecture, numLayers: m.numLayers, numExperts: modelExperts(m), topK: m.router.topK, vocabSize: m.vocabSize },
    backend,
    router: summary.router,
    interventions: summary.interventions,
    tokens: summary.tokens,
    layers: events.map((e) => ({
      index: e.layer,
      kind: e.kind,
      // a dense layer has no router: no routerLogits, empty selections
      ...(e.kind === 'dense' ? {} : { routerLogits: Array.from({ length: T }, (_, t) => Array.from(e.routerLogits.subarray(t * e.E, (t + 1) * e.E), round)) }),
      selected: e.selected,
      gates: e.gates.map((g) => g.map(round)),
      ...(e.dropped.some((d) => d) ? { dropped: Array.from(e.dropped) } : {}),
      ...(e.skipped ? { skipped: true } : {}),
    })),
    next: summary.next.map((n) => ({ ...n, p: round(n.p) })),
    notices: summary.notices,
  };
  if (opts.loss) {
    out.loss = summary.loss.map(round);
    const total = summary.loss.reduce((a, b) => a + b, 0);
    out.lossSummary = {
      meanNats: summary.loss.length ? total / summary.loss.length : 0,
      totalNats: total,
      predictedTokens: summary.loss.length,
      // The uniform-over-vocabulary baseline spends log2 V bits on every predicted token.
      ...(opts.bytes ? { bytes: opts.bytes, bitsPerByte: total / Math.LN2 / opts.bytes, uniformBitsPerByte: (summary.loss.length * Math.log2(m.vocabSize)) / opts.bytes } : {}),
      uniformNatsPerToken: Math.log(m.vocabSize),
    };
  }
  return out;
}
