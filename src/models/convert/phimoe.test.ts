// PhiMoE: converter + split engine against the PyTorch reference of tiny-phimoe
// (training/families/hf_moe.py: LayerNorm with bias, attention and lm_head biases, sparsemixer top-2
// in eval mode, router_jitter_noise 0.25 so several experts pass the mask).
import { describe, expect, it } from 'vitest';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';

const r = setupFamily('phimoe');

describe('phimoe converter', () => {
  it('describes LayerNorm blocks and the sparsemixer router', () => {
    expect(r.bundle.manifest.norm).toBe('layer');
    expect(r.bundle.manifest.router).toEqual({ type: 'sparsemixer', topK: 2, jitterEps: 0.25 });
    // the fixture exercises the mask: some first gates are below 1 (other experts within 2ε)
    expect(r.ref.cases[0].gates.flatMap((g) => g!.map((x) => x[0])).some((x) => x < 0.99)).toBe(true);
  });

  it('the native sparsemixer policy reproduces PyTorch’s selections and gates; logits match within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('re-normalises a repeated block with the LayerNorm (weight and bias) in JS', async () => {
    const ids = r.ref.cases[0].input_ids;
    const T = ids.length;
    const e = r.lab.engine;
    const hidden = await e.embedIds(ids);
    const a = await e.runAttn(0, hidden, T, 0);
    const moeIn = e.routerWeights.norm(0, a.mid, T, e.manifest.rmsNormEps);
    let gap = 0;
    for (let i = 0; i < moeIn.length; i++) gap = Math.max(gap, Math.abs(moeIn[i] - a.moeIn[i]));
    expect(gap).toBeLessThan(1e-5);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
  });
});
