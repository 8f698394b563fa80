// Bundle manifest (format moe-bundle/1, DESIGN.md §2): types and validation. Every check names
// the field and the problem so a broken bundle is easy to fix.
import type { NativeRouter } from '../routing/types';
import { InputError } from '../routing/safeJson';
import { LIMITS } from '../routing/limits';
import { ROPE_TYPES, type RopeScaling } from './convert/ropeScaling';

export const BUNDLE_FORMAT = 'moe-bundle/1';

export interface BundleFile {
  /** path relative to the bundle root */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * A layer's feed-forward block. Dense layers (Qwen-MoE decoder_sparse_step / mlp_only_layers) have
 * numExperts = topK = 0: their attention graph has no router_logits output and their moe graph
 * takes moe_in only (no gates) and gives moe_out only (no expert_norms).
 */
export interface LayerSpec {
  kind: 'moe' | 'dense';
  numExperts: number;
  topK: number;
  sharedExperts: number;
}

/** Where each layer's router weights live inside routers.bin (float32 little-endian). */
export interface RouterWeightsIndex {
  file: string;
  layers: {
    /** byte offset of W_r [E × D] */
    weight: number;
    /** byte offset of the router bias [E], if any */
    bias?: number;
    /** byte offset of the post-attention norm weight [D] (so JS can re-route a repeated block) */
    norm: number;
    /** byte offset of the post-attention norm bias [D] (LayerNorm models) */
    normBias?: number;
    /** byte offset of the selection bias [E] of a sigmoid_bias_grouped router (DeepSeek-V3 e_score_correction_bias) */
    correctionBias?: number;
  }[];
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  id: string;
  name: string;
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** value head size when it differs from headDim (DeepSeek MLA: keys qk_nope + qk_rope, values v_head_dim) */
  valueHeadDim?: number;
  layers: LayerSpec[];
  router: NativeRouter;
  rmsNormEps: number;
  /** the block norms: RMSNorm (default) or LayerNorm with bias (PhiMoE); eps is rmsNormEps either way */
  norm?: 'rms' | 'layer';
  /** RoPE base (optional for older bundles: then read back from the attention graphs) */
  ropeTheta?: number;
  /** RoPE scaling the attention graphs use (config.json's rope_scaling, HF field names, sources resolved); absent = plain */
  ropeScaling?: RopeScaling;
  intermediateSize?: number;
  maxContext: number;
  dtype: 'fp32' | 'fp16' | 'q8' | 'q4';
  /** every file of the bundle except manifest.json itself */
  files: BundleFile[];
  tokenizer: string;
  /** tokenizer_config.json (decode options), optional */
  tokenizerConfig?: string;
  graphs: {
    embed: string;
    attn: string[];
    moe: string[];
    head: string;
    /** the whole model as one graph (benchmark floor), optional */
    fused?: string;
  };
  routerWeights: RouterWeightsIndex;
  probes?: string;
  languages?: string[];
  license?: string;
  source?: string;
  /** special token ids, when the tokenizer has them */
  bosTokenId?: number;
  eosTokenId?: number;
}

export class BundleError extends InputError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'BundleError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new BundleError('manifest.json', msg);
}

function int(o: Obj, key: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  need(typeof v === 'number' && Number.isInteger(v) && v >= min, `"${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  // An absurd size is refused here, before anything is allocated for it (DESIGN.md §9).
  need(v <= max, `"${key}" is ${v}, over the limit of ${max}`);
  return v;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  need(typeof v === 'string' && v.length > 0, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

const ROUTER_TYPES = ['softmax_topk', 'topk_softmax', 'sigmoid_bias_grouped', 'sparsemixer'];

/** Validate parsed manifest JSON; throws BundleError naming the first problem found. */
export function validateManifest(json: unknown): Manifest {
  need(isObj(json), 'must be a JSON object');
  need(json.format === BUNDLE_FORMAT, `"format" must be "${BUNDLE_FORMAT}", got ${JSON.stringify(json.format)}`);
  str(json, 'id');
  str(json, 'name');
  str(json, 'architecture');
  int(json, 'vocabSize', 1, LIMITS.vocab);
  const D = int(json, 'hiddenSize', 1, LIMITS.hidden);
  const L = int(json, 'numLayers', 1, LIMITS.layers);
  const H = int(json, 'numHeads', 1, LIMITS.heads);
  const Hkv = int(json, 'numKvHeads', 1, LIMITS.heads);
  int(json, 'headDim', 1, LIMITS.hidden);
  if (json.valueHeadDim !== undefined) int(json, 'valueHeadDim', 1, LIMITS.hidden);
  need(H % Hkv === 0, `"numHeads" (${H}) must be a multiple of "numKvHeads" (${Hkv})`);
  int(json, 'maxContext', 1, LIMITS.context);
  need(typeof json.rmsNormEps === 'number' && json.rmsNormEps > 0, `"rmsNormEps" must be a positive number`);
  need(['fp32', 'fp16', 'q8', 'q4'].includes(json.dtype as string), `"dtype" must be fp32, fp16, q8 or q4, got ${JSON.stringify(json.dtype)}`);
  str(json, 'tokenizer');

  need(Array.isArray(json.layers) && json.layers.length === L, `"layers" must list ${L} layers (numLayers), got ${Array.isArray(json.layers) ? json.layers.length : typeof json.layers}`);
  json.layers.forEach((l: unknown, i: number) => {
    need(isObj(l), `layers[${i}] must be an object`);
    need(l.kind === 'moe' || l.kind === 'dense', `layers[${i}].kind must be "moe" or "dense", got ${JSON.stringify(l.kind)}`);
    const dense = l.kind === 'dense';
    const E = int(l, 'numExperts', dense ? 0 : 1, LIMITS.experts);
    const k = int(l, 'topK', dense ? 0 : 1);
    need(k <= E, `layers[${i}].topK (${k}) exceeds numExperts (${E})`);
    int(l, 'sharedExperts', 0);
  });

  need(
    json.ropeScaling === undefined || (isObj(json.ropeScaling) && ROPE_TYPES.includes(json.ropeScaling.rope_type as RopeScaling['rope_type'])),
    `"ropeScaling.rope_type" must be one of ${ROPE_TYPES.join(', ')}, got ${JSON.stringify(isObj(json.ropeScaling) ? json.ropeScaling.rope_type : json.ropeScaling)}`,
  );
  need(json.norm === undefined || json.norm === 'rms' || json.norm === 'layer', `"norm" must be "rms" or "layer", got ${JSON.stringify(json.norm)}`);
  need(json.layers.some((l: Obj) => l.kind === 'moe'), '"layers" has no layer of kind "moe"');
  need(isObj(json.router) && ROUTER_TYPES.includes(json.router.type as string), `"router.type" must be one of ${ROUTER_TYPES.join(', ')}, got ${JSON.stringify(isObj(json.router) ? json.router.type : json.router)}`);
  const k = int(json.router, 'topK');
  need(k <= Math.max(...json.layers.map((l: Obj) => l.numExperts as number)), `"router.topK" (${k}) exceeds every layer's numExperts`);

  need(Array.isArray(json.files), '"files" must be an array');
  const paths = new Set<string>();
  json.files.forEach((f: unknown, i: number) => {
    need(isObj(f), `files[${i}] must be an object`);
    const p = str(f, 'path');
    need(!p.includes('..') && !p.startsWith('/'), `files[${i}].path "${p}" must stay inside the bundle`);
    need(typeof f.bytes === 'number' && Number.isInteger(f.bytes) && f.bytes >= 0, `files[${i}] (${p}): "bytes" must be a non-negative integer`);
    need(typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256), `files[${i}] (${p}): "sha256" must be 64 lowercase hex digits`);
    paths.add(p);
  });
  const listed = (p: unknown, what: string) =>
    need(typeof p === 'string' && paths.has(p), `${what} ${JSON.stringify(p)} is not in "files"`);

  listed(json.tokenizer, '"tokenizer"');
  if (json.tokenizerConfig !== undefined) listed(json.tokenizerConfig, '"tokenizerConfig"');
  need(isObj(json.graphs), '"graphs" must be an object');
  const g = json.graphs;
  listed(g.embed, 'graphs.embed');
  listed(g.head, 'graphs.head');
  need(Array.isArray(g.attn) && g.attn.length === L, `graphs.attn must list ${L} graphs`);
  need(Array.isArray(g.moe) && g.moe.length === L, `graphs.moe must list ${L} graphs`);
  g.attn.forEach((p: unknown, i: number) => listed(p, `graphs.attn[${i}]`));
  g.moe.forEach((p: unknown, i: number) => listed(p, `graphs.moe[${i}]`));
  if (g.fused !== undefined) listed(g.fused, 'graphs.fused');

  need(isObj(json.routerWeights), '"routerWeights" must be an object');
  const rw = json.routerWeights;
  listed(rw.file, 'routerWeights.file');
  need(Array.isArray(rw.layers) && rw.layers.length === L, `routerWeights.layers must list ${L} layers`);
  rw.layers.forEach((l: unknown, i: number) => {
    need(isObj(l), `routerWeights.layers[${i}] must be an object`);
    int(l, 'weight', 0);
    if (l.bias !== undefined) int(l, 'bias', 0);
    int(l, 'norm', 0);
    if (l.correctionBias !== undefined) int(l, 'correctionBias', 0);
  });
  void D;
  return json as unknown as Manifest;
}

/** The model's expert count: that of its first MoE layer (dense layers have none). */
export function modelExperts(m: Pick<Manifest, 'layers'>): number {
  return m.layers.find((l) => l.kind === 'moe')?.numExperts ?? 0;
}

/** The languages of a bundle's probe files (`<probes>/<lang>.json` in its file list), sorted. */
export function probeLanguages(m: Pick<Manifest, 'probes' | 'files'>): string[] {
  const dir = m.probes;
  if (!dir) return [];
  return m.files
    .map((f) => f.path)
    .filter((p) => p.startsWith(dir) && p.endsWith('.json'))
    .map((p) => p.slice(dir.length).replace(/^\//, '').replace(/\.json$/, ''))
    .sort();
}
