// Corpus throughput for `moe-lab bench`: the texts `moe-lab corpus` would route (the bundle's probe
// articles, or synthetic ids without probes) in batches of B through the split engine — routing
// only, as `corpus` runs it, and with the head and per-token losses, as `ablate` runs it — and
// through the fused single graph on the same padded batches, same backend. Tokens/s count real
// tokens, not padding; each batch runs split then fused back to back, so machine noise hits both.
import type * as OrtWeb from 'onnxruntime-web';
import type { Lab } from '../../src/gpu/lab';
import type { Ort } from '../../src/gpu/engine';
import { forwardBatch } from '../../src/gpu/batch';
import { contextWindows } from '../../src/routing/metrics/corpus';
import { batchesOf } from './corpus';
import { GRAPH_IO as IO } from '../../src/models/onnx/graphIO';

export async function corpusThroughput(
  lab: Lab,
  ort: Ort,
  fused: OrtWeb.InferenceSession,
  opts: { batch: number; articles: number },
) {
  const m = lab.manifest;
  const texts = lab.probes.length
    ? lab.probes.flatMap((p) => p.articles.slice(0, opts.articles).map((a) => a.text))
    : [];
  let windows = texts.flatMap((t) => contextWindows(lab.tokenizer.encode(t), m.maxContext));
  if (!windows.length)
    windows = Array.from({ length: 48 }, (_, s) =>
      Array.from(
        { length: 32 + ((s * 37) % 200) },
        (_, i) => (i * 7919 + s * 13 + 1) % m.vocabSize,
      ),
    );
  // the batches `moe-lab corpus` makes
  const batches = batchesOf(
    windows.map((w) => w.length),
    opts.batch,
  ).map((b) => b.map((i) => windows[i]));
  const policy = lab.policy('native');
  const pad = m.eosTokenId ?? 0;
  const fusedRun = async (seqs: number[][]) => {
    const B = seqs.length;
    const T = Math.max(...seqs.map((s) => s.length));
    const ids = new BigInt64Array(B * T).fill(BigInt(pad));
    seqs.forEach((s, b) => s.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
    const pos = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T));
    await fused.run({
      [IO.inputIds]: new ort.Tensor('int64', ids, [B, T]),
      [IO.positionIds]: new ort.Tensor('int64', pos, [B, T]),
    });
  };
  // warm-up: one batch each
  await forwardBatch(lab.engine, {
    seqs: batches[0],
    router: policy,
    interventions: [],
    loss: true,
  });
  await fusedRun(batches[0]);
  const ms = { routing: 0, withLoss: 0, fused: 0 };
  for (const seqs of batches) {
    lab.engine.clearCache(); // (one-sequence batches go through Engine.forward, which caches)
    const a = performance.now();
    await forwardBatch(lab.engine, { seqs, router: policy, interventions: [] });
    lab.engine.clearCache();
    const b = performance.now();
    await forwardBatch(lab.engine, { seqs, router: policy, interventions: [], loss: true });
    const c = performance.now();
    await fusedRun(seqs);
    const d = performance.now();
    ms.routing += b - a;
    ms.withLoss += c - b;
    ms.fused += d - c;
  }
  const tokens = windows.reduce((n, w) => n + w.length, 0);
  const tps = (t: number) => Math.round(tokens / (t / 1000));
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    sequences: windows.length,
    tokens,
    batch: opts.batch,
    text: texts.length ? `probe articles (first ${opts.articles} per language)` : 'synthetic ids',
    tokensPerSecond: {
      splitRouting: tps(ms.routing),
      splitWithLoss: tps(ms.withLoss),
      fused: tps(ms.fused),
    },
    splitOverFused: { routing: r2(ms.fused / ms.routing), withLoss: r2(ms.fused / ms.withLoss) },
  };
}
