// Seeded runs at real models' shapes for view tests at scale: skewed expert loads
// (routing/synthetic.ts), top-k without repeats, gates over the chosen experts, dense leading layers.
import type { LayerEvent, ForwardSummary } from '../../routing/run';
import type { Manifest } from '../../models/manifest';
import { createRng } from '../../routing/rng';
import { syntheticLayer } from '../../routing/synthetic';
import { useLab, emptyPass } from '../../state/store';

export interface RunShape {
  name: string;
  layers: number;
  experts: number;
  topK: number;
  /** the first `dense` layers have no router (DeepSeek-V3: 3) */
  dense: number;
}

export const SHAPES = {
  olmoe: { name: 'OLMoE', layers: 16, experts: 64, topK: 8, dense: 0 },
  qwen3: { name: 'Qwen3-30B-A3B', layers: 48, experts: 128, topK: 8, dense: 0 },
  deepseekV3: { name: 'DeepSeek-V3', layers: 61, experts: 256, topK: 8, dense: 3 },
  gptOss: { name: 'gpt-oss-20b', layers: 24, experts: 32, topK: 4, dense: 0 },
} satisfies Record<string, RunShape>;

type BigRun = { layers: LayerEvent[]; summary: ForwardSummary; manifest: Manifest };
/** Made once per test file and shape (a DeepSeek-V3-shaped run of 4096 tokens takes seconds); views do not mutate runs. */
const made = new Map<string, BigRun>();

/** A run of `T` tokens at `shape`, the same for the same seed. */
export function bigRun(shape: RunShape, T: number, seed = 1): BigRun {
  const key = `${JSON.stringify(shape)}:${T}:${seed}`;
  let run = made.get(key);
  if (!run) made.set(key, (run = makeBigRun(shape, T, seed)));
  return run;
}

function makeBigRun(shape: RunShape, T: number, seed: number): BigRun {
  const rng = createRng(seed);
  const E = shape.experts;
  const layers: LayerEvent[] = [];
  for (let l = 0; l < shape.layers; l++) {
    if (l < shape.dense) {
      const empty = new Float32Array(0);
      layers.push({ layer: l, kind: 'dense', T, E: 0, routerLogits: empty, probs: empty, selected: Array.from({ length: T }, () => []), gates: Array.from({ length: T }, () => []), expertNorms: empty, dropped: new Uint8Array(T) });
      continue;
    }
    const { selected, gates, logits, probs } = syntheticLayer(rng, E, shape.topK, T, true);
    layers.push({ layer: l, kind: 'moe', T, E, routerLogits: logits!, probs: probs!, selected, gates, expertNorms: new Float32Array(T * E).fill(1), dropped: new Uint8Array(T) });
  }
  const words = ['the', ' router', ' sends', ' each', ' token', ' to', ' <b>experts</b>', '.'];
  const tokens = Array.from({ length: T }, (_, t) => ({ id: 100 + (t % words.length), text: words[t % words.length] }));
  const summary: ForwardSummary = { tokens, loss: Array.from({ length: Math.max(0, T - 1) }, () => 2), next: [], from: 0, ms: 1, router: 'native', interventions: [], notices: [] };
  const manifest = {
    id: `${shape.name}-shaped`,
    name: `${shape.name}-shaped test run`,
    numLayers: shape.layers,
    router: { topK: shape.topK },
    layers: layers.map((ev) => (ev.kind === 'dense' ? { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 } : { kind: 'moe', numExperts: E, topK: shape.topK, sharedExperts: 0 })),
    files: [],
  } as unknown as Manifest;
  return { layers, summary, manifest };
}

/** Put a big run into the store as a model's run would be. */
export function loadBigRun(shape: RunShape, T: number, seed = 1): ReturnType<typeof bigRun> {
  const run = bigRun(shape, T, seed);
  useLab.setState({ ...useLab.getInitialState(), manifest: run.manifest, modified: { layers: run.layers, settled: run.layers, summary: run.summary }, baseline: emptyPass() });
  return run;
}
