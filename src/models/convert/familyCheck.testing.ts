// Test helper (Node only): convert a family fixture, run it through the split engine with its
// native router (onnxruntime-node, CPU, fp32) and measure the gap to the PyTorch reference.
// Named *.testing.ts: only tests import it, which is why it may reach up into src/gpu.
import { beforeAll, expect } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle, type Bundle } from '.';
import { familyDir, maxAbsDiff, readCheckpoint, readFamilyReference, type FamilyReference } from './fixture';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';
import { validateManifest } from '../manifest';

export interface FamilyErrors {
  /** max |Δ| over router logits of every MoE layer, token and expert */
  routerLogits: number;
  /** max |Δ| over the gates of the selected experts */
  gates: number;
  /** max |Δ| over the final logits [T × V] */
  logits: number;
  /** max |Δ| over per-token losses (nats) */
  loss: number;
  /** every case's selections equal the reference's, dense layers selecting nothing */
  sameSelections: boolean;
}

export async function checkFamily(family: string): Promise<{ bundle: Bundle; lab: Lab; ref: FamilyReference; errors: FamilyErrors }> {
  const bundle = await convertBundle(readCheckpoint(`${familyDir(family)}/hf`), { id: `tiny-${family}` });
  validateManifest(JSON.parse(JSON.stringify(bundle.manifest)));
  const lab = await Lab.open(ort as unknown as Ort, bundle, ['cpu'], 'node');
  const ref = readFamilyReference(family);
  const errors: FamilyErrors = { routerLogits: 0, gates: 0, logits: 0, loss: 0, sameSelections: true };
  for (const c of ref.cases) {
    const p = await lab.pass(c.input_ids, 'native', [], `ref-${c.name}`, {});
    for (const e of p.events) {
      const rl = c.router_logits[e.layer];
      if (rl === null) {
        errors.sameSelections &&= e.kind === 'dense' && e.selected.every((s) => s.length === 0);
        continue;
      }
      errors.routerLogits = Math.max(errors.routerLogits, maxAbsDiff(e.routerLogits, rl.flat()));
      errors.sameSelections &&= JSON.stringify(e.selected) === JSON.stringify(c.selected[e.layer]);
      if (errors.sameSelections) errors.gates = Math.max(errors.gates, maxAbsDiff(e.gates.flat(), c.gates[e.layer]!.flat()));
    }
    errors.logits = Math.max(errors.logits, maxAbsDiff(p.logits, c.logits.flat()));
    errors.loss = Math.max(errors.loss, maxAbsDiff(p.summary.loss, c.loss));
  }
  return { bundle, lab, ref, errors };
}

export type FamilyRun = Awaited<ReturnType<typeof checkFamily>>;

/** Registers a beforeAll that runs checkFamily and logs its errors; the object is filled then. */
export function setupFamily(family: string): FamilyRun {
  const r = {} as FamilyRun;
  beforeAll(async () => {
    Object.assign(r, await checkFamily(family));
    console.log(`${family} max |Δ| vs PyTorch:`, r.errors);
  });
  return r;
}

/** Same selections as PyTorch; router logits, gates, logits and loss within 1e-4. */
export function expectMatchesReference(errors: FamilyErrors): void {
  expect(errors.sameSelections).toBe(true);
  expect(errors.routerLogits).toBeLessThan(1e-4);
  expect(errors.gates).toBeLessThan(1e-4);
  expect(errors.logits).toBeLessThan(1e-4);
  expect(errors.loss).toBeLessThan(1e-4);
}

/** Max |Δ| of the last token's logits between KV-cache decoding (prefix of `split` tokens) and a full pass. */
export async function kvCacheGap(lab: Lab, ids: number[], split: number): Promise<{ gap: number; sameSelections: boolean }> {
  const full = await lab.pass(ids, 'native', [], 'kv-full', {});
  await lab.engine.forward({ ids: ids.slice(0, split), router: lab.policy('native'), interventions: [], slot: 'kv' });
  let past = lab.engine.kvOf('kv')!;
  const { LayerRouter } = await import('../../gpu/layerRouter');
  const router = new LayerRouter(lab.policy('native'), [], lab.engine.routerWeights);
  let gap = 0;
  let same = true;
  const V = lab.engine.V;
  for (let t = split; t < ids.length; t++) {
    const s = await lab.engine.step([ids[t]], t, past, router);
    past = s.past;
    gap = Math.max(gap, maxAbsDiff(s.logits, full.logits.subarray(t * V, (t + 1) * V)));
    same &&= JSON.stringify(s.events.map((e) => e.selected[0])) === JSON.stringify(full.events.map((e) => e.selected[t]));
  }
  return { gap, sameSelections: same };
}

/** KV-cache decoding after an 8-token prefix matches a full pass within 1e-4, same selections. */
export async function expectKvCacheMatches(lab: Lab, ids: number[]): Promise<void> {
  const { gap, sameSelections } = await kvCacheGap(lab, ids, 8);
  expect(gap).toBeLessThan(1e-4);
  expect(sameSelections).toBe(true);
}
