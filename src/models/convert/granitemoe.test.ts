// GraniteMoE: converter + split engine against the PyTorch reference of tiny-granitemoe
// (training/families/hf_moe.py: embedding/attention/residual multipliers, logits_scaling, tied
// embeddings, fused input_linear/output_linear experts, top-k-then-softmax routing).
import { describe, expect, it } from 'vitest';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';
import { readCheckpoint, familyDir } from './fixture';

const r = setupFamily('granitemoe');

describe('granitemoe converter', () => {
  it('reads a tied checkpoint (no lm_head.weight) and routes top-k then softmax', () => {
    expect(readCheckpoint(`${familyDir('granitemoe')}/hf`).has('lm_head.weight')).toBe(false);
    expect(r.bundle.manifest.router).toEqual({ type: 'topk_softmax', topK: 2 });
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('keeps the residual multiplier inside the graphs: a repeated MoE block still runs', async () => {
    const ids = r.ref.cases[0].input_ids;
    const base = await r.lab.pass(ids, 'native', [], 'base', {});
    const rep = await r.lab.pass(ids, 'native', ['repeat:layers=0,n=2'], 'rep', {});
    expect(rep.events[0].selected).toEqual(base.events[0].selected);
    expect(rep.logits).not.toEqual(base.logits);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
  });
});
