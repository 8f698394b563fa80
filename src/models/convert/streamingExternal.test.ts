// Graphs over the protobuf limit are written with ONNX external data and still load. The limit is
// lowered here so a toy checkpoint's graphs cross it; the engine must compute exactly what it
// computes on the same bundle without external data.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { Checkpoint } from './checkpoint';
import { convertBundle } from './index';
import { realCheckpointInMemory } from '../../../tools/captures/bigCheckpoint';
import { Lab } from '../../gpu/lab';
import type { Ort } from '../../gpu/engine';
import { validateManifest } from '../manifest';

const { onnx } = onnxProto;

const checkpoint = (files: Map<string, Uint8Array>) =>
  Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });

describe('ONNX external data', () => {
  it('moves big graphs’ weights to <graph>.data, and the engine loads them to the same logits', async () => {
    const files = realCheckpointInMemory('granite-mini');
    const plain = await convertBundle(checkpoint(files), { id: 'g', dtype: 'fp32', fused: false });
    const split = await convertBundle(checkpoint(files), {
      id: 'g',
      dtype: 'fp32',
      fused: false,
      externalDataAbove: 60_000,
    });
    validateManifest(JSON.parse(JSON.stringify(split.manifest)));
    // embed [331 × 48] and head are ~64 KB, each layer's experts ~70 KB: those graphs are split
    const big = plain.manifest.files
      .filter((f) => f.path.endsWith('.onnx') && f.bytes > 60_000)
      .map((f) => f.path);
    expect(big).toEqual([
      'embed.onnx',
      'layer0.moe.onnx',
      'layer1.moe.onnx',
      'layer2.moe.onnx',
      'head.onnx',
    ]);
    const paths = split.manifest.files.map((f) => f.path);
    for (const g of big) expect(paths.indexOf(`${g}.data`)).toBe(paths.indexOf(g) + 1);
    // the graph keeps a reference, not the bytes: location, offset and length of each weight
    const moe = onnx.ModelProto.decode(split.files.get('layer1.moe.onnx')!);
    const ext = moe.graph!.initializer!.filter(
      (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    );
    expect(ext.length).toBeGreaterThan(0);
    expect(Object.fromEntries(ext[0].externalData!.map((e) => [e.key, e.value]))).toMatchObject({
      location: 'layer1.moe.onnx.data',
      offset: '0',
    });
    expect(split.files.get('layer1.moe.onnx')!.byteLength).toBeLessThan(
      plain.files.get('layer1.moe.onnx')!.byteLength / 4,
    );

    const ids = [1, 261, 268, 282, 17, 200, 330];
    const a = await (
      await Lab.open(ort as unknown as Ort, plain, ['cpu'], 'node')
    ).pass(ids, 'native', [], 'plain', {});
    const b = await (
      await Lab.open(ort as unknown as Ort, split, ['cpu'], 'node')
    ).pass(ids, 'native', [], 'split', {});
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
    expect(b.events.map((e) => e.selected)).toEqual(a.events.map((e) => e.selected));
  });
});
