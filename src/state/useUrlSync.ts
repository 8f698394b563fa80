// The page's state and its URL: read once at start (ignoring bad fields with a notice), then the
// shareable state is mirrored back into the URL on every change.
import { useEffect } from 'react';
import { useLab } from './store';
import { parseUrlState, writeUrl, type UrlState } from './urlState';
import { loadModel, sourceForModel } from './engineClient';
import { SHIPPED_MODELS } from '../models/registry';
import { openTraceUrls } from './importTrace';

function toUrl(s: ReturnType<typeof useLab.getState>): UrlState {
  return { prompt: s.prompt, model: s.modelUrl ?? s.modelId, router: s.router, interventions: s.interventions, token: s.focus.token, layer: s.focus.layer, expert: s.focus.expert, trace: s.imported?.urls ?? [], views: s.openViews };
}

/**
 * Reads the URL once at page start (bad fields ignored with a notice) and starts loading its model
 * at once: main.tsx calls it before React renders, so the download overlaps the first render.
 */
export function initFromUrl(): void {
  const { state, notices } = parseUrlState(location.search);
  const shipped = SHIPPED_MODELS.some((m) => m.id === state.model);
  useLab.setState({
    prompt: state.prompt,
    router: state.router,
    interventions: state.interventions,
    focus: { token: state.token, layer: state.layer, expert: state.expert },
    pinned: state.token !== 0 || state.layer !== 0,
    notices,
    openViews: state.views,
    ...(shipped ? { modelId: state.model, modelUrl: null } : { modelUrl: state.model }),
  });
  const s = useLab.getState();
  loadModel(sourceForModel(s.modelId, s.modelUrl));
  if (state.trace.length) void openTraceUrls(state.trace);
}

/** Mirrors the shareable state into the URL on every change. */
export function useUrlSync(): void {
  useEffect(
    () =>
      useLab.subscribe((now, prev) => {
        const a = toUrl(now);
        const b = toUrl(prev);
        if (JSON.stringify(a) !== JSON.stringify(b)) writeUrl(a);
      }),
    [],
  );
}
