// Qwen3-MoE: converter + split engine against the PyTorch reference of tiny-qwen3_moe
// (training/families/hf_moe.py: per-head q/k RMSNorm, head_dim 16 ≠ hidden/heads, norm_topk_prob,
// layer 1 dense through mlp_only_layers).
import { describe, expect, it } from 'vitest';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';
import { traceJson } from '../../gpu/trace';
import { parseTrace } from '../../routing/metrics/trace';

const r = setupFamily('qwen3_moe');

describe('qwen3_moe converter', () => {
  it('describes the layers and the router as the config says', () => {
    const m = r.bundle.manifest;
    expect(m.architecture).toBe('qwen3_moe');
    expect(m.headDim).toBe(16);
    expect(m.layers.map((l) => l.kind)).toEqual(['moe', 'dense', 'moe']);
    expect(m.layers[1]).toEqual({ kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 });
    expect(m.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: true });
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('decodes with the KV cache through the dense layer as a full pass does', async () => {
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
  });

  it('writes a dense layer into the trace JSON without router logits or experts, and the trace validates', async () => {
    const p = await r.lab.pass(r.ref.cases[0].input_ids, 'native', [], 'trace', {});
    const t = traceJson(r.bundle.manifest, 'node', p) as { model: { numExperts: number }; layers: { kind: string; routerLogits?: unknown; selected: number[][] }[] };
    expect(t.model.numExperts).toBe(8);
    expect(t.layers[1].kind).toBe('dense');
    expect(t.layers[1].routerLogits).toBeUndefined();
    expect(t.layers[1].selected.every((s) => s.length === 0)).toBe(true);
    expect(parseTrace(JSON.parse(JSON.stringify(t))).layers.map((l) => l.kind)).toEqual(['moe', 'dense', 'moe']);
  });

  it('skips and repeats a dense layer’s MLP on request', async () => {
    const ids = r.ref.cases[0].input_ids;
    const base = await r.lab.pass(ids, 'native', [], 'base', {});
    const skip = await r.lab.pass(ids, 'native', ['skip:layers=1'], 'skip', {});
    expect(skip.events[1].skipped).toBe(true);
    expect(skip.events[0].selected).toEqual(base.events[0].selected);
    expect(skip.logits).not.toEqual(base.logits);
  });
});
