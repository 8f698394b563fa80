// The streaming converter: tensors read by offset in tiny reads (so every tensor, and most bf16
// values' bytes, straddle read boundaries), graphs handed to a sink one at a time. The bundle must
// equal the one converted from the checkpoint read in one piece, byte for byte.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint, ConvertCancelled } from './checkpoint';
import { convertBundle } from './index';
import { memorySource, nodeFileSource } from './streamingSource';
import { realCheckpointInMemory } from '../../../tools/captures/bigCheckpoint';
import type { ConvertBytes } from './types';

/** The checkpoint read whole from memory (the path every converter had before streaming). */
function wholeCheckpoint(files: Map<string, Uint8Array>): Checkpoint {
  return Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });
}

/** The same files, safetensors read through sources of `readBytes`-byte reads. */
function streamedCheckpoint(files: Map<string, Uint8Array>, readBytes: number): Checkpoint {
  const json = new Map([...files].filter(([n]) => n.endsWith('.json')));
  return Checkpoint.fromFiles({
    get: (n) => json.get(n),
    names: () => [...files.keys()],
    source: (n) =>
      n.endsWith('.safetensors') && files.has(n)
        ? memorySource(files.get(n)!, n, readBytes)
        : undefined,
  });
}

describe('streaming conversion', () => {
  for (const [shape, dtype] of [
    ['granite-mini', 'q4'],
    ['olmoe-mini', 'fp16'],
    ['granite-mini', 'fp32'],
  ] as const) {
    it(`${shape} (bf16${shape === 'olmoe-mini' ? ', 3 shards' : ''}) → ${dtype}: 7-byte reads into a sink give the bundle of the whole-file conversion, byte for byte`, async () => {
      const files = realCheckpointInMemory(shape);
      expect([...files.keys()].filter((n) => n.endsWith('.safetensors')).length).toBe(
        shape === 'olmoe-mini' ? 3 : 1,
      );
      const ref = await convertBundle(wholeCheckpoint(files), { id: 'x', dtype, fused: false });

      const sunk = new Map<string, Uint8Array>();
      const order: string[] = [];
      const events: ConvertBytes[] = [];
      const ck = streamedCheckpoint(files, 7);
      const b = await convertBundle(ck, {
        id: 'x',
        dtype,
        fused: false,
        sink: (p, bytes) => {
          order.push(p);
          sunk.set(p, bytes);
        },
        onBytes: (e) => events.push(e),
      });
      expect(b.manifest).toEqual(ref.manifest);
      expect([...sunk.keys()].sort()).toEqual([...ref.files.keys()].sort());
      for (const [p, bytes] of ref.files)
        expect(Buffer.compare(Buffer.from(sunk.get(p)!), Buffer.from(bytes)), p).toBe(0);
      // the manifest lists files in the order they reached the sink
      expect(order).toEqual(b.manifest.files.map((f) => f.path));
      // with a sink, the returned bundle keeps only the small files, never a graph
      expect([...b.files.keys()]).toEqual([
        'routers.bin',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);

      // progress: every tensor read at least once, the count reaching the checkpoint's total bytes
      const tensors = events.filter((e) => e.kind === 'tensor');
      expect(new Set(tensors.map((e) => e.name))).toEqual(new Set(ck.tensorNames()));
      expect(tensors[tensors.length - 1].read).toBe(ck.totalBytes);
      const written = events.filter((e) => e.kind === 'file');
      expect(written.map((e) => [e.name, e.bytes])).toEqual(
        b.manifest.files.map((f) => [f.path, f.bytes]),
      );
    });
  }

  it('stops at the tensor read after the signal aborts, with no more files sunk', async () => {
    const files = realCheckpointInMemory('granite-mini');
    const signal = { aborted: false };
    const sunk: string[] = [];
    let reads = 0;
    const run = convertBundle(streamedCheckpoint(files, 1 << 20), {
      id: 'x',
      dtype: 'q8',
      fused: false,
      signal,
      sink: (p) => void sunk.push(p),
      onBytes: (e) => {
        // abort in the middle of layer 0's attention graph (its 2nd tensor)
        if (e.kind === 'tensor' && ++reads === 3) signal.aborted = true;
      },
    });
    await expect(run).rejects.toThrow(ConvertCancelled);
    await expect(run).rejects.toThrow('conversion cancelled');
    expect(reads).toBe(3);
    expect(sunk).toEqual(['embed.onnx']);
  });

  it('reads a sharded checkpoint from files on disk with positioned reads of a few bytes', async () => {
    const files = realCheckpointInMemory('olmoe-mini');
    const dir = mkdtempSync(join(tmpdir(), 'moe-stream-'));
    try {
      for (const [n, b] of files) writeFileSync(join(dir, n), b);
      const opened: { close(): void }[] = [];
      const ck = Checkpoint.fromFiles({
        get: (n) => (n.endsWith('.json') ? files.get(n) : undefined),
        names: () => [...files.keys()],
        source: (n) => {
          if (!n.endsWith('.safetensors')) return undefined;
          const s = nodeFileSource(fs, join(dir, n), n, 5);
          opened.push(s);
          return s;
        },
      });
      const whole = wholeCheckpoint(files);
      for (const t of [
        'model.embed_tokens.weight',
        'model.layers.1.mlp.experts.7.down_proj.weight',
        'lm_head.weight',
      ])
        expect(ck.get(t)).toEqual(whole.get(t));
      // bf16 widened exactly: the first embedding value is its stored 16 bits shifted up
      const raw = ck.raw('model.embed_tokens.weight');
      expect(new Uint32Array(ck.get('model.embed_tokens.weight').buffer)[0]).toBe(
        (raw[0] | (raw[1] << 8)) << 16,
      );
      opened.forEach((s) => s.close());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
