// OLMoE: converter + split engine against the PyTorch reference of tiny-olmoe
// (training/families/hf_moe.py: q/k RMSNorm over the whole projection, clip_qkv 1.5, no renormalisation).
import { beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { checkFamily, kvCacheGap, type FamilyErrors } from './familyCheck';
import { convertBundle, type Bundle } from '.';
import { familyDir, maxAbsDiff, readCheckpoint } from './fixture';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';

let r: { bundle: Bundle; lab: Lab; errors: FamilyErrors; ref: { cases: { input_ids: number[]; logits: number[][] }[] } };
beforeAll(async () => {
  r = await checkFamily('olmoe');
  console.log('olmoe max |Δ| vs PyTorch:', r.errors);
});

describe('olmoe converter', () => {
  it('describes the router as softmax → top-k without renormalisation', () => {
    expect(r.bundle.manifest.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: false });
    expect(r.bundle.manifest.layers.every((l) => l.kind === 'moe' && l.numExperts === 8)).toBe(true);
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expect(r.errors.sameSelections).toBe(true);
    expect(r.errors.routerLogits).toBeLessThan(1e-4);
    expect(r.errors.gates).toBeLessThan(1e-4);
    expect(r.errors.logits).toBeLessThan(1e-4);
    expect(r.errors.loss).toBeLessThan(1e-4);
  });

  it('clip_qkv matters in this fixture: without it the logits move', async () => {
    const b = await convertBundle(readCheckpoint(`${familyDir('olmoe')}/hf`, { clip_qkv: null }), { id: 'noclip' });
    const lab = await Lab.open(ort as unknown as Ort, b, ['cpu'], 'node');
    const c = r.ref.cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'x', {});
    expect(maxAbsDiff(p.logits, c.logits.flat())).toBeGreaterThan(1e-2);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    const { gap, sameSelections } = await kvCacheGap(r.lab, r.ref.cases[0].input_ids, 8);
    expect(gap).toBeLessThan(1e-4);
    expect(sameSelections).toBe(true);
  });
});
