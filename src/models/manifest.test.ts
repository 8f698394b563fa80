import { describe, expect, it } from 'vitest';
import { validateManifest } from './manifest';

const sha = 'a'.repeat(64);
function good(): Record<string, unknown> {
  const files = ['tokenizer.json', 'embed.onnx', 'layer0.attn.onnx', 'layer0.moe.onnx', 'head.onnx', 'routers.bin'].map((path) => ({ path, bytes: 10, sha256: sha }));
  return {
    format: 'moe-bundle/1',
    id: 'm',
    name: 'M',
    architecture: 'mixtral',
    vocabSize: 10,
    hiddenSize: 4,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 2,
    layers: [{ kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 }],
    router: { type: 'softmax_topk', topK: 2, normTopkProb: true },
    rmsNormEps: 1e-5,
    maxContext: 16,
    dtype: 'fp32',
    files,
    tokenizer: 'tokenizer.json',
    graphs: { embed: 'embed.onnx', attn: ['layer0.attn.onnx'], moe: ['layer0.moe.onnx'], head: 'head.onnx' },
    routerWeights: { file: 'routers.bin', layers: [{ weight: 0, norm: 64 }] },
  };
}

function broken(edit: (m: Record<string, unknown>) => void): () => unknown {
  const m = good();
  edit(m);
  return () => validateManifest(m);
}

describe('manifest validation', () => {
  it('accepts a well-formed manifest', () => {
    expect(validateManifest(good()).id).toBe('m');
  });

  it('gives each bad case its own message naming the field', () => {
    expect(() => validateManifest([])).toThrow('manifest.json: must be a JSON object');
    expect(broken((m) => (m.format = 'moe-bundle/0'))).toThrow('"format" must be "moe-bundle/1", got "moe-bundle/0"');
    expect(broken((m) => delete m.id)).toThrow('"id" must be a non-empty string, got undefined');
    expect(broken((m) => (m.hiddenSize = 0))).toThrow('"hiddenSize" must be an integer ≥ 1, got 0');
    expect(broken((m) => (m.numKvHeads = 3))).toThrow('"numHeads" (2) must be a multiple of "numKvHeads" (3)');
    expect(broken((m) => (m.dtype = 'int3'))).toThrow('"dtype" must be fp32, fp16, q8 or q4, got "int3"');
    expect(broken((m) => (m.layers = []))).toThrow('"layers" must list 1 layers (numLayers), got 0');
    expect(broken((m) => ((m.layers as { kind: string }[])[0].kind = 'sparse'))).toThrow('layers[0].kind must be "moe" or "dense", got "sparse"');
    expect(broken((m) => ((m.layers as { topK: number }[])[0].topK = 5))).toThrow('layers[0].topK (5) exceeds numExperts (4)');
    expect(broken((m) => (m.router = { type: 'magic', topK: 2 }))).toThrow('"router.type" must be one of softmax_topk, topk_softmax, sigmoid_bias_grouped, sparsemixer, got "magic"');
    expect(broken((m) => ((m.files as { path: string }[])[1].path = '../etc/passwd'))).toThrow('files[1].path "../etc/passwd" must stay inside the bundle');
    expect(broken((m) => ((m.files as { sha256: string }[])[0].sha256 = 'xyz'))).toThrow('files[0] (tokenizer.json): "sha256" must be 64 lowercase hex digits');
    expect(broken((m) => ((m.graphs as { head: string }).head = 'nothead.onnx'))).toThrow('graphs.head "nothead.onnx" is not in "files"');
    expect(broken((m) => ((m.graphs as { moe: string[] }).moe = []))).toThrow('graphs.moe must list 1 graphs');
    expect(broken((m) => (m.tokenizer = 'tok.json'))).toThrow('"tokenizer" "tok.json" is not in "files"');
    expect(broken((m) => ((m.routerWeights as { layers: unknown[] }).layers = [{ weight: -4, norm: 0 }]))).toThrow('"weight" must be an integer ≥ 0, got -4');
  });
});
