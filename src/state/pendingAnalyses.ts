// Analyses a shared URL asked for, run once the page can: the model has loaded and its prompt has
// run (coupling correlates with the last run's tokens), and steering once the alignment it needs
// has arrived. Each request runs once; the store's `pendingAnalyses` holds those still waiting.
import { useLab, type LabState } from './store';

function ready(s: LabState): boolean {
  return s.manifest !== null && !s.loading && !s.running && (!s.prompt.trim() || s.modified.summary !== null || s.imported !== null);
}

/** Watch the store until every pending analysis has been started. */
export function runPendingAnalyses(): void {
  const step = (s: LabState) => {
    const p = s.pendingAnalyses;
    if (!p) return unsubscribe();
    if (!ready(s)) return;
    const { align, attribution, coupling, steering, corpus } = p;
    // Steering waits for the alignment (asked for here, or already on screen).
    const steerNow = steering !== undefined && s.alignment !== null && !s.aligning;
    const startAlign = align !== undefined && s.alignment === null && !s.aligning;
    if (!startAlign && !attribution && !coupling && !steerNow && !corpus && align === undefined) return; // only steering, still waiting
    // Taken off the list before they start: the store changes they cause call this again.
    useLab.setState({ pendingAnalyses: steering && !steerNow ? { steering } : null });
    if (startAlign) s.align(align);
    if (attribution) void s.rankAttribution(attribution);
    if (coupling) void s.computeCoupling(coupling);
    if (steerNow) void s.runSteering(steering);
    if (corpus) void s.runCorpus({ sources: [], texts: [], probes: { articles: corpus.articles } });
  };
  const unsubscribe = useLab.subscribe(step);
  step(useLab.getState());
}
