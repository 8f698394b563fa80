// One colour per expert, shared by every view (categorical for ≤ 10 experts, a rainbow beyond).
import { interpolateRainbow, schemeTableau10 } from 'd3';

export function expertColor(e: number, E: number): string {
  return E <= 10 ? schemeTableau10[e % 10] : interpolateRainbow((e + 0.5) / E);
}
