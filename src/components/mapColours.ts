// What a routing-map stripe's colour says. A hue per expert is readable up to a dozen experts;
// beyond that the map colours by a quantity instead: the gate weight, the expert's load rank in
// its layer, or one highlighted expert against grey. Colours come from short fixed ramps, so the
// canvas batches its rectangles into a few paths.
import { interpolateBlues, interpolateRgb, interpolateYlOrRd } from 'd3';
import type { LayerEvent } from '../routing/run';
import { expertColor } from './colors';
import type { MapColour } from '../state/views';

/** (the list lives with the URL fields: `colour=`) */
export type ColourBy = MapColour;

export const COLOUR_BY: { id: ColourBy; label: string }[] = [
  { id: 'expert', label: 'expert id' },
  { id: 'gate', label: 'gate weight' },
  { id: 'rank', label: 'expert load rank in the layer' },
  { id: 'focus', label: 'focused expert vs the rest' },
];

/** expert id up to 12 experts, the focused expert vs the rest beyond */
export function defaultColourBy(E: number): ColourBy {
  return E <= 12 ? 'expert' : 'focus';
}

const STEPS = 12;
const ramp = (f: (t: number) => string, from: number, to: number, n = STEPS) =>
  Array.from({ length: n }, (_, i) => hex(f(from + ((to - from) * i) / (n - 1))));
/** gate 0 → light, 1 → dark blue */
export const GATE_RAMP = ramp(interpolateBlues, 0.15, 1);
/** load rank 0 (the most used expert of the layer) → dark red, the least used → pale yellow */
export const RANK_RAMP = ramp(interpolateYlOrRd, 0.95, 0.08);
/** the rest in "focused expert" mode: grey, darker with a larger gate */
export const GREY_RAMP = ramp(interpolateRgb('#e4e6eb', '#5f6572'), 0, 1, 8);
export const HIGHLIGHT = '#d62728';

function hex(c: string): string {
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(c);
  return m
    ? '#' + [m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('')
    : c;
}
const bucket = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));

export interface Stripe {
  expert: number;
  /** its gate weight in the cell */
  gate: number;
  /** experts in the layer */
  E: number;
  /** the expert's load rank in the layer (0 = picked by the most tokens); only `rank` mode reads it */
  rank?: number;
}

/** The colour of one stripe under a colouring mode (`highlight`: the focused expert, or null). */
export function stripeColour(mode: ColourBy, s: Stripe, highlight: number | null = null): string {
  switch (mode) {
    case 'expert':
      return expertColor(s.expert, s.E);
    case 'gate':
      return GATE_RAMP[bucket(s.gate, STEPS)];
    case 'rank':
      return RANK_RAMP[bucket((s.rank ?? 0) / Math.max(1, s.E - 1), STEPS)];
    case 'focus':
      return s.expert === highlight ? HIGHLIGHT : GREY_RAMP[bucket(s.gate, GREY_RAMP.length)];
  }
}

const ranks = new WeakMap<LayerEvent, Int32Array>();
/** Per expert, its load rank in the layer: 0 = chosen by the most tokens (ties: lower id first). */
export function loadRanks(ev: LayerEvent): Int32Array {
  let r = ranks.get(ev);
  if (r) return r;
  const counts = new Int32Array(ev.E);
  for (const sel of ev.selected) for (const e of sel) if (e >= 0 && e < ev.E) counts[e]++;
  const order = Array.from({ length: ev.E }, (_, e) => e).sort(
    (a, b) => counts[b] - counts[a] || a - b,
  );
  r = new Int32Array(ev.E);
  order.forEach((e, i) => (r![e] = i));
  ranks.set(ev, r);
  return r;
}

/** The expert with the largest gate in a cell, or null. */
export function topExpert(ev: LayerEvent | undefined, t: number): number | null {
  const sel = ev?.selected[t];
  if (!ev || !sel?.length) return null;
  const gates = ev.gates[t] ?? [];
  let best = 0;
  for (let i = 1; i < sel.length; i++) if ((gates[i] ?? 0) > (gates[best] ?? 0)) best = i;
  return sel[best];
}
