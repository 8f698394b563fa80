// Per-layer numbers computed without one long main-thread task: the priority layer (the focused
// one) and small runs at once, the rest a slice at a time (a few ms each, between frames), and
// only while the view is enabled (on screen). Results are cached per layer event by the caller's
// `cached`/`compute`, so a layer is never computed twice and a hidden view costs nothing.
import { useEffect, useMemo, useReducer } from 'react';
import type { LayerEvent } from '../routing/run';

export interface IncrementalOptions {
  /** compute at all (the view is on screen) */
  enabled: boolean;
  /** the layer computed first, synchronously */
  first?: number;
  /** total T·E at or below which every layer is computed synchronously */
  syncWork?: number;
  /** the budget of one background slice, ms */
  sliceMs?: number;
  /** advance one layer's computation until `deadline` (performance.now()); true once it is cached (a long layer then takes several slices) */
  step?: (ev: LayerEvent, deadline: number) => boolean;
}

/** Work units of one layer (its T·E router row entries). */
const work = (ev: LayerEvent) => ev.T * Math.max(1, ev.E);

export const SYNC_WORK = 250_000;

export function useIncrementalLayers<R>(layers: (LayerEvent | undefined)[], cached: (ev: LayerEvent) => R | undefined, compute: (ev: LayerEvent) => R, o: IncrementalOptions): (R | undefined)[] {
  const [tick, bump] = useReducer((x: number) => x + 1, 0);
  const { enabled, first, syncWork = SYNC_WORK, sliceMs = 8, step } = o;
  const result = useMemo(() => {
    void tick; // a finished slice recomputes the result from the cache
    const wanted = (ev: LayerEvent | undefined): ev is LayerEvent => !!ev && ev.kind !== 'dense';
    if (enabled) {
      const f = first !== undefined ? layers[first] : undefined;
      if (wanted(f) && cached(f) === undefined) compute(f);
      let missing = 0;
      for (const ev of layers) if (wanted(ev) && cached(ev) === undefined) missing += work(ev);
      if (missing <= syncWork) for (const ev of layers) if (wanted(ev) && cached(ev) === undefined) compute(ev);
    }
    return Array.from(layers, (ev) => (wanted(ev) ? cached(ev) : undefined));
  }, [layers, enabled, first, syncWork, cached, compute, tick]);

  const pending = enabled && Array.from(layers).some((ev, l) => !!ev && ev.kind !== 'dense' && result[l] === undefined);
  useEffect(() => {
    if (!pending) return;
    let id: ReturnType<typeof setTimeout>;
    // One slice: advance the missing layers until the budget is spent; re-render only when a layer
    // finished (a slice that only moved a long layer part-way schedules the next one quietly).
    const slice = () => {
      const deadline = performance.now() + sliceMs;
      let finished = false;
      for (const ev of layers) {
        if (!ev || ev.kind === 'dense' || cached(ev) !== undefined) continue;
        if (step ? step(ev, deadline) : (compute(ev), true)) finished = true;
        if (performance.now() >= deadline) break;
      }
      if (finished) bump();
      else id = setTimeout(slice, 0);
    };
    id = setTimeout(slice, 0);
    return () => clearTimeout(id);
  }, [pending, layers, cached, compute, step, sliceMs, tick]);
  return result;
}
