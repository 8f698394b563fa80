// What the page starts before React renders. The training playground (`?mode=train`) needs no
// model and no inference worker: it runs its own trainer, so ORT's WebAssembly is never fetched.
// The built page's inline boot script (vite.config.ts, bootWorker) makes the same decision.

/** Whether the page at this address starts the inference worker (and loads the URL's model). */
export function startsEngine(search: string): boolean {
  // The first `mode` wins, as in the URL codec (urlState.ts); any other value is the lab.
  return new URLSearchParams(search).get('mode') !== 'train';
}
