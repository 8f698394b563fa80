// Qwen2-MoE: converter + split engine against the PyTorch reference of tiny-qwen2_moe
// (training/families/hf_moe.py: q/k/v biases, sigmoid-gated shared expert, decoder_sparse_step 2 so
// layers 0 and 2 are dense).
import { describe, expect, it } from 'vitest';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';

const r = setupFamily('qwen2_moe');

describe('qwen2_moe converter', () => {
  it('makes every second layer sparse (decoder_sparse_step 2), with one shared expert', () => {
    const m = r.bundle.manifest;
    expect(m.layers.map((l) => l.kind)).toEqual(['dense', 'moe', 'dense', 'moe']);
    expect(m.layers[1]).toEqual({ kind: 'moe', numExperts: 6, topK: 2, sharedExperts: 1 });
    expect(m.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: false });
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('the first layer being dense does not break policies sized by the model’s expert count', async () => {
    const p = await r.lab.pass(r.ref.cases[0].input_ids, 'topk:k=1', [], 'k1', {});
    expect(p.events[0].E).toBe(0);
    expect(p.events[1].selected.every((s) => s.length === 1)).toBe(true);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
  });
});
