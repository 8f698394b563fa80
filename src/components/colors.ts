// Colours shared by the views. One colour per expert (categorical for ≤ 10 experts, a rainbow
// beyond) for views that name a handful of experts; beyond ~12 experts a hue per expert is noise,
// so the expert views colour by a quantity (a sequential ramp) or by "the focused expert vs the
// rest" instead.
import { color, interpolateBlues, interpolateReds, interpolateRainbow, schemeTableau10 } from 'd3';

export function expertColor(e: number, E: number): string {
  return E <= 10 ? schemeTableau10[e % 10] : interpolateRainbow((e + 0.5) / E);
}

/** Up to this many experts a hue per expert still tells them apart. */
export const MAX_EXPERT_HUES = 12;

/** How an expert view colours its marks. */
export type ColourBy = 'expert' | 'quantity' | 'focus';

export const COLOUR_BY_LABEL: Record<ColourBy, string> = {
  expert: 'a hue per expert',
  quantity: 'quantity',
  focus: 'focused expert vs the rest',
};

/** The colourings that make sense at E experts ('expert' only while hues stay distinct). */
export function colourModes(E: number): ColourBy[] {
  return E <= MAX_EXPERT_HUES ? ['expert', 'quantity', 'focus'] : ['quantity', 'focus'];
}

/** The starting colouring at E experts: a hue per expert while hues tell them apart, else the quantity. */
export function defaultColourBy(E: number): ColourBy {
  return E <= MAX_EXPERT_HUES ? 'expert' : 'quantity';
}

/** The highlight of the focused expert (and the focus outline of the grids). */
export const FOCUS_COLOR = '#d62728';
/** Everything that is not the focused expert, in "focused vs the rest". */
export const REST_COLOR = '#b9c0ca';

/** Sequential colour of a quantity t in [0, 1] (light → dark blue; the views' existing ramp). */
export const quantityColor = (t: number): string => interpolateBlues(0.1 + 0.9 * Math.min(1, Math.max(0, t)));

/** Sequential colour of a quantity that concerns the focused expert (light → dark red). */
export const focusQuantityColor = (t: number): string => interpolateReds(0.15 + 0.85 * Math.min(1, Math.max(0, t)));

/** Sequential grey of a quantity that does not concern the focused expert. */
export const restQuantityColor = (t: number): string => {
  const v = Math.round(236 - 120 * Math.min(1, Math.max(0, t)));
  return `rgb(${v}, ${v}, ${v + 4})`;
};

/** A colour as [r, g, b] bytes (black when it does not parse). */
export function rgbBytes(c: string): [number, number, number] {
  const r = color(c)?.rgb();
  return r ? [Math.round(r.r), Math.round(r.g), Math.round(r.b)] : [0, 0, 0];
}

/** A ramp sampled at n steps as packed RGB bytes [n × 3], for painting pixels without parsing colours. */
export function rampBytes(ramp: (t: number) => string, n = 256): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n * 3);
  for (let i = 0; i < n; i++) out.set(rgbBytes(ramp(n > 1 ? i / (n - 1) : 0)), i * 3);
  return out;
}
