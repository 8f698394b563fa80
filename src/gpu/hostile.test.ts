// Hostile bundles (issue 18): a manifest that disagrees with its graphs or its tokenizer, and
// interventions the model cannot take, are refused with our message naming the file, the tensor
// and the manifest field, before any tensor reaches onnxruntime.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { Lab } from './lab';
import type { Ort } from './engine';
import { ortReason, setOrtVerbose } from './ortSessions';
import type { LoadedBundle } from '../models/loader';
import type { Manifest } from '../models/manifest';
import { InputError } from '../routing/safeJson';

const O = ort as unknown as Ort;
const DIR = 'public/models/tiny-mixtral';
const files = new Map(readdirSync(DIR).map((f) => [f, new Uint8Array(readFileSync(join(DIR, f)))]));
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Manifest;
const bundle = (patch: (m: Manifest) => void): LoadedBundle => {
  const m = structuredClone(manifest);
  patch(m);
  return { manifest: m, files };
};
const refusal = (b: LoadedBundle) =>
  Lab.open(O, b, ['cpu'], 'node').then(
    () => new Error('loaded'),
    (e: Error) => e,
  );

describe('a manifest that disagrees with its graphs', () => {
  it('hidden size: the embedding graph is named with the dims and the field', async () => {
    const e = await refusal(bundle((m) => (m.hiddenSize = 48)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(
      'embed.onnx: output "hidden" is [B, T, 32] but manifest.json gives hiddenSize = 48 (dim 2)',
    );
  });

  it('expert count: the first MoE layer graph names its router logits', async () => {
    const e = await refusal(bundle((m) => (m.layers[0].numExperts = 6)));
    expect(e.message).toBe(
      'layer0.attn.onnx: output "router_logits" is [B, T, 8] but manifest.json gives layers[0].numExperts = 6 (dim 2)',
    );
  });

  it('head dims and KV heads', async () => {
    expect((await refusal(bundle((m) => (m.headDim = 16)))).message).toBe(
      'layer0.attn.onnx: input "past_key" is [B, 2, P, 8] but manifest.json gives headDim = 16 (dim 3)',
    );
    expect((await refusal(bundle((m) => ((m.numKvHeads = 4), (m.numHeads = 4))))).message).toBe(
      'layer0.attn.onnx: input "past_key" is [B, 2, P, 8] but manifest.json gives numKvHeads = 4 (dim 1)',
    );
  });

  it('vocabulary: tokenizer ids beyond vocabSize fail before any session', async () => {
    const e = await refusal(bundle((m) => (m.vocabSize = 100)));
    expect(e.message).toBe(
      'tokenizer.json: has token id 298 but manifest.json vocabSize is 100: ids ≥ 100 have no embedding row',
    );
  });

  it('vocabulary larger than the head: the head graph is named', async () => {
    const e = await refusal(bundle((m) => (m.vocabSize = 300)));
    expect(e.message).toBe(
      'head.onnx: output "logits" is [B, T, 299] but manifest.json gives vocabSize = 300 (dim 2)',
    );
  });
});

describe('a run the model cannot take', () => {
  it('interventions on layers or experts the model does not have name the range', async () => {
    const lab = await Lab.open(O, { manifest, files }, ['cpu'], 'node');
    await expect(lab.run('Hallo', { interventions: ['mask:layers=99,experts=0'] })).rejects.toThrow(
      'bad intervention "mask:layers=99,experts=0": layer 99 is outside the model\'s layers 0..2',
    );
    await expect(
      lab.run('Hallo', { interventions: ['bias:layers=1,experts=3+8,value=1'] }),
    ).rejects.toThrow(
      'bad intervention "bias:layers=1,experts=3+8,value=1": expert 8 is outside the experts 0..7 of layer 1',
    );
    // an id beyond the embedding is ours, not onnxruntime's Gather error
    await expect(lab.engine.embedIds([1, 299])).rejects.toThrow(
      "tokenizer.json: token id 299 at position 1 is outside the embedding's 299 rows (manifest.json vocabSize)",
    );
  });

  it('a prompt of any length: only what the context holds is tokenized, with notices', async () => {
    const lab = await Lab.open(O, { manifest, files }, ['cpu'], 'node');
    const { ids, notices } = lab.encode('Hallo '.repeat(200_000)); // 1.2 M characters
    expect(ids).toHaveLength(64);
    expect(notices).toEqual([
      "prompt has 1200000 characters; only the first 65536 were tokenized (more than the model's context of 64 tokens holds)",
      expect.stringMatching(/^prompt has \d+ tokens; truncated to the model's context of 64$/),
    ]);
  });
});

describe("onnxruntime's failures in our words", () => {
  const raw =
    'Got invalid dimensions for input: gates for the following indices\n index: 2 Got: 6 Expected: 8\n Please fix either the inputs/outputs or the model.';
  it('says what disagreed; its own text only with --verbose', () => {
    expect(ortReason(raw)).toBe('input "gates" has 6 at dim 2 where the graph expects 8');
    expect(
      ortReason(
        '[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from buffer failed:Protobuf parsing failed.',
      ),
    ).toBe('not a valid ONNX model');
    setOrtVerbose(true);
    try {
      expect(ortReason(raw)).toBe(
        `input "gates" has 6 at dim 2 where the graph expects 8; onnxruntime said: ${raw}`,
      );
    } finally {
      setOrtVerbose(false);
    }
  });

  it('a corrupt graph is named without onnxruntime text', async () => {
    const broken = new Map(files).set('layer1.moe.onnx', new Uint8Array([8, 1, 0xff, 0xff, 0xff]));
    const e = await refusal({ manifest, files: broken });
    expect(e.message).toBe(
      'layer1.moe.onnx: the node backend cannot load this graph (not a valid ONNX model)',
    );
  });
});
