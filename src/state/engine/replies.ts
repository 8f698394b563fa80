// The worker's replies → the store. Replies of superseded requests are dropped.
import { useLab, emptyPass, type PromptRun } from '../store';
import type { WorkerReply } from '../../gpu/protocol';
import { abortPageDownload, runPrompt } from './commands';
import {
  currentRunText,
  flushLayers,
  markRunShown,
  queueLayer,
  showsProgress,
} from './layerStream';
import { measureLoad, measureRunPainted } from './perfMarks';
import { progressLabel } from './progressLabel';
import { current, sources } from './requests';
import { firstMoeLayer } from '../../routing/run';

/**
 * The last two distinct prompts with the model's own routing: the unmodified baseline when the
 * run had a router or interventions, else the run itself. A new text pushes the older one out.
 */
function nextPromptPair(
  s: ReturnType<typeof useLab.getState>,
  hasBaseline: boolean,
): { prev: PromptRun | null; cur: PromptRun | null } {
  const text = currentRunText();
  const run = { text, layers: hasBaseline ? s.baseline.layers : s.modified.layers };
  const { prev, cur } = s.promptPair;
  return cur && cur.text !== text ? { prev: cur, cur: run } : { prev, cur: run };
}

export function handleReply(msg: WorkerReply): void {
  const s = useLab.getState();
  const isLoad = msg.requestId === current.load;
  if (msg.requestId !== current.run && !isLoad && msg.requestId !== current.align) return; // stale
  switch (msg.type) {
    case 'progress':
      if (showsProgress(msg.progress)) useLab.setState({ progress: progressLabel(msg.progress) });
      break;
    case 'loaded': {
      sources.previousGood = sources.lastGood;
      sources.lastGood = sources.pending;
      measureLoad(msg.requestId, msg.timings);
      // Per-layer views open on a layer with a router, unless the user (or the URL) chose one.
      const focus =
        s.pinned || s.imported || msg.manifest.layers[s.focus.layer]?.kind !== 'dense'
          ? s.focus
          : { ...s.focus, layer: firstMoeLayer(msg.manifest.layers) };
      // An imported trace on screen stays there while a model loads underneath it. Results of
      // analyses belong to the model they were computed on.
      useLab.setState({
        promptPair: { prev: null, cur: null },
        manifest: msg.manifest,
        backend: msg.backend,
        backendNote: msg.backendNote,
        loading: false,
        progress: null,
        ...(s.imported ? {} : { modified: emptyPass(), baseline: emptyPass(), diff: null }),
        alignment: null,
        analyses: {},
        otherModelCorpus: s.analyses.corpus?.report ?? s.otherModelCorpus,
        focus,
      });
      // A converted model is named like a folder opened from disk (its id is the folder's name).
      useLab.setState({
        converted: msg.converted === true,
        converting: false,
        ...(msg.converted ? { localFolder: msg.manifest.id, modelUrl: null } : {}),
      });
      if (s.prompt.trim() && !s.imported) runPrompt();
      break;
    }
    case 'layer':
      queueLayer(msg.pass, msg.event);
      break;
    case 'forwarded': {
      flushLayers();
      markRunShown();
      measureRunPainted(msg.requestId, msg.summary.ms + (msg.baseline?.ms ?? 0));
      const now = useLab.getState();
      useLab.setState({
        promptPair: nextPromptPair(now, msg.baseline !== undefined),
        modified: {
          layers: now.modified.layers,
          settled: now.modified.layers,
          summary: msg.summary,
        },
        baseline: msg.baseline
          ? { layers: now.baseline.layers, settled: now.baseline.layers, summary: msg.baseline }
          : emptyPass(),
        diff: msg.diff ?? null,
        running: false,
        progress: null,
        notices: [...new Set([...msg.summary.notices])],
      });
      break;
    }
    case 'token': {
      const g = useLab.getState().generation ?? { text: '', tokens: [], running: true };
      const experts = msg.layers.map((l) => l.selected[0] ?? []);
      useLab.setState({
        generation: {
          ...g,
          tokens: [...g.tokens, { ...msg.token, experts }],
          text: g.text + msg.token.text,
        },
      });
      break;
    }
    case 'generated':
      // Keep the streamed tokens (they carry their routing); the final message confirms the text.
      useLab.setState({
        generation: {
          text: msg.text,
          tokens: useLab.getState().generation?.tokens ?? msg.tokens,
          running: false,
        },
        running: false,
        progress: null,
      });
      break;
    case 'aligned':
      useLab.setState({ alignment: msg.result, aligning: false, progress: null });
      break;
    case 'cancelled':
      useLab.setState({
        running: false,
        aligning: false,
        progress: null,
        ...(isLoad ? { loading: false, converting: false } : {}),
      });
      break;
    case 'error':
      if (msg.restored) {
        // A graph of the new model failed after it had opened: the worker is back on the previous
        // model; so is the page, which re-runs its prompt there.
        sources.lastGood = sources.previousGood;
        useLab.setState({
          manifest: msg.restored.manifest,
          backend: msg.restored.backend,
          backendNote: msg.restored.backendNote,
          loading: false,
          progress: null,
          modified: emptyPass(),
          baseline: emptyPass(),
          diff: null,
        });
        if (useLab.getState().prompt.trim()) runPrompt();
        useLab.setState({ error: `${msg.message}; kept the previous model` }); // (after runPrompt, which clears errors)
        break;
      }
      if (isLoad) abortPageDownload(); // the worker gave up on this bundle: stop downloading it
      // The last good model and results stay; only the banner changes.
      useLab.setState({
        error: msg.message,
        running: false,
        loading: false,
        aligning: false,
        progress: null,
        ...(isLoad ? { converting: false } : {}),
      });
      break;
  }
}
