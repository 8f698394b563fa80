// One-click experiments of the routing papers, each with what to look for. Seeded: a preset
// replays exactly (the numbers in the sentences were measured on these seeds).
import { BALANCE_WEIGHT, TRAIN_DEFAULTS, type TrainConfig } from './config';

export interface Preset {
  id: string;
  title: string;
  /** the paper the experiment comes from */
  paper: string;
  /** one sentence: what to look for */
  look: string;
  config: TrainConfig;
}

const preset = (
  id: string,
  title: string,
  paper: string,
  look: string,
  c: Partial<TrainConfig>,
): Preset => ({ id, title, paper, look, config: { ...TRAIN_DEFAULTS, ...c } });

export const PRESETS: Preset[] = [
  preset(
    'dead-experts',
    'No balancing: experts die',
    'Shazeer et al. 2017, Outrageously Large Neural Networks',
    'With α = 0 two of the four experts die (their load falls to 0 and their colour leaves the plane); turn on loss-free balancing and they recover.',
    { task: 'xor', seed: 2 },
  ),
  preset(
    'aux-loss',
    'Auxiliary balancing loss',
    'Fedus et al. 2021, Switch Transformers',
    'The same run with the auxiliary loss (α = 0.1): all four experts keep a share of the plane and MaxVio stays near the batch-noise floor (≈ 0.4 at batch 32).',
    { task: 'xor', seed: 2, balance: 'aux', weight: BALANCE_WEIGHT.aux },
  ),
  preset(
    'loss-free',
    'Loss-free bias balancing',
    'Wang et al. 2024, Auxiliary-Loss-Free Load Balancing (DeepSeek-V3)',
    'No extra loss: a bias nudges under-loaded experts up (u = 0.01) and the four loads even out while the task loss matches the unbalanced run.',
    { task: 'xor', seed: 2, balance: 'lossfree', weight: BALANCE_WEIGHT.lossfree },
  ),
  preset(
    'sigmoid-bias',
    'Sigmoid gates with bias, top-2 of 8',
    'DeepSeek-AI 2024, DeepSeek-V3',
    'Eight sigmoid-gated experts, two per point, renormalised gates and bias balancing: compare the load plot with balancing set to none, where some experts fall to 0.',
    {
      task: 'spirals',
      router: 'sigmoid',
      experts: 8,
      topk: 2,
      renorm: true,
      balance: 'lossfree',
      weight: BALANCE_WEIGHT.lossfree,
    },
  ),
  preset(
    'expert-choice',
    'Experts choose their tokens',
    'Zhou et al. 2022, Mixture-of-Experts with Expert Choice Routing',
    'Every expert takes the same number of points, so the load is flat by construction; the price is in "dropped": points no expert picked.',
    { task: 'spirals', router: 'expert-choice' },
  ),
  preset(
    'capacity',
    'Capacity factor 1: dropped tokens',
    'Lepikhin et al. 2020, GShard',
    'Each expert takes at most k·T/E points; the points over its capacity get no expert at all (watch "dropped") and the spirals learn more slowly.',
    { task: 'spirals', capacity: 1 },
  ),
  preset(
    'kmeans',
    'k-means routing: nearest centroid',
    'Roy et al. 2021, Routing Transformer',
    'The router scores −‖x − c_e‖²/τ, so the plane splits into Voronoi cells around learned centroids instead of the wedges of a linear router.',
    { task: 'clusters', router: 'kmeans' },
  ),
  preset(
    'hash',
    'Hash routing: no learned router',
    'Roller et al. 2021, Hash Layers For Large Sparse Models',
    'Each grid cell is hashed to an expert: the regions are a fixed patchwork that never moves, and each expert must learn whatever lands in its cells.',
    { task: 'checkerboard', router: 'hash' },
  ),
  preset(
    'erc',
    'Expert–router coupling loss',
    'Lv et al. 2025, Coupling Experts and Routers in MoE via an Auxiliary Loss',
    'The coupling matrix M[i, j] = ‖W1_j·R̃_i‖ is what ERC (β = 0.3) shapes; in the plane it also shrinks the router rows, so routing entropy rises — the scale loophole reviewers noted.',
    { task: 'clusters', balance: 'erc', weight: 0.3 },
  ),
  preset(
    'upcycle',
    'Expert upcycling at step 300',
    'Komatsuzaki et al. 2022, Sparse Upcycling',
    'Two experts learn the spirals, then at step 300 each is copied (E = 2 → 4, router rows nudged apart): watch the twins share their parent\u2019s region, then diverge.',
    { task: 'spirals', experts: 2, upcycleAt: 300 },
  ),
  preset(
    'languages',
    'Sequence task: one expert per language',
    'Fedus et al. 2021, Switch Transformers (expert specialisation); Wang et al. 2024, loss-free balancing',
    'Next-token prediction in three synthetic languages (Latin, Greek, Cyrillic letters, each with its own bigrams): by step 1500 each language’s row is one colour, a different expert per language.',
    {
      task: 'languages',
      seed: 3,
      experts: 3,
      balance: 'lossfree',
      weight: BALANCE_WEIGHT.lossfree,
    },
  ),
];

export const presetById = (id: string): Preset | undefined => PRESETS.find((p) => p.id === id);
