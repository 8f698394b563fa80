// Layer events of a run → the store, in batches.
//
// While the map is empty (a new prompt or model) each frame draws the layers that arrived, so the
// map streams in. Otherwise (a router swap, an intervention) the old map stays up and the new
// layers are written at most every FLUSH_MS, and at once with the run's result: a fast re-run then
// costs one redraw instead of one per layer, which on 2 cores took the page's time from the
// engine. Views over all layers (flow) redraw once the pass is whole (`settled`).
import { useLab } from '../store';
import type { Progress } from '../../gpu/protocol';
import type { LayerEvent } from '../../routing/run';

const FLUSH_MS = 100;
/** the text of the run in flight (the prompt box may change before it completes), and of the map on screen */
let runText = '';
let shownText: string | null = null;
const pendingLayers: { pass: 'baseline' | 'modified'; event: LayerEvent }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
let flushFrame: number | null = null;
/** when the current run was sent, and when layers were last written to the store */
let runStarted = 0;
let lastFlush = 0;
/** layers of the current run's modified pass received so far */
let receivedLayers = 0;

/** A run of `text` starts: its layers will stream in. */
export function beginRun(text: string): void {
  receivedLayers = 0;
  runStarted = performance.now();
  runText = text;
}

/** The text of the run in flight (or last run). */
export function currentRunText(): string {
  return runText;
}

/** The run's result arrived: its text is now the one on screen. */
export function markRunShown(): void {
  shownText = runText;
}

export function flushLayers(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  if (flushFrame !== null) cancelAnimationFrame(flushFrame);
  flushTimer = flushFrame = null;
  if (pendingLayers.length === 0) return;
  lastFlush = performance.now();
  const s = useLab.getState();
  const next = { baseline: [...s.baseline.layers], modified: [...s.modified.layers] };
  for (const { pass, event } of pendingLayers.splice(0)) {
    next[pass][event.layer] = event;
    if (pass === 'modified') receivedLayers++;
  }
  const whole = receivedLayers >= (s.manifest?.numLayers ?? Infinity);
  useLab.setState({
    baseline: { ...s.baseline, layers: next.baseline },
    modified: { ...s.modified, layers: next.modified, ...(whole ? { settled: next.modified } : {}) },
  });
}

export function queueLayer(pass: 'baseline' | 'modified', event: LayerEvent): void {
  pendingLayers.push({ pass, event });
  // The modified pass's last layer: draw now, while the worker computes the logits and the loss.
  if (pass === 'modified' && event.layer === (useLab.getState().manifest?.numLayers ?? 0) - 1) return flushLayers();
  if (flushTimer !== null || flushFrame !== null) return;
  // A new text (or an empty map) streams in frame by frame; a re-run of the text on screen is batched.
  if (runText !== shownText || !useLab.getState().modified.layers.some(Boolean)) flushFrame = requestAnimationFrame(flushLayers);
  else flushTimer = setTimeout(flushLayers, Math.max(0, FLUSH_MS - (performance.now() - Math.max(runStarted, lastFlush))));
}

/** Per-layer progress only once a run has taken longer than FLUSH_MS (a fast run needs no bar). */
export function showsProgress(p: Progress): boolean {
  return p.status !== 'layer' || performance.now() - runStarted > FLUSH_MS;
}
