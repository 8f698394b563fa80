// The split-at-the-router inference engine (DESIGN.md §3). Environment-agnostic: it is handed an
// `ort` module (onnxruntime-web in the worker, onnxruntime-node in the CLI) and the bundle's bytes.
// embed → per layer (attn graph → routing in JS → moe graph) → head, one event per layer.
import type * as OrtWeb from 'onnxruntime-web';
import { BundleError, type Manifest } from '../models/manifest';
import type { LabTokenizer } from '../models/tokenizer';
import type { Intervention, RouterPolicy } from '../routing/types';
import type { Progress } from './protocol';
import type { BackendName, LayerEvent } from '../routing/run';
import { LayerRouter, type RoutedLayer } from './layerRouter';
import { RouterWeights } from './routerWeights';
import { headWithLogProbs } from '../models/onnx/logProbHead';
import { matMulNBitsHint } from '../models/onnx/quant';
import { attnIo, EMBED_IO, GRAPH_IO as IO, HEAD_IO, moeIo, type GraphIo } from '../models/onnx/graphIO';
import { createSession, ortReason } from './ortSessions';
import { checkGraphDims } from './graphDims';
import { externalDataName } from '../models/convert/streamingExternal';

export type Ort = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor'>;
type Session = OrtWeb.InferenceSession;
type Tensor = OrtWeb.Tensor;

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export interface EngineInit {
  ort: Ort;
  manifest: Manifest;
  files: Map<string, Uint8Array>;
  tokenizer: LabTokenizer;
  executionProviders: string[];
  backend: BackendName;
  onProgress?: (p: Progress) => void;
  /** sessions already being built (with createSession) while the bundle downloaded, by file */
  sessions?: Map<string, Promise<Session>>;
}

/** Per layer: what the attention graph produced and what routing made of it. */
interface LayerState {
  /** routing key of this layer (policy spec + its interventions) */
  key: string;
  /** [T × D] residual stream after attention */
  mid: Float32Array;
  /** [T × D] post-attention norm output */
  moeIn: Float32Array;
  /** [T × E] router logits as the model computed them */
  logits: Float32Array;
  key4: Float32Array;
  value4: Float32Array;
  /** [T × D] layer output */
  out: Float32Array;
  event: LayerEvent;
}

interface PassState {
  ids: number[];
  layers: LayerState[];
  /** [T × V] */
  logits: Float32Array;
  /** [T × V] log_softmax of the logits, when the head session computes it */
  logProbs?: Float32Array;
}

export interface ForwardRequest {
  ids: number[];
  router: RouterPolicy;
  interventions: Intervention[];
  /** cache slot: the baseline and the modified run keep separate caches */
  slot?: string;
  onLayer?: (e: LayerEvent) => void;
  signal?: { aborted: boolean };
  /** per-layer additive logit vectors [L][E] (rewire); part of the cache key */
  extraBias?: Float32Array[];
}

export interface ForwardResult {
  events: LayerEvent[];
  /** [T × V] */
  logits: Float32Array;
  /** [T × V] log_softmax(logits), when the head session computes it (the per-token loss is then a gather) */
  logProbs?: Float32Array;
  from: number;
  ms: number;
}

export class Engine {
  readonly D: number;
  readonly V: number;
  readonly routerWeights: RouterWeights;
  /**
   * Settles when every graph's session exists and has the manifest's inputs/outputs; rejects with
   * the first graph that failed, named. Engine.create awaits it, except with `progressive`.
   */
  readonly ready: Promise<void>;

  private cache = new Map<string, PassState>();

  private constructor(
    readonly ort: Ort,
    readonly manifest: Manifest,
    readonly tokenizer: LabTokenizer,
    readonly backend: BackendName,
    private embed: Promise<Session>,
    private attn: Promise<Session>[],
    private moe: Promise<Session>[],
    private head: Promise<Session>,
    routerBytes: Uint8Array,
  ) {
    this.D = manifest.hiddenSize;
    this.V = manifest.vocabSize;
    this.routerWeights = new RouterWeights(manifest, routerBytes);
    this.ready = Promise.all([embed, ...attn, ...moe, head]).then(() => undefined);
  }

  /**
   * Build one session per graph, one after another in the order a forward pass needs them.
   * `progressive`: return once the embedding and the first layer's graphs are ready, and let the
   * rest be built while the first forward runs (it awaits each layer's sessions); `ready` then
   * reports a later failure. The page's first routing map no longer waits for the last layers.
   */
  static async create(init: EngineInit & { progressive?: boolean }): Promise<Engine> {
    const { ort, manifest: m, files } = init;
    const routers = files.get(m.routerWeights.file);
    if (!routers) throw new Error(`${m.routerWeights.file}: missing from the bundle`);
    const names = [m.graphs.embed, ...m.graphs.attn.flatMap((a, i) => [a, m.graphs.moe[i]]), m.graphs.head];
    const made: Session[] = [];
    let failed = false;
    let previous: Promise<unknown> = Promise.resolve();
    const sessions = new Map<string, Promise<Session>>();
    names.forEach((file, i) => {
      const p = previous.then(async () => {
        // Progressive: yield to the event loop between sessions, so the page's first forward (a
        // message) starts as soon as the first layer is ready instead of after the last session.
        if (init.progressive && i > 2) await new Promise((ok) => setTimeout(ok, 0));
        // (after the first layer's, sessions are built behind 'loaded': no more load progress)
        if (!init.progressive || i <= 2) init.onProgress?.({ status: 'session', file, index: i, count: names.length });
        const bytes = files.get(file);
        if (!bytes) throw new Error(`${file}: missing from the bundle`);
        let s: Session;
        try {
          const graph = file === m.graphs.head ? headWithLogProbs(bytes) : bytes;
          // a graph over the protobuf limit keeps its weights in <graph>.data (streamingExternal.ts)
          const data = files.get(externalDataName(file));
          const external = data ? { path: externalDataName(file.split('/').pop()!), data } : undefined;
          s = await (init.sessions?.get(file) ?? createSession(ort, graph, init.executionProviders, external));
        } catch (e) {
          const msg = (e as Error).message;
          throw new Error(`${file}: the ${init.backend} backend cannot load this graph (${ortReason(msg)})${matMulNBitsHint(m.dtype, init.backend, msg)}`);
        }
        made.push(s);
        checkIo(file, s, expectedIo(m, file));
        checkGraphDims(m, file, s);
        return s;
      });
      p.catch(() => undefined); // reported through `ready` (and by the forward that awaits it)
      previous = p;
      sessions.set(file, p);
    });
    const engine = new Engine(
      ort,
      m,
      init.tokenizer,
      init.backend,
      sessions.get(m.graphs.embed)!,
      m.graphs.attn.map((a) => sessions.get(a)!),
      m.graphs.moe.map((a) => sessions.get(a)!),
      sessions.get(m.graphs.head)!,
      routers,
    );
    // Nothing half-built stays behind: the sessions made so far and those still being made.
    // (Once no forward is running: one in flight finishes the layers it has, then names the failure.)
    engine.ready.catch(() => {
      failed = true;
      engine.whenIdle(() => {
        for (const s of made) void s.release();
        for (const p of init.sessions?.values() ?? []) p.then((s) => (made.includes(s) ? undefined : s.release())).catch(() => undefined);
      });
    });
    if (init.progressive) await Promise.all([sessions.get(m.graphs.embed), sessions.get(m.graphs.attn[0]), sessions.get(m.graphs.moe[0])]);
    else await engine.ready;
    if (failed) await engine.ready; // (rethrows)
    return engine;
  }

  async release(): Promise<void> {
    const all = await Promise.allSettled([this.embed, ...this.attn, ...this.moe, this.head]);
    for (const r of all) if (r.status === 'fulfilled') await r.value.release();
    this.cache.clear();
  }

  /** One graph run; an onnxruntime failure is named by graph, in our words (ortReason). */
  private async runGraph(session: Promise<Session>, file: string, feeds: Record<string, Tensor>): Promise<OrtWeb.InferenceSession.ReturnType> {
    const s = await session;
    try {
      return await s.run(feeds);
    } catch (e) {
      throw new Error(`${file}: onnxruntime could not run this graph (${ortReason((e as Error).message)})`);
    }
  }

  private f32(data: Float32Array, dims: number[]): Tensor {
    return new this.ort.Tensor('float32', data, dims);
  }

  private i64(values: ArrayLike<number>, dims: number[]): Tensor {
    return new this.ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
  }

  /** ids: [B × T] row-major (B sequences of equal length; B = 1 by default) */
  async embedIds(ids: number[], B = 1): Promise<Float32Array> {
    // An id beyond the embedding is our error (tokenizer and manifest disagree), not ORT's Gather's.
    for (let i = 0; i < ids.length; i++)
      if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < this.V))
        throw new BundleError(this.manifest.tokenizer, `token id ${ids[i]} at position ${i} is outside the embedding's ${this.V} rows (manifest.json vocabSize)`);
    const out = await this.runGraph(this.embed, this.manifest.graphs.embed, { [IO.inputIds]: this.i64(ids, [B, ids.length / B]) });
    return out[IO.hidden].data as Float32Array;
  }

  /**
   * Attention graph for T new tokens at absolute positions start.., with an optional KV cache.
   * B > 1: B sequences of T tokens at once (hidden [B × T × D], causal, so right-padding is exact).
   */
  async runAttn(layer: number, hidden: Float32Array, T: number, start: number, past?: { key: Float32Array; value: Float32Array }, B = 1) {
    const m = this.manifest;
    const P = past ? past.key.length / (B * m.numKvHeads * m.headDim) : 0;
    const kvDims = [B, m.numKvHeads, P, m.headDim];
    // MLA (DeepSeek) caches values narrower than keys
    const vDims = [B, m.numKvHeads, P, m.valueHeadDim ?? m.headDim];
    const pos = Array.from({ length: B * T }, (_, i) => start + (i % T));
    const out = await this.runGraph(this.attn[layer], this.manifest.graphs.attn[layer], {
      [IO.hidden]: this.f32(hidden, [B, T, this.D]),
      [IO.positionIds]: this.i64(pos, [B, T]),
      [IO.pastKey]: this.f32(past?.key ?? new Float32Array(0), kvDims),
      [IO.pastValue]: this.f32(past?.value ?? new Float32Array(0), vDims),
    });
    return {
      mid: out[IO.hiddenMid].data as Float32Array,
      moeIn: out[IO.moeIn].data as Float32Array,
      // dense layers have no router: their attention graph gives no router_logits
      logits: (out[IO.routerLogits]?.data as Float32Array | undefined) ?? new Float32Array(0),
      key: out[IO.presentKey].data as Float32Array,
      value: out[IO.presentValue].data as Float32Array,
    };
  }

  async runMoe(layer: number, moeIn: Float32Array, gates: Float32Array, T: number, B = 1): Promise<{ out: Float32Array; norms: Float32Array }> {
    const E = this.manifest.layers[layer].numExperts;
    if (this.manifest.layers[layer].kind === 'dense') {
      // A dense layer's graph is the plain MLP: moe_in → moe_out, no gates, no expert norms.
      const r = await this.runGraph(this.moe[layer], this.manifest.graphs.moe[layer], { [IO.moeIn]: this.f32(moeIn, [B, T, this.D]) });
      return { out: r[IO.moeOut].data as Float32Array, norms: new Float32Array(0) };
    }
    const r = await this.runGraph(this.moe[layer], this.manifest.graphs.moe[layer], { [IO.moeIn]: this.f32(moeIn, [B, T, this.D]), [IO.gates]: this.f32(gates, [B, T, E]) });
    return { out: r[IO.moeOut].data as Float32Array, norms: r[IO.expertNorms].data as Float32Array };
  }

  async runHead(hidden: Float32Array, T: number): Promise<Float32Array> {
    return (await this.runHeadWithLogProbs(hidden, T)).logits;
  }

  /** [T × V] logits and, when the head session has them (sessions the engine builds), log-probabilities. */
  async runHeadWithLogProbs(hidden: Float32Array, T: number, B = 1): Promise<{ logits: Float32Array; logProbs?: Float32Array }> {
    const r = await this.runGraph(this.head, this.manifest.graphs.head, { [IO.hidden]: this.f32(hidden, [B, T, this.D]) });
    return { logits: r[IO.logits].data as Float32Array, logProbs: r[IO.logProbs]?.data as Float32Array | undefined };
  }

  /**
   * Route one layer and apply its MoE block (or skip / repeat it). Returns the layer output and
   * the event. `mid`/`moeIn`/`logits` come from the attention graph.
   */
  async moeStep(layer: number, ids: number[], positions: number[], a: { mid: Float32Array; moeIn: Float32Array; logits: Float32Array }, router: LayerRouter): Promise<{ out: Float32Array; event: LayerEvent }> {
    const T = ids.length;
    const spec = this.manifest.layers[layer];
    const E = spec.numExperts;
    if (router.skips(layer)) {
      const routed = router.route(layer, a.logits, T, E, ids, positions, a.moeIn);
      const event = eventOf(layer, spec.kind, routed, new Float32Array(T * E), true);
      event.selected = event.selected.map(() => []);
      event.gates = event.gates.map(() => []);
      return { out: a.mid.slice(), event };
    }
    if (spec.kind === 'dense') return this.denseStep(layer, T, a, router);
    const repeats = router.repeats(layer);
    let h = a.mid.slice();
    let moeIn = a.moeIn;
    let logits = a.logits;
    let first: LayerEvent | undefined;
    for (let r = 0; r < repeats; r++) {
      if (r > 0) {
        // Chain-of-Experts: re-normalise and re-route the updated residual stream in JS.
        moeIn = this.routerWeights.norm(layer, h, T, this.manifest.rmsNormEps);
        logits = this.routerWeights.logits(layer, moeIn, T);
      }
      const routed = router.route(layer, logits, T, E, ids, positions, moeIn);
      const moe = await this.runMoe(layer, moeIn, routed.denseGates, T);
      for (let i = 0; i < h.length; i++) h[i] += moe.out[i];
      first ??= eventOf(layer, spec.kind, routed, moe.norms, false);
    }
    if (repeats === 0) h = a.mid.slice();
    return { out: h, event: first! };
  }

  /**
   * A dense layer: no router, so no routing and no logit interventions; `skip` bypasses its MLP
   * and `repeat` re-applies it (re-normalising the residual stream in JS). Its event has E = 0
   * and empty selections, the trace JSON's spelling of a dense layer.
   */
  private async denseStep(layer: number, T: number, a: { mid: Float32Array; moeIn: Float32Array }, router: LayerRouter): Promise<{ out: Float32Array; event: LayerEvent }> {
    const skipped = router.skips(layer);
    const repeats = skipped ? 0 : router.repeats(layer);
    const h = a.mid.slice();
    let moeIn = a.moeIn;
    for (let r = 0; r < repeats; r++) {
      if (r > 0) moeIn = this.routerWeights.norm(layer, h, T, this.manifest.rmsNormEps);
      const moe = await this.runMoe(layer, moeIn, new Float32Array(0), T);
      for (let i = 0; i < h.length; i++) h[i] += moe.out[i];
    }
    return { out: h, event: denseEvent(layer, T, skipped) };
  }

  /**
   * Full forward over `ids` with incremental recompute: layers before the first one whose
   * routing key changed are reused from the slot's cache; at that layer the attention outputs
   * are reused too (its input did not change).
   */
  async forward(req: ForwardRequest): Promise<ForwardResult> {
    this.running++;
    try {
      return await this.forwardPass(req);
    } finally {
      if (--this.running === 0) for (const task of this.idleTasks.splice(0)) task();
    }
  }

  /** forwards in flight, and what waits for none to be (releasing a failed build's sessions) */
  private running = 0;
  private idleTasks: (() => void)[] = [];

  private whenIdle(task: () => void): void {
    if (this.running === 0) task();
    else this.idleTasks.push(task);
  }

  private async forwardPass(req: ForwardRequest): Promise<ForwardResult> {
    const t0 = now();
    const { ids } = req;
    const T = ids.length;
    const L = this.manifest.numLayers;
    const slot = req.slot ?? 'default';
    const router = new LayerRouter(req.router, req.interventions, this.routerWeights, req.extraBias);
    const prev = this.cache.get(slot);
    const sameIds = prev !== undefined && prev.ids.length === T && prev.ids.every((v, i) => v === ids[i]);
    const keys = Array.from({ length: L }, (_, l) => router.key(l));
    let from = 0;
    if (sameIds && !router.stateful) {
      while (from < L && prev.layers[from].key === keys[from]) from++;
    }
    const positions = Array.from({ length: T }, (_, t) => t);
    const layers: LayerState[] = sameIds ? prev.layers.slice(0, from) : [];
    const events: LayerEvent[] = layers.map((s) => s.event);
    for (const e of events) req.onLayer?.(e);
    let hidden = from === 0 ? await this.embedIds(ids) : layers[from - 1].out;
    for (let l = from; l < L; l++) {
      if (req.signal?.aborted) throw new Cancelled();
      const reuse = sameIds && l === from && from < L ? prev.layers[l] : undefined;
      const a = reuse
        ? { mid: reuse.mid, moeIn: reuse.moeIn, logits: reuse.logits, key: reuse.key4, value: reuse.value4 }
        : await this.runAttn(l, hidden, T, 0);
      const step = await this.moeStep(l, ids, positions, a, router);
      layers.push({ key: keys[l], mid: a.mid, moeIn: a.moeIn, logits: a.logits, key4: a.key, value4: a.value, out: step.out, event: step.event });
      events.push(step.event);
      req.onLayer?.(step.event);
      hidden = step.out;
    }
    const head = from === L && sameIds ? { logits: prev.logits, logProbs: prev.logProbs } : await this.runHeadWithLogProbs(hidden, T);
    this.cache.set(slot, { ids: [...ids], layers, ...head });
    return { events, ...head, from: sameIds ? from : 0, ms: now() - t0 };
  }

  /**
   * Every expert of `layer` on every token of the slot's last forward (gates of 1: the routed
   * graph then runs all experts), as [T × E] output norms and the router probabilities [T × E].
   * Coupling analyses need the experts a token was not routed to as well.
   */
  async allExpertNorms(layer: number, slot = 'modified'): Promise<{ norms: Float32Array; probs: Float32Array } | undefined> {
    const s = this.cache.get(slot)?.layers[layer];
    if (!s || this.manifest.layers[layer].kind === 'dense') return undefined;
    const T = s.event.T;
    const { norms } = await this.runMoe(layer, s.moeIn, new Float32Array(T * s.event.E).fill(1), T);
    return { norms, probs: s.event.probs };
  }

  /** The KV cache of a slot's last forward, to continue generation from. */
  kvOf(slot = 'default'): { key: Float32Array; value: Float32Array }[] | undefined {
    return this.cache.get(slot)?.layers.map((s) => ({ key: s.key4, value: s.value4 }));
  }

  /** One decoding step: T new tokens at positions start.. on top of `past`. */
  async step(ids: number[], start: number, past: { key: Float32Array; value: Float32Array }[], router: LayerRouter): Promise<{ logits: Float32Array; past: { key: Float32Array; value: Float32Array }[]; events: LayerEvent[] }> {
    const T = ids.length;
    let hidden = await this.embedIds(ids);
    const positions = Array.from({ length: T }, (_, t) => start + t);
    const next: { key: Float32Array; value: Float32Array }[] = [];
    const events: LayerEvent[] = [];
    for (let l = 0; l < this.manifest.numLayers; l++) {
      const a = await this.runAttn(l, hidden, T, start, past[l]);
      next.push({ key: a.key, value: a.value });
      const s = await this.moeStep(l, ids, positions, a, router);
      events.push(s.event);
      hidden = s.out;
    }
    return { logits: await this.runHead(hidden, T), past: next, events };
  }

  clearCache(): void {
    this.cache.clear();
  }
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/** A dense layer's event: no router, E = 0, empty selections (forward and the batched forward). */
export function denseEvent(layer: number, T: number, skipped: boolean): LayerEvent {
  const empty = new Float32Array(0);
  return {
    layer,
    kind: 'dense',
    T,
    E: 0,
    routerLogits: empty,
    probs: empty,
    selected: Array.from({ length: T }, () => []),
    gates: Array.from({ length: T }, () => []),
    expertNorms: empty,
    dropped: new Uint8Array(T),
    ...(skipped ? { skipped } : {}),
  };
}

export function eventOf(layer: number, kind: 'moe' | 'dense', r: RoutedLayer, norms: Float32Array, skipped: boolean): LayerEvent {
  const { routing, logits } = r;
  const selected: number[][] = [];
  const gates: number[][] = [];
  for (let t = 0; t < routing.T; t++) {
    const a = routing.offsets[t];
    const b = routing.offsets[t + 1];
    selected.push(Array.from(routing.experts.subarray(a, b)));
    gates.push(Array.from(routing.gates.subarray(a, b)));
  }
  return {
    layer,
    kind,
    T: routing.T,
    E: routing.E,
    routerLogits: logits,
    probs: routing.probs,
    selected,
    gates,
    expertNorms: norms,
    dropped: routing.dropped,
    ...(skipped ? { skipped } : {}),
  };
}

function expectedIo(m: Manifest, file: string): GraphIo {
  if (file === m.graphs.embed) return EMBED_IO;
  // (the engine's session of the head also outputs `logprobs`, see logProbHead.ts)
  if (file === m.graphs.head) return HEAD_IO;
  const a = m.graphs.attn.indexOf(file);
  const dense = m.layers[a >= 0 ? a : m.graphs.moe.indexOf(file)]?.kind === 'dense';
  return a >= 0 ? attnIo(dense) : moeIo(dense);
}

/** A graph whose inputs/outputs do not match the manifest's contract is named with the difference. */
function checkIo(file: string, s: Session, io: GraphIo): void {
  for (const [what, want, got] of [
    ['input', io.inputs, s.inputNames],
    ['output', io.outputs, s.outputNames],
  ] as const) {
    const missing = want.filter((n) => !got.includes(n));
    if (missing.length) throw new Error(`${file}: graph lacks ${what}${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} (has ${got.join(', ')})`);
  }
}
