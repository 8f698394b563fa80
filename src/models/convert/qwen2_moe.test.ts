// Qwen2-MoE: converter + split engine against the PyTorch reference of tiny-qwen2_moe
// (training/families/hf_moe.py: q/k/v biases, sigmoid-gated shared expert, decoder_sparse_step 2 so
// layers 0 and 2 are dense).
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFamily, kvCacheGap, type FamilyErrors } from './familyCheck';
import type { Bundle } from '.';
import type { Lab } from '../../gpu/lab';

let r: { bundle: Bundle; lab: Lab; errors: FamilyErrors; ref: { cases: { input_ids: number[] }[] } };
beforeAll(async () => {
  r = await checkFamily('qwen2_moe');
  console.log('qwen2_moe max |Δ| vs PyTorch:', r.errors);
});

describe('qwen2_moe converter', () => {
  it('makes every second layer sparse (decoder_sparse_step 2), with one shared expert', () => {
    const m = r.bundle.manifest;
    expect(m.layers.map((l) => l.kind)).toEqual(['dense', 'moe', 'dense', 'moe']);
    expect(m.layers[1]).toEqual({ kind: 'moe', numExperts: 6, topK: 2, sharedExperts: 1 });
    expect(m.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: false });
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expect(r.errors.sameSelections).toBe(true);
    expect(r.errors.routerLogits).toBeLessThan(1e-4);
    expect(r.errors.gates).toBeLessThan(1e-4);
    expect(r.errors.logits).toBeLessThan(1e-4);
    expect(r.errors.loss).toBeLessThan(1e-4);
  });

  it('the first layer being dense does not break policies sized by the model’s expert count', async () => {
    const p = await r.lab.pass(r.ref.cases[0].input_ids, 'topk:k=1', [], 'k1', {});
    expect(p.events[0].E).toBe(0);
    expect(p.events[1].selected.every((s) => s.length === 1)).toBe(true);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    const { gap, sameSelections } = await kvCacheGap(r.lab, r.ref.cases[0].input_ids, 8);
    expect(gap).toBeLessThan(1e-4);
    expect(sameSelections).toBe(true);
  });
});
