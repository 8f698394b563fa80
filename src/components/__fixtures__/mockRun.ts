// Mock routing data for component tests and the view gallery: a hand-made 4-token, 2-layer,
// 4-expert run (the numbers are chosen, not computed by any engine).
import type { LayerEvent, ForwardSummary } from '../../routing/run';
import type { Manifest } from '../../models/manifest';
import { useLab, emptyPass } from '../../state/store';

export const MOCK_TOKENS = [
  { id: 1, text: '<s>' },
  { id: 7, text: 'Hello' },
  { id: 9, text: ' <b>world</b>' },
  { id: 3, text: '!' },
];

function layer(l: number, selected: number[][], gates: number[][], probs: number[][]): LayerEvent {
  return {
    layer: l,
    kind: 'moe',
    T: 4,
    E: 4,
    routerLogits: Float32Array.from(probs.flat().map((p) => Math.log(p))),
    probs: Float32Array.from(probs.flat()),
    selected,
    gates,
    expertNorms: new Float32Array(16).fill(1),
    dropped: new Uint8Array(4),
  };
}

export const MOCK_LAYERS: LayerEvent[] = [
  layer(
    0,
    [[0, 1], [0, 2], [3, 0], [1, 2]],
    [[0.6, 0.4], [0.7, 0.3], [0.5, 0.5], [0.8, 0.2]],
    [[0.4, 0.3, 0.2, 0.1], [0.5, 0.1, 0.3, 0.1], [0.3, 0.1, 0.3, 0.3], [0.1, 0.6, 0.2, 0.1]],
  ),
  layer(
    1,
    [[2, 3], [2, 3], [2, 1], [3, 2]],
    [[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.7, 0.3]],
    [[0.1, 0.2, 0.35, 0.35], [0.05, 0.05, 0.8, 0.1], [0.1, 0.3, 0.5, 0.1], [0.1, 0.1, 0.3, 0.5]],
  ),
];

export const MOCK_SUMMARY: ForwardSummary = {
  tokens: MOCK_TOKENS,
  loss: [2.5, 1.5, 0.5],
  next: [
    { id: 5, text: ' again', p: 0.5 },
    { id: 6, text: '?', p: 0.25 },
  ],
  from: 0,
  ms: 1,
  router: 'native',
  interventions: [],
  notices: [],
};

export const MOCK_MANIFEST = { id: 'mock', name: 'mock', numLayers: 2, layers: [{ kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 }] } as unknown as Manifest;

/** Put the mock run into the store (manifest left null so no worker is started). */
export function loadMockRun(): void {
  useLab.setState({ ...useLab.getInitialState(), modified: { layers: MOCK_LAYERS, settled: MOCK_LAYERS, summary: MOCK_SUMMARY }, baseline: emptyPass() });
}

/**
 * A 3-layer run whose layer 0 is dense (qwen2_moe's decoder_sparse_step, qwen3_moe's
 * mlp_only_layers): no router, E = 0, empty selections, as the engine emits it. Layers 1 and 2
 * are MOCK_LAYERS' two MoE layers.
 */
export const MOCK_DENSE_LAYER: LayerEvent = {
  layer: 0,
  kind: 'dense',
  T: 4,
  E: 0,
  routerLogits: new Float32Array(0),
  probs: new Float32Array(0),
  selected: [[], [], [], []],
  gates: [[], [], [], []],
  expertNorms: new Float32Array(0),
  dropped: new Uint8Array(4),
};

export const MOCK_DENSE_RUN_LAYERS: LayerEvent[] = [MOCK_DENSE_LAYER, ...MOCK_LAYERS.map((ev) => ({ ...ev, layer: ev.layer + 1 }))];

export const MOCK_DENSE_MANIFEST = {
  id: 'mock-dense',
  name: 'mock with a dense layer',
  numLayers: 3,
  layers: [
    { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    { kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 },
    { kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 },
  ],
  files: [],
} as unknown as Manifest;

/** The dense-layer run in the store (manifest set for the views that read layer kinds from it). */
export function loadMockDenseRun(): void {
  useLab.setState({ ...useLab.getInitialState(), manifest: MOCK_DENSE_MANIFEST, modified: { layers: MOCK_DENSE_RUN_LAYERS, settled: MOCK_DENSE_RUN_LAYERS, summary: MOCK_SUMMARY }, baseline: emptyPass() });
}
