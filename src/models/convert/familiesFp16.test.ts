// fp16 weight storage for every converted family: measured against the fp32 PyTorch references.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle } from '.';
import { familyDir, maxAbsDiff, readCheckpoint, readFamilyReference } from './fixture';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';
import { validateManifest } from '../manifest';

describe('fp16 bundles of the HF families', () => {
  it.each(['qwen3_moe', 'olmoe', 'granitemoe', 'qwen2_moe', 'phimoe', 'deepseek_v3', 'deepseek_v2'])('%s stays within fp16 bounds of the fp32 reference', async (family) => {
    const b = await convertBundle(readCheckpoint(`${familyDir(family)}/hf`), { id: family, dtype: 'fp16' });
    const lab = await Lab.open(ort as unknown as Ort, b, ['cpu'], 'node');
    const c = readFamilyReference(family).cases[0];
    const p = await lab.pass(c.input_ids, 'native', [], 'fp16', {});
    const router = Math.max(...p.events.map((e) => (c.router_logits[e.layer] ? maxAbsDiff(e.routerLogits, c.router_logits[e.layer]!.flat()) : 0)));
    const logits = maxAbsDiff(p.logits, c.logits.flat());
    console.log(`${family} fp16: router logits ${router.toExponential(2)}, logits ${logits.toExponential(2)}`);
    expect(router).toBeGreaterThan(0);
    expect(router).toBeLessThan(2e-2);
    expect(logits).toBeLessThan(5e-2);
  });

  it('rejects a manifest whose layers are all dense', async () => {
    const b = await convertBundle(readCheckpoint(`${familyDir('qwen2_moe')}/hf`), { id: 'x' });
    const m = JSON.parse(JSON.stringify(b.manifest));
    m.layers = m.layers.map(() => ({ kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 }));
    expect(() => validateManifest(m)).toThrow('manifest.json: "layers" has no layer of kind "moe"');
  });
});
