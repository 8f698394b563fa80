// Reads the URL once at start (ignoring bad fields with a notice) and mirrors the shareable
// state back into it on every change.
import { useEffect } from 'react';
import { useLab } from './store';
import { parseUrlState, writeUrl, type UrlState } from './urlState';
import { loadModel, sourceForModel } from './engineClient';
import { SHIPPED_MODELS } from '../models/registry';
import { openTraceUrls } from './importTrace';

function toUrl(s: ReturnType<typeof useLab.getState>): UrlState {
  return { prompt: s.prompt, model: s.modelUrl ?? s.modelId, router: s.router, interventions: s.interventions, token: s.focus.token, layer: s.focus.layer, expert: s.focus.expert, trace: s.imported?.urls ?? [], views: s.openViews };
}

export function useUrlSync(): void {
  useEffect(() => {
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
    return useLab.subscribe((now, prev) => {
      const a = toUrl(now);
      const b = toUrl(prev);
      if (JSON.stringify(a) !== JSON.stringify(b)) writeUrl(a);
    });
  }, []);
}
