// The page's state and its URL: read once at start (ignoring bad fields with a notice), then the
// shareable state is mirrored back into the URL on every change. Analyses on screen are part of
// the URL by their requests; opening the link computes them again (pendingAnalyses.ts).
import { useEffect } from 'react';
import { CORPUS_VIEW_DEFAULTS, useLab, type LabState } from './store';
import { parseUrlState, URL_DEFAULTS, writeUrl, type UrlState } from './urlState';
import { SHIPPED_MODELS } from '../models/registry';
import { openTraceUrls } from './importTrace';
import type { AnalysisRequests, AttributionRequest } from './actions';
import { runPendingAnalyses } from './pendingAnalyses';
import { initTrain } from './train';
import { FIRST_VISIT_PROMPT, firstVisitUrl, startFirstVisit } from './firstVisit';

const PROBE = 'probe:';

/** An attribution set in the URL: `probe:<lang>` or the typed texts. */
const attrSet = (text: string, probe: string) => (probe ? `${PROBE}${probe}` : text);

function toUrl(s: LabState): UrlState {
  const attr = s.analyses.attribution?.request;
  const coupling = s.analyses.coupling?.request;
  const steer = s.analyses.steering?.request;
  return {
    prompt: s.prompt,
    model: s.modelUrl ?? s.modelId,
    router: s.router,
    interventions: s.interventions,
    token: s.focus.token,
    layer: s.focus.layer,
    expert: s.focus.expert,
    trace: s.imported?.urls ?? [],
    views: s.openViews,
    colour: s.mapColour,
    align: s.alignment ? s.alignment.articles.length : null,
    attrA: attr ? attrSet(attr.a, attr.probeA) : '',
    attrB: attr ? attrSet(attr.b, attr.probeB) : '',
    attrN: attr?.articles ?? URL_DEFAULTS.attrN,
    coupling: coupling ?? null,
    steer: steer ?? null,
    mode: 'lab',
    train: '',
    corpus: s.corpusView.probes ? s.corpusView.articles : null,
    corpusLayer: s.corpusView.layer,
  };
}

/** The analyses a URL asks for (attribution only when both of its sets are given). */
export function analysisRequests(u: UrlState): AnalysisRequests | null {
  const set = (v: string) =>
    v.startsWith(PROBE) ? { text: '', probe: v.slice(PROBE.length) } : { text: v, probe: '' };
  const a = set(u.attrA);
  const b = set(u.attrB);
  const attribution: AttributionRequest | undefined =
    u.attrA && u.attrB
      ? { a: a.text, b: b.text, probeA: a.probe, probeB: b.probe, articles: u.attrN }
      : undefined;
  const req: AnalysisRequests = {
    ...(u.align !== null || u.steer ? { align: u.align ?? 31 } : {}),
    ...(attribution ? { attribution } : {}),
    ...(u.coupling ? { coupling: u.coupling } : {}),
    ...(u.steer ? { steering: u.steer } : {}),
    ...(u.corpus !== null ? { corpus: { articles: u.corpus } } : {}),
  };
  return Object.keys(req).length ? req : null;
}

/**
 * Reads the URL once at page start (bad fields ignored with a notice) and starts loading its model
 * at once (after its trace, if it names one): main.tsx calls it before React renders, so the
 * download overlaps the first render.
 */
export function initFromUrl(): void {
  const { state, notices } = parseUrlState(location.search);
  // The training playground needs no model: it starts its own trainer instead.
  if (state.mode === 'train') {
    useLab.setState({ pageNotices: notices });
    initTrain(state.train);
    return;
  }
  const shipped = SHIPPED_MODELS.some((m) => m.id === state.model);
  useLab.setState({
    prompt: startFirstVisit(location.search) ? FIRST_VISIT_PROMPT : state.prompt,
    router: state.router,
    interventions: state.interventions,
    focus: { token: state.token, layer: state.layer, expert: state.expert },
    pinned: state.token !== 0 || state.layer !== 0,
    pageNotices: notices,
    openViews: state.views,
    mapColour: state.colour,
    corpusView: {
      probes: state.corpus !== null,
      articles: state.corpus ?? CORPUS_VIEW_DEFAULTS.articles,
      layer: state.corpusLayer,
    },
    pendingAnalyses: analysisRequests(state),
    ...(shipped ? { modelId: state.model, modelUrl: null } : { modelUrl: state.model }),
  });
  const s = useLab.getState();
  // A trace in the URL opens first and the model loads after it: on 2 cores the model's
  // WebAssembly and graphs took the CPU from the trace's reader and its first map.
  if (state.trace.length)
    void openTraceUrls(state.trace).finally(() => s.openModel(s.modelId, s.modelUrl));
  else s.openModel(s.modelId, s.modelUrl);
  if (s.pendingAnalyses) runPendingAnalyses();
}

/** Mirrors the shareable state into the URL on every change. */
export function useUrlSync(): void {
  useEffect(
    () =>
      useLab.subscribe((now, prev) => {
        const a = toUrl(now);
        const b = toUrl(prev);
        if (JSON.stringify(a) !== JSON.stringify(b)) writeUrl(firstVisitUrl(a));
      }),
    [],
  );
}
