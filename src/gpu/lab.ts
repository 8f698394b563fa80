// The lab session: one loaded model with its engine, and the operations the page and the CLI
// share — text → counterfactual forward passes with diffs, generation, traces. The worker and
// `moe-lab` both drive this class, so what the page shows is what the CLI prints.
import { createPolicy, parseIntervention, formatIntervention, checkInterventionFits } from '../routing/index';
import type { Intervention, RouterPolicy } from '../routing/types';
import { sampleNext, tokenLosses, tokenLossesFromLogProbs, topNext } from '../routing/logits';
import { createRng } from '../routing/rng';
import type { LoadedBundle } from '../models/loader';
import { BundleError, modelExperts } from '../models/manifest';
import { LabTokenizer } from '../models/tokenizer';
import { Cancelled, Engine, type EngineInit, type Ort } from './engine';
import { LayerRouter } from './layerRouter';
import { fitRewire } from './rewire';
import { pearson, perturbationRadii } from '../routing/metrics/coupling';
import { parseProbeFile, type ProbeFile } from './probes';
import type { Progress } from './protocol';
import { diffPasses, type BackendName, type CounterfactualDiff, type ForwardSummary, type LayerEvent, type NextToken, type PassResult } from '../routing/run';

export interface RunOptions {
  router?: string;
  interventions?: string[];
  topN?: number;
  onLayer?: (pass: 'baseline' | 'modified', e: LayerEvent) => void;
  signal?: { aborted: boolean };
  onProgress?: (p: Progress) => void;
}

export type GenerateOptions = RunOptions & { maxTokens: number; temperature: number; topP: number; seed: number; onToken?: (tok: { id: number; text: string }, events: LayerEvent[]) => void };

export const NATIVE = 'native';

/** Characters of a prompt read per token of context (DESIGN.md §9: size limits). */
export const PROMPT_CHARS_PER_TOKEN = 64;

export class Lab {
  private policies = new Map<string, RouterPolicy>();

  private constructor(
    readonly engine: Engine,
    readonly tokenizer: LabTokenizer,
    /** the bundle's parallel probe texts (probes/<lang>.json), for alignment */
    readonly probes: ProbeFile[],
  ) {}

  static async open(
    ort: Ort,
    bundle: LoadedBundle,
    executionProviders: string[],
    backend: BackendName,
    onProgress?: (p: Progress) => void,
    /** sessions started while the bundle downloaded (see Engine.create) */
    sessions?: EngineInit['sessions'],
    /** return once the first layer can run; the rest is built meanwhile (Engine.create, `engine.ready`) */
    progressive = false,
  ): Promise<Lab> {
    const m = bundle.manifest;
    const tokBytes = bundle.files.get(m.tokenizer);
    if (!tokBytes) throw new Error(`${m.tokenizer}: missing from the bundle`);
    const tokenizer = LabTokenizer.fromBytes(tokBytes, m.tokenizerConfig ? bundle.files.get(m.tokenizerConfig) : undefined);
    // Before any session: every id the tokenizer can produce needs a row of the embedding.
    const maxId = tokenizer.maxId();
    if (maxId >= m.vocabSize) throw new BundleError(m.tokenizer, `has token id ${maxId} but manifest.json vocabSize is ${m.vocabSize}: ids ≥ ${m.vocabSize} have no embedding row`);
    const engine = await Engine.create({ ort, manifest: m, files: bundle.files, tokenizer, executionProviders, backend, onProgress, sessions, progressive });
    const probes = m.probes ? [...bundle.files].filter(([p]) => p.startsWith(m.probes!) && p.endsWith('.json')).map(([p, b]) => parseProbeFile(b, p)) : [];
    return new Lab(engine, tokenizer, probes);
  }

  get manifest() {
    return this.engine.manifest;
  }

  /** Policies keep their learnt state (kmeans centroids, balance-bias) across runs, per spec. */
  policy(spec: string): RouterPolicy {
    let p = this.policies.get(spec);
    if (!p) {
      p = createPolicy(spec, { native: this.manifest.router, numExperts: modelExperts(this.manifest) });
      this.policies.set(spec, p);
    }
    return p;
  }

  /** A spec parsed and checked against this model's layers and experts. */
  intervention(spec: string): Intervention {
    const iv = parseIntervention(spec);
    checkInterventionFits(iv, this.manifest.numLayers, (l) => this.manifest.layers[l]?.numExperts ?? 0);
    return iv;
  }

  resetPolicies(): void {
    for (const p of this.policies.values()) p.reset();
  }

  /** Token ids of a text, truncated to the model's context with a notice. */
  encode(text: string): { ids: number[]; notices: string[] } {
    const notices: string[] = [];
    // Any length is accepted, but only what the context can hold is tokenized: a token spans far
    // fewer than PROMPT_CHARS_PER_TOKEN characters, so the first tokens come out the same.
    const maxChars = Math.max(65536, this.manifest.maxContext * PROMPT_CHARS_PER_TOKEN);
    if (text.length > maxChars) {
      const cut = /[\uD800-\uDBFF]/.test(text[maxChars - 1]) ? maxChars - 1 : maxChars;
      notices.push(`prompt has ${text.length} characters; only the first ${cut} were tokenized (more than the model's context of ${this.manifest.maxContext} tokens holds)`);
      text = text.slice(0, cut);
    }
    const ids = this.tokenizer.encode(text);
    if (ids.length === 0) throw new Error('the prompt is empty: type some text to route');
    const max = this.manifest.maxContext;
    if (ids.length > max) {
      notices.push(`prompt has ${ids.length} tokens; truncated to the model's context of ${max}`);
      return { ids: ids.slice(0, max), notices };
    }
    return { ids, notices };
  }

  next(logits: Float32Array, row: number, n: number): NextToken[] {
    return topNext(logits, this.engine.V, row, n).map((x) => ({ ...x, text: this.tokenizer.tokenText(x.id) }));
  }

  /** One pass over ids with a router and interventions (specs), into a summary. */
  async pass(ids: number[], routerSpec: string, ivSpecs: string[], slot: string, opts: RunOptions, notices: string[] = []): Promise<PassResult> {
    const policy = this.policy(routerSpec);
    const ivs: Intervention[] = ivSpecs.map((s) => this.intervention(s));
    const notes = [...notices];
    if (!policy.causal) notes.push(`${policy.name} is non-causal: a token's experts depend on later tokens, so this routing could not run during generation`);
    let extraBias: Float32Array[] | undefined;
    const rewire = ivs.filter((iv) => iv.kind === 'rewire');
    if (rewire.length) {
      const fit = await fitRewire(this.engine, ids, policy, ivs, rewire[rewire.length - 1], opts.signal, opts.onProgress);
      extraBias = fit.bias;
      notes.push(`rewire: mean loss ${fit.before.toFixed(4)} → ${fit.after.toFixed(4)} nats after ${fit.steps} SPSA steps`);
    }
    const pass = slot === 'baseline' ? 'baseline' : 'modified';
    const r = await this.engine.forward({
      ids,
      router: policy,
      interventions: ivs,
      slot,
      extraBias,
      signal: opts.signal,
      onLayer: (e) => {
        opts.onLayer?.(pass, e);
        opts.onProgress?.({ status: 'layer', layer: e.layer, numLayers: this.manifest.numLayers });
      },
    });
    const summary: ForwardSummary = {
      tokens: this.tokenizer.tokens(ids),
      loss: r.logProbs ? tokenLossesFromLogProbs(r.logProbs, this.engine.V, ids) : tokenLosses(r.logits, this.engine.V, ids),
      next: this.next(r.logits, ids.length - 1, opts.topN ?? 10),
      from: r.from,
      ms: r.ms,
      router: policy.spec,
      interventions: ivs.map(formatIntervention),
      notices: notes,
    };
    return { summary, events: r.events, logits: r.logits };
  }

  /** The modified run and, when asked, the unmodified baseline with the diff between them. */
  async run(text: string, opts: RunOptions & { baseline?: boolean }): Promise<{ modified: PassResult; baseline?: PassResult; diff?: CounterfactualDiff }> {
    const { ids, notices } = this.encode(text);
    const routerSpec = opts.router ?? NATIVE;
    const ivSpecs = opts.interventions ?? [];
    const changed = routerSpec !== NATIVE || ivSpecs.length > 0;
    const baseline = opts.baseline && changed ? await this.pass(ids, NATIVE, [], 'baseline', opts, notices) : undefined;
    const modified = await this.pass(ids, routerSpec, ivSpecs, 'modified', opts, notices);
    return { modified, baseline, diff: baseline ? diffPasses(baseline, modified, this.engine.V) : undefined };
  }

  /** Greedy / temperature / top-p generation with the KV cache, streaming each token's routing. */
  async generate(text: string, opts: GenerateOptions): Promise<{ ids: number[]; text: string }> {
    return this.generateFrom(this.encode(text).ids, opts);
  }

  /** `generate` from token ids (1..maxContext of them; `moe-lab corpus --generate` continues each window). */
  async generateFrom(ids: number[], opts: GenerateOptions): Promise<{ ids: number[]; text: string }> {
    const policy = this.policy(opts.router ?? NATIVE);
    const ivs = (opts.interventions ?? []).map((s) => this.intervention(s));
    const rng = createRng(opts.seed);
    const first = await this.engine.forward({ ids, router: policy, interventions: ivs, slot: 'generate', signal: opts.signal });
    let past = this.engine.kvOf('generate')!;
    let logits = first.logits;
    let row = ids.length - 1;
    const out: number[] = [];
    const router = new LayerRouter(policy, ivs, this.engine.routerWeights);
    for (let i = 0; i < opts.maxTokens; i++) {
      if (opts.signal?.aborted) break;
      const pos = ids.length + out.length;
      if (pos >= this.manifest.maxContext) break;
      const id = sampleNext(logits, this.engine.V, row, opts.temperature, opts.topP, rng);
      out.push(id);
      opts.onProgress?.({ status: 'token', index: i + 1, count: opts.maxTokens });
      const step = await this.engine.step([id], pos, past, router);
      opts.onToken?.({ id, text: this.tokenizer.tokenText(id) }, step.events);
      past = step.past;
      logits = step.logits;
      row = 0;
      if (id === this.manifest.eosTokenId) break;
    }
    return { ids: out, text: this.tokenizer.decode(out) };
  }
}

/** Per-layer routing of several texts (native router), for contrastive attribution: [run][L][T][k]. */
export async function routeTexts(lab: Lab, texts: string[], signal?: { aborted: boolean }): Promise<number[][][][]> {
  const runs: number[][][][] = [];
  for (const text of texts) {
    if (signal?.aborted) throw new Cancelled();
    const { ids } = lab.encode(text);
    const r = await lab.engine.forward({ ids, router: lab.policy(NATIVE), interventions: [], slot: 'texts' });
    runs.push(r.events.map((e) => e.selected));
  }
  return runs;
}

/**
 * Router–expert coupling (ERC): each router row R_i (optionally scaled per dimension by
 * U(1 ± ε_i), ε_i = min_j ‖R_i − R_j‖ / (2‖R_i‖)) is fed to the layer's own MoE graph as a proxy
 * token; M[i][j] = expert j's output norm on proxy i.
 */
export async function couplingMatrix(lab: Lab, layer: number, perturb: boolean, seed = 0): Promise<{ M: number[][]; R: number[][]; scoreNormCorrelation: number | null }> {
  const m = lab.manifest;
  if (m.layers[layer].kind === 'dense') throw new Error(`layer ${layer} is dense: it has no router and no experts to couple`);
  const E = m.layers[layer].numExperts;
  const D = m.hiddenSize;
  const W = lab.engine.routerWeights.weight(layer);
  const R = Array.from({ length: E }, (_, i) => Array.from(W.subarray(i * D, (i + 1) * D)));
  const x = Float32Array.from(R.flat());
  if (perturb) {
    const rng = createRng(seed);
    const eps = perturbationRadii(R);
    for (let i = 0; i < E; i++) for (let d = 0; d < D; d++) x[i * D + d] *= 1 + eps[i] * (2 * rng.next() - 1);
  }
  // Gates of 1 run every expert on every proxy token (the routed graph skips zero gates).
  const { norms } = await lab.engine.runMoe(layer, x, new Float32Array(E * E).fill(1), E);
  // On the real tokens of the last run, when there is one: Pearson r over (token, expert) pairs.
  const real = await lab.engine.allExpertNorms(layer);
  const scoreNormCorrelation = real && real.probs.length > 2 ? pearson(Array.from(real.probs), Array.from(real.norms)) : null;
  return { M: Array.from({ length: E }, (_, i) => Array.from(norms.subarray(i * E, (i + 1) * E))), R, scoreNormCorrelation };
}
