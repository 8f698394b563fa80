// OLMoE: converter + split engine against the PyTorch reference of tiny-olmoe
// (training/families/hf_moe.py: q/k RMSNorm over the whole projection, clip_qkv 1.5, no renormalisation).
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { expectKvCacheMatches, expectMatchesReference, setupFamily } from './familyCheck.testing';
import { convertBundle } from '.';
import { familyDir, maxAbsDiff, readCheckpoint } from './fixture';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';

const r = setupFamily('olmoe');

describe('olmoe converter', () => {
  it('describes the router as softmax → top-k without renormalisation', () => {
    expect(r.bundle.manifest.router).toEqual({ type: 'softmax_topk', topK: 2, normTopkProb: false });
    expect(r.bundle.manifest.layers.every((l) => l.kind === 'moe' && l.numExperts === 8)).toBe(true);
  });

  it('matches the PyTorch router logits, selections, gates, logits and loss within 1e-4', () => {
    expectMatchesReference(r.errors);
  });

  it('clip_qkv matters in this fixture: without it the logits move', async () => {
    const b = await convertBundle(readCheckpoint(`${familyDir('olmoe')}/hf`, { clip_qkv: null }), { id: 'noclip' });
    const lab = await Lab.open(ort as unknown as Ort, b, ['cpu'], 'node');
    const c = r.ref.cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'x', {});
    expect(maxAbsDiff(p.logits, c.logits.flat())).toBeGreaterThan(1e-2);
  });

  it('decodes with the KV cache as a full pass does', async () => {
    await expectKvCacheMatches(r.lab, r.ref.cases[0].input_ids);
  });
});
