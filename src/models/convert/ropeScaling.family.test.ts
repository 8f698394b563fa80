// RoPE scaling end to end: tiny-qwen3_moe under each rope_type and tiny-phimoe under Phi-3.5-MoE's longrope with
// short/long mscales (training/families/rope_fixture.py: same weights, config.json patched) converted and run
// through the split engine against the PyTorch reference; and a scaled tiny-mixtral bundle read back into a
// checkpoint that converts to the same bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle } from '.';
import { familyDir, FIXTURE_DIR, maxAbsDiff, readCheckpoint } from './fixture';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';
import { validateManifest } from '../manifest';
import { checkpointFromBundle, fusedFromBundle } from './bundleWeights';
import { sha256Hex } from '../hash';

interface Variant {
  name: string;
  config_patch: Record<string, unknown>;
  cases: {
    name: string;
    input_ids: number[];
    selected: (number[][] | null)[];
    gates: (number[][] | null)[];
    logits: number[][];
    loss: number[];
  }[];
}
const variants = (family: string): Variant[] =>
  JSON.parse(readFileSync(`${familyDir(family)}/rope_variants.json`, 'utf8')).variants;
const VARIANTS = variants('qwen3_moe');
const ALL = [
  ...VARIANTS.map((v) => ['qwen3_moe', v] as const),
  ...variants('phimoe').map((v) => ['phimoe', v] as const),
];

/** Convert a family fixture with a config patch and run the variant's cases: the bundle and max |Δ logits|. */
async function ropeRun(family: string, v: Variant, patch = v.config_patch) {
  const bundle = await convertBundle(readCheckpoint(`${familyDir(family)}/hf`, patch), {
    id: `rope-${v.name}`,
    fused: false,
  });
  const lab = await Lab.open(ort as unknown as Ort, bundle, ['cpu'], 'node');
  let logits = 0;
  for (const c of v.cases) {
    const p = await lab.pass(c.input_ids, 'native', [], `rope-${c.name}`, {});
    logits = Math.max(logits, maxAbsDiff(p.logits, c.logits.flat()));
  }
  return { bundle, logits };
}

describe('rope_scaling on tiny-qwen3_moe and tiny-phimoe matches PyTorch (modeling_rope_utils) within 1e-4', () => {
  for (const [family, v] of ALL) {
    it(`${family} ${v.name}: same selections; gates, logits and loss within 1e-4`, async () => {
      const bundle = await convertBundle(
        readCheckpoint(`${familyDir(family)}/hf`, v.config_patch),
        {
          id: `rope-${v.name}`,
          fused: false,
        },
      );
      const m = validateManifest(JSON.parse(JSON.stringify(bundle.manifest)));
      const type = (v.config_patch.rope_scaling ?? v.config_patch.rope_parameters) as {
        rope_type?: string;
        type?: string;
      };
      expect(m.ropeScaling?.rope_type).toBe(type.rope_type ?? type.type);
      const lab = await Lab.open(ort as unknown as Ort, bundle, ['cpu'], 'node');
      let logits = 0;
      let gates = 0;
      let loss = 0;
      for (const c of v.cases) {
        const p = await lab.pass(c.input_ids, 'native', [], `rope-${c.name}`, {});
        for (const e of p.events) {
          const want = c.selected[e.layer];
          if (want === null) continue; // the dense layer
          expect(JSON.stringify(e.selected), `${c.name} layer ${e.layer}`).toBe(
            JSON.stringify(want),
          );
          gates = Math.max(gates, maxAbsDiff(e.gates.flat(), c.gates[e.layer]!.flat()));
        }
        logits = Math.max(logits, maxAbsDiff(p.logits, c.logits.flat()));
        loss = Math.max(loss, maxAbsDiff(p.summary.loss, c.loss));
      }
      console.log(
        `rope ${family} ${v.name}: max |Δ| logits ${logits.toExponential(2)}, gates ${gates.toExponential(2)}, loss ${loss.toExponential(2)}`,
      );
      expect(logits).toBeLessThan(1e-4);
      expect(gates).toBeLessThan(1e-4);
      expect(loss).toBeLessThan(1e-4);
    });
  }

  it('PhiMoE’s mscales matter: the manifest records them; without them the 12-token case (past the original 8) misses', async () => {
    const v = variants('phimoe')[0];
    const { bundle } = await ropeRun('phimoe', v);
    expect(bundle.manifest.ropeScaling).toMatchObject({
      rope_type: 'longrope',
      short_mscale: 1,
      long_mscale: 1.25,
      original_max_position_embeddings: 8,
    });
    const rs = { ...(v.config_patch.rope_scaling as Record<string, unknown>) };
    delete rs.short_mscale;
    delete rs.long_mscale;
    const without = await ropeRun('phimoe', v, { ...v.config_patch, rope_scaling: rs });
    expect(without.logits).toBeGreaterThan(1e-2);
  });

  it('the scaling matters: plain RoPE on the same weights misses the yarn reference by far more than 1e-4', async () => {
    const v = VARIANTS.find((x) => x.name === 'yarn')!;
    const bundle = await convertBundle(readCheckpoint(`${familyDir('qwen3_moe')}/hf`), {
      id: 'plain',
      fused: false,
    });
    const lab = await Lab.open(ort as unknown as Ort, bundle, ['cpu'], 'node');
    const p = await lab.pass(v.cases[0].input_ids, 'native', [], 'plain', {});
    expect(maxAbsDiff(p.logits, v.cases[0].logits.flat())).toBeGreaterThan(1e-2);
  });
});

describe('a rope-scaled mixtral bundle records its scaling and reads back', () => {
  it('manifest.ropeScaling → checkpointFromBundle → the same graphs; the fused rebuild keeps the scaling', async () => {
    const patch = {
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 16,
      },
    };
    const a = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`, patch), { id: 'fx' });
    expect(a.manifest.ropeScaling).toEqual({
      rope_type: 'llama3',
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 16,
    });
    const ck = checkpointFromBundle(a);
    expect(ck.config.rope_scaling).toEqual(a.manifest.ropeScaling);
    const b = await convertBundle(ck, { id: 'fx' });
    for (const f of a.manifest.files)
      if (f.path.endsWith('.onnx'))
        expect(b.manifest.files.find((g) => g.path === f.path)?.sha256, f.path).toBe(f.sha256);
    expect(await sha256Hex(fusedFromBundle(a))).toBe(await sha256Hex(a.files.get('fused.onnx')!));
  });

  it('validateManifest names an unknown ropeScaling.rope_type', async () => {
    const a = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
    const bad = { ...JSON.parse(JSON.stringify(a.manifest)), ropeScaling: { rope_type: 'ntk' } };
    expect(() => validateManifest(bad)).toThrow(
      'manifest.json: "ropeScaling.rope_type" must be one of default, linear, dynamic, yarn, llama3, longrope, got "ntk"',
    );
  });

  it('a bundle without rope_scaling has no ropeScaling field (older manifests unchanged)', async () => {
    const a = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
    expect('ropeScaling' in a.manifest).toBe(false);
  });
});
