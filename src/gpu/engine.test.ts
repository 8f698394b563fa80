// Converter + engine in Node (onnxruntime-node) against the PyTorch reference of the fixture.
import { beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle } from '../models/convert';
import { FIXTURE_DIR, maxAbsDiff, readCheckpoint, readReference } from '../models/convert/fixture';
import { Lab } from './lab';
import type { Ort } from './engine';
import { parseIntervention } from '../routing/index';

let lab: Lab;
const ref = readReference();

beforeAll(async () => {
  const b = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
  lab = await Lab.open(ort as unknown as Ort, b, ['cpu'], 'node');
});

describe('split engine vs PyTorch reference', () => {
  it('reproduces router logits, selections, gates, routed experts\' norms, final logits and loss within 1e-4', async () => {
    for (const c of ref.cases) {
      const p = await lab.pass(c.input_ids, 'native', [], `ref-${c.name}`, {});
      expect(p.events).toHaveLength(3);
      for (const e of p.events) {
        expect(maxAbsDiff(e.routerLogits, c.router_logits[e.layer].flat())).toBeLessThan(1e-4);
        expect(maxAbsDiff(e.probs, c.router_probs[e.layer].flat())).toBeLessThan(1e-4);
        expect(e.selected).toEqual(c.selected[e.layer]);
        expect(maxAbsDiff(e.gates.flat(), c.gates[e.layer].flat())).toBeLessThan(1e-4);
        // Experts run only on their routed tokens: the reference norm where one ran, 0 elsewhere.
        const E = e.E;
        const want = c.expert_out_norms[e.layer].flat().map((v, i) => (e.selected[Math.floor(i / E)].includes(i % E) ? v : 0));
        expect(maxAbsDiff(e.expertNorms, want)).toBeLessThan(1e-4);
      }
      expect(maxAbsDiff(p.logits, c.logits.flat())).toBeLessThan(1e-4);
      expect(maxAbsDiff(p.summary.loss, c.loss)).toBeLessThan(1e-4);
      // Coupling analyses run every expert on every token: PyTorch's norms of all experts.
      for (const e of p.events) expect(maxAbsDiff((await lab.engine.allExpertNorms(e.layer, `ref-${c.name}`))!.norms, c.expert_out_norms[e.layer].flat())).toBeLessThan(1e-4);
    }
  });

  it('tokenizes the reference sentence exactly as the Python tokenizer (with <s>)', () => {
    const c = ref.cases.find((x) => x.text)!;
    expect(lab.encode(c.text!).ids).toEqual(c.input_ids);
  });

  it('KV-cache decoding gives the same logits as a full pass', async () => {
    const ids = ref.cases[0].input_ids;
    const full = await lab.pass(ids, 'native', [], 'kv-full', {});
    await lab.engine.forward({ ids: ids.slice(0, 7), router: lab.policy('native'), interventions: [], slot: 'kv' });
    let past = lab.engine.kvOf('kv')!;
    const { LayerRouter } = await import('./layerRouter');
    const router = new LayerRouter(lab.policy('native'), [], lab.engine.routerWeights);
    for (let t = 7; t < ids.length; t++) {
      const s = await lab.engine.step([ids[t]], t, past, router);
      past = s.past;
      const V = lab.engine.V;
      expect(maxAbsDiff(s.logits, full.logits.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-4);
      expect(s.events.map((e) => e.selected[0])).toEqual(full.events.map((e) => e.selected[t]));
    }
  });
});

describe('incremental recompute', () => {
  it('a change at layer l recomputes from l only and equals a full recompute', async () => {
    const ids = ref.cases[0].input_ids;
    await lab.engine.forward({ ids, router: lab.policy('native'), interventions: [], slot: 'inc' });
    const mask = [parseIntervention('mask:layers=1,experts=3')];
    const inc = await lab.engine.forward({ ids, router: lab.policy('native'), interventions: mask, slot: 'inc' });
    expect(inc.from).toBe(1);
    lab.engine.clearCache();
    const full = await lab.engine.forward({ ids, router: lab.policy('native'), interventions: mask, slot: 'fresh' });
    expect(full.from).toBe(0);
    expect(maxAbsDiff(inc.logits, full.logits)).toBe(0);
    inc.events.forEach((e, l) => expect(e.selected).toEqual(full.events[l].selected));
    // Layer 0 is untouched by the mask; in layer 1 expert 3 is gone from every token.
    expect(inc.events[0].selected).toEqual(ref.cases[0].selected[0]);
    expect(inc.events[1].selected.every((s) => !s.includes(3))).toBe(true);
    expect(ref.cases[0].selected[1].some((s) => s.includes(3))).toBe(true);
  });

  it('skip makes a layer output equal its attention output; repeat n=1 equals no repeat', async () => {
    const ids = ref.cases[1].input_ids;
    const base = await lab.pass(ids, 'native', [], 'rep-base', {});
    const rep1 = await lab.pass(ids, 'native', ['repeat:layers=1,n=1'], 'rep1', {});
    expect(maxAbsDiff(rep1.logits, base.logits)).toBe(0);
    const skip = await lab.pass(ids, 'native', ['skip:layers=2'], 'skip', {});
    expect(skip.events[2].skipped).toBe(true);
    expect(skip.events[2].selected.every((s) => s.length === 0)).toBe(true);
    // With layer 2 skipped, the head sees layer 2's hidden_mid: compare against a direct run.
    const e = lab.engine;
    const h = await e.embedIds(ids);
    let x = h;
    for (let l = 0; l < 3; l++) {
      const a = await e.runAttn(l, x, ids.length, 0);
      if (l === 2) {
        x = a.mid;
        break;
      }
      const gates = new Float32Array(ids.length * 8);
      base.events[l].selected.forEach((s, t) => s.forEach((ex, j) => (gates[t * 8 + ex] = base.events[l].gates[t][j])));
      const m = await e.runMoe(l, a.moeIn, gates, ids.length);
      x = a.mid.map((v, i) => v + m.out[i]);
    }
    expect(maxAbsDiff(skip.logits, await e.runHead(x, ids.length))).toBeLessThan(1e-6);
  });
});

describe('rewire (SPSA test-time rerouting)', () => {
  it('fits logit offsets that lower the prompt loss and reports before/after', async () => {
    const ids = ref.cases[0].input_ids;
    const base = await lab.pass(ids, 'native', [], 'rw-base', {});
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const rw = await lab.pass(ids, 'native', ['rewire:layers=*,steps=8,lr=2'], 'rw', {});
    const note = rw.summary.notices.find((n) => n.startsWith('rewire:'))!;
    const [before, after] = /mean loss ([\d.]+) → ([\d.]+)/.exec(note)!.slice(1).map(Number);
    expect(before).toBeCloseTo(mean(base.summary.loss), 4);
    expect(after).toBeCloseTo(mean(rw.summary.loss), 4);
    expect(after).toBeLessThan(before - 1e-3);
  });
});
