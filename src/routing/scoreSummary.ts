// Router scores at real-model scale: the top-m experts of one token's router softmax (always
// keeping the experts a person cares about: the selected ones, the focused one, any with an
// intervention) and the rest summarised as one count, total and maximum.
import { parseIntervention, layerInRange } from './spec';

export interface ScoreSummary {
  /** experts drawn, by probability descending (ties by id) */
  shown: number[];
  /** the experts not shown: how many, their total probability and the largest one */
  rest: { count: number; total: number; max: number };
}

/**
 * The `m` most probable experts of `probs` (one token's router softmax over E experts), plus
 * every expert of `keep` (ids ≥ E are ignored), so the result has max(m, |keep|) experts at most
 * when |keep| > m. O(E log E).
 */
export function topExperts(probs: ArrayLike<number>, m: number, keep: Iterable<number> = []): ScoreSummary {
  const E = probs.length;
  const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => probs[b] - probs[a] || a - b);
  const pinned = new Set<number>();
  for (const e of keep) if (Number.isInteger(e) && e >= 0 && e < E) pinned.add(e);
  const chosen = new Set(pinned);
  for (const e of order) {
    if (chosen.size >= Math.max(m, pinned.size)) break;
    chosen.add(e);
  }
  const shown = order.filter((e) => chosen.has(e));
  let total = 0;
  let max = 0;
  for (const e of order) {
    if (chosen.has(e)) continue;
    total += probs[e];
    if (probs[e] > max) max = probs[e];
  }
  return { shown, rest: { count: E - shown.length, total, max } };
}

/**
 * Experts that an intervention of `specs` names in `layer` (bad specs are skipped: the panel that
 * added them reports those).
 */
export function interventionExperts(specs: readonly string[], layer: number): number[] {
  const out = new Set<number>();
  for (const s of specs) {
    try {
      const iv = parseIntervention(s);
      if (layerInRange(layer, iv.layers)) for (const e of iv.experts) out.add(e);
    } catch {
      // not ours to report
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Parse a typed expert list ("3+17", "3, 17", "3 17") against E experts: the ids, or the problem in
 * words. Duplicates and ids outside 0..E−1 are errors.
 */
export function parseExpertList(text: string, E: number): { experts: number[] } | { error: string } {
  const parts = text.trim().split(/[\s,+]+/).filter(Boolean);
  if (parts.length === 0) return { error: 'no expert given' };
  const experts: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `"${p}" is not an expert id` };
    const e = Number(p);
    if (E > 0 && e >= E) return { error: `expert ${e} does not exist (ids 0–${E - 1})` };
    if (experts.includes(e)) return { error: `expert ${e} is listed twice` };
    experts.push(e);
  }
  return { experts };
}

/**
 * Evenly spaced tick values among `n` positions so that at most `maxLabels` are labelled: every
 * `step`-th position with step rounded up to 1, 2, 4, 8, 16, … (so expert ids read 0, 16, 32, …).
 */
export function thinnedTicks(n: number, maxLabels: number): number[] {
  if (n <= 0) return [];
  let step = 1;
  while (Math.ceil(n / step) > maxLabels) step *= 2;
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}
