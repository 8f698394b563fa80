// `moe-lab bench`: warm forward latency of the split engine vs the fused single-graph export of
// the same model on the same backend (the floor), plus session-creation time (DESIGN.md §8).
import os from 'node:os';
import { checkFlags, intFlag, numberList, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, ortFor, readBundle } from './nodeBundle';
import { Lab } from '../../src/gpu/lab';
import { fusedFromBundle } from '../../src/models/convert/bundleWeights';
import { GRAPH_IO as IO } from '../../src/models/onnx/graphIO';
import { createSession } from '../../src/gpu/ortSessions';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95), min: s[0] };
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export async function benchCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  checkFlags(args, ['model', 'backend', 'tokens', 'iters', 'corpus-batch', 'corpus-articles'], 'bench');
  const model = one(args, 'model') ?? DEFAULT_MODEL_DIR;
  const lengths = numberList(one(args, 'tokens'), [16, 128, 256], 'tokens');
  const iters = Number(one(args, 'iters') ?? 10);
  if (!Number.isInteger(iters) || iters < 1) throw new UsageError(`--iters must be a positive integer`);
  const backend = one(args, 'backend') ?? 'wasm';
  const bundle = await readBundle(model);
  const m = bundle.manifest;
  const { ort, eps, name } = await ortFor(backend);

  const t0 = performance.now();
  const lab = await Lab.open(ort, bundle, eps, name);
  const splitCreate = performance.now() - t0;
  const t1 = performance.now();
  // The floor: the same weights as one graph (shipped bundles leave fused.onnx out; rebuild it).
  const fusedBytes = m.graphs.fused ? bundle.files.get(m.graphs.fused)! : fusedFromBundle(bundle);
  const fused = await createSession(ort, fusedBytes, eps);
  const fusedCreate = performance.now() - t1;

  const rows = [];
  for (const T of lengths) {
    const n = Math.min(T, m.maxContext);
    // Deterministic pseudo-random token ids: the benchmark measures compute, not text.
    const ids = Array.from({ length: n }, (_, i) => (i * 7919 + 13) % m.vocabSize);
    const policy = lab.policy('native');
    const split: number[] = [];
    const fusedT: number[] = [];
    const feeds = {
      [IO.inputIds]: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      [IO.positionIds]: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, n]),
    };
    for (let i = 0; i < iters + 2; i++) {
      lab.engine.clearCache();
      const a = performance.now();
      await lab.engine.forward({ ids, router: policy, interventions: [] });
      const b = performance.now();
      await fused.run(feeds);
      const c = performance.now();
      if (i >= 2) {
        split.push(b - a);
        fusedT.push(c - b);
      }
    }
    const s = stats(split);
    const f = stats(fusedT);
    rows.push({ tokens: n, splitP50Ms: r2(s.p50), splitP95Ms: r2(s.p95), fusedP50Ms: r2(f.p50), fusedP95Ms: r2(f.p95), ratioP50: r2(s.p50 / f.p50) });
  }
  // Generation with the KV cache (greedy), tokens per second.
  const prompt = 'All human beings are born free and equal in dignity and rights.';
  const g0 = performance.now();
  const gen = await lab.generate(prompt, { maxTokens: 32, temperature: 0, topP: 1, seed: 0 });
  const genS = (performance.now() - g0) / 1000;
  // Probe-set alignment run time (first 5 articles of every language), when the bundle has probes.
  let alignS: number | null = null;
  if (lab.probes.length) {
    const { alignProbes } = await import('../../src/gpu/align');
    const a0 = performance.now();
    await alignProbes(lab, lab.probes, { maxArticles: 5 });
    alignS = (performance.now() - a0) / 1000;
  }
  // Corpus throughput (moe-lab corpus / ablate): batched split engine vs the fused graph.
  const { corpusThroughput } = await import('./benchCorpus');
  const corpus = await corpusThroughput(lab, ort, fused, { batch: intFlag(args, 'corpus-batch', 32, 1), articles: intFlag(args, 'corpus-articles', 5, 1) });
  const mem = process.memoryUsage();
  return {
    model: m.id,
    backend: name,
    machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
    iterations: iters,
    sessionCreateMs: { split: r2(splitCreate), fused: r2(fusedCreate) },
    forward: rows,
    generation: { tokens: gen.ids.length, seconds: r2(genS), tokensPerSecond: r2(gen.ids.length / genS) },
    alignSecondsFor5ArticlesPerLanguage: alignS === null ? null : r2(alignS),
    corpus,
    memoryMiB: { rss: r2(mem.rss / 2 ** 20), jsHeap: r2(mem.heapUsed / 2 ** 20), external: r2(mem.external / 2 ** 20) },
  };
}
