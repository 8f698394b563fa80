// `moe-lab corpus --generate N` (issue 19 §5): the routing of generated continuations, reported
// apart from the prompt's. The generated tokens go through their own CorpusAccumulator; this turns
// its layers into the report's `generated.layers` (load and per-source shares per expert) and sets
// them against the prompt's layers: the total variation distance between the two load vectors and
// the MaxVio of each.
import type { CorpusLayer } from './corpus';

/** A generated MoE layer against the prompt's. */
export interface VsPrompt {
  /** ½ Σ_e |load_prompt(e) − load_generated(e)|, 0…1 */
  tvd: number;
  /** (max − mean) / mean of the prompt's load = E · max(load) − 1 (0 when nothing was selected) */
  promptMaxVio: number;
  generatedMaxVio: number;
}

export type GeneratedLayer =
  | {
      index: number;
      kind: 'moe';
      experts: { id: number; load: number; sources: Record<string, number> }[];
      vsPrompt: VsPrompt;
    }
  | { index: number; kind: 'dense' };

/** MaxVio of a load vector that sums to 1 (or is all 0: no selection, MaxVio 0). */
export function maxVioOfLoad(load: number[]): number {
  const total = load.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  return (load.length * Math.max(...load)) / total - 1;
}

/** ½ Σ |a − b| of two load vectors of the same length. */
export function loadTvd(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`loadTvd: ${a.length} experts against ${b.length}`);
  return a.reduce((s, x, e) => s + Math.abs(x - b[e]), 0) / 2;
}

/** The generated tokens' layers (from their own accumulator) against the prompt's layers. */
export function generatedLayers(prompt: CorpusLayer[], generated: CorpusLayer[]): GeneratedLayer[] {
  if (prompt.length !== generated.length)
    throw new Error(`generatedLayers: ${generated.length} layers against ${prompt.length}`);
  return generated.map((g, l) => {
    const p = prompt[l];
    if (g.kind !== 'moe' || p.kind !== 'moe') return { index: g.index, kind: 'dense' as const };
    const gl = g.experts.map((e) => e.load);
    const pl = p.experts.map((e) => e.load);
    return {
      index: g.index,
      kind: 'moe' as const,
      experts: g.experts.map(({ id, load, sources }) => ({ id, load, sources })),
      vsPrompt: {
        tvd: loadTvd(pl, gl),
        promptMaxVio: maxVioOfLoad(pl),
        generatedMaxVio: maxVioOfLoad(gl),
      },
    };
  });
}
