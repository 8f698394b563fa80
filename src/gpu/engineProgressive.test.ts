// Progressive session building (the page's first forward starts once the first layer can run):
// the same numbers as building everything first, and a graph that fails later is named.
import { beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { convertBundle, type Bundle } from '../models/convert';
import { FIXTURE_DIR, readCheckpoint } from '../models/convert/fixture';
import { Lab } from './lab';
import type { Ort } from './engine';

const O = ort as unknown as Ort;
let bundle: Bundle;
const ids = [1, 15, 27, 99, 4, 61];

beforeAll(async () => {
  bundle = await convertBundle(readCheckpoint(`${FIXTURE_DIR}/hf`), { id: 'fx', fused: false });
});

/** The fixture with one graph's bytes replaced by something that is not ONNX. */
function withBrokenGraph(file: string): Bundle {
  const files = new Map(bundle.files);
  files.set(file, new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]));
  return { ...bundle, files };
}

describe('progressive engine creation', () => {
  it('gives exactly the logits and routing of an engine built whole', async () => {
    const whole = await Lab.open(O, bundle, ['cpu'], 'node');
    const prog = await Lab.open(O, bundle, ['cpu'], 'node', undefined, undefined, true);
    const a = await whole.pass(ids, 'native', [], 'x', {});
    const b = await prog.pass(ids, 'native', [], 'x', {});
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
    expect(b.events.map((e) => e.selected)).toEqual(a.events.map((e) => e.selected));
    await expect(prog.engine.ready).resolves.toBeUndefined();
  });

  it('opens with a broken later graph, then names it: in the forward that needs it and in `ready`', async () => {
    const file = bundle.manifest.graphs.moe[1];
    const broken = withBrokenGraph(file);
    // Built whole, the load itself fails with the graph named.
    await expect(Lab.open(O, broken, ['cpu'], 'node')).rejects.toThrow(/^layer1\.moe\.onnx: the node backend cannot load this graph \(/);
    // Progressive: the first layer is ready, so it opens; the failure comes with layer 1.
    const lab = await Lab.open(O, broken, ['cpu'], 'node', undefined, undefined, true);
    const seen: number[] = [];
    await expect(lab.pass(ids, 'native', [], 'x', { onLayer: (_, e) => seen.push(e.layer) })).rejects.toThrow(/^layer1\.moe\.onnx: the node backend cannot load this graph \(/);
    expect(seen).toEqual([0]);
    await expect(lab.engine.ready).rejects.toThrow(/^layer1\.moe\.onnx: /);
  });

  it('a broken first-layer graph fails the progressive open itself', async () => {
    await expect(Lab.open(O, withBrokenGraph(bundle.manifest.graphs.attn[0]), ['cpu'], 'node', undefined, undefined, true)).rejects.toThrow(/^layer0\.attn\.onnx: the node backend cannot load this graph \(/);
  });
});
