// `moe-lab trace --generate N`: the prompt's trace plus the routing of N generated tokens, with the
// continuation reported apart from the prompt (issue 19 §5): `prompt.tokens` says where the
// generated positions start, and `generation.layers` gives each layer's load over the prompt and
// over the generated tokens separately (decode-time routing differs from prefill's).
import type { Lab } from '../../src/gpu/lab';
import { intFlag, one, UsageError, type Args } from './args';
import type { LayerEvent } from '../../src/routing/run';
import { loadMetrics } from '../../src/routing/metrics/load';

/** The sampling flags `trace --generate` and `corpus --generate` share. */
export const SAMPLING_FLAGS = ['generate', 'temperature', 'top-p', 'seed'];

export interface Sampling {
  temperature: number;
  topP: number;
  seed: number;
}

/** --generate N (0: none) and --temperature 0 / --top-p 1 / --seed 0, checked. */
export function samplingFlags(args: Args): { generate: number; sampling: Sampling } {
  const generate = intFlag(args, 'generate', 0, 0);
  const temperature = Number(one(args, 'temperature') ?? 0);
  const topP = Number(one(args, 'top-p') ?? 1);
  const seed = intFlag(args, 'seed', 0, 0);
  if (!(temperature >= 0))
    throw new UsageError(`--temperature must be a number ≥ 0, got "${one(args, 'temperature')}"`);
  if (!(topP > 0 && topP <= 1))
    throw new UsageError(`--top-p must be in (0, 1], got "${one(args, 'top-p')}"`);
  return { generate, sampling: { temperature, topP, seed } };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

interface TraceLayerOut {
  index: number;
  kind: 'moe' | 'dense';
  routerLogits?: number[][];
  selected: number[][];
  gates: number[][];
  dropped?: number[];
}

/** Append the generated tokens (each step's events: [L], T = 1) to a trace JSON in place. */
export function appendGeneration(
  trace: Record<string, unknown>,
  lab: Lab,
  ids: number[],
  steps: LayerEvent[][],
): void {
  const tokens = trace.tokens as { id: number; text: string }[];
  const layers = trace.layers as TraceLayerOut[];
  const P = tokens.length;
  ids.forEach((id, i) => {
    tokens.push({ id, text: lab.tokenizer.tokenText(id) });
    layers.forEach((l, k) => {
      const e = steps[i][k];
      l.selected.push(e.selected[0]);
      l.gates.push(e.gates[0].map(round));
      if (l.routerLogits) l.routerLogits.push(Array.from(e.routerLogits.subarray(0, e.E), round));
      if (l.dropped || e.dropped[0])
        (l.dropped ??= new Array<number>(P + i).fill(0)).push(e.dropped[0]);
    });
  });
  trace.prompt = { tokens: P };
  trace.generation = {
    tokens: ids.length,
    text: lab.tokenizer.decode(ids),
    layers: layers.map((l) => {
      if (l.kind === 'dense') return { index: l.index, kind: 'dense' };
      const E = lab.manifest.layers[l.index]?.numExperts ?? 0;
      const share = (sel: number[][]) => {
        const c = loadMetrics(sel, E).counts;
        const n = c.reduce((a, b) => a + b, 0);
        return c.map((x) => (n ? x / n : 0));
      };
      return {
        index: l.index,
        kind: 'moe',
        promptLoad: share(l.selected.slice(0, P)),
        generatedLoad: share(l.selected.slice(P)),
      };
    }),
  };
}
