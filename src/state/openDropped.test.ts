import { describe, expect, it } from 'vitest';
import { classifyDrop } from './openDropped';

describe('classifyDrop', () => {
  it('a folder or flat set with manifest.json is a bundle, whatever else it holds', () => {
    expect(classifyDrop(['tiny/manifest.json', 'tiny/embed.onnx', 'tiny/probes/en.json'])).toBe('bundle');
    expect(classifyDrop(['manifest.json', 'routers.bin'])).toBe('bundle');
  });
  it('one .zip is a zipped bundle', () => {
    expect(classifyDrop(['babel-moe.zip'])).toBe('zip');
    expect(classifyDrop(['X.ZIP'])).toBe('zip');
  });
  it('config.json with safetensors is a checkpoint to convert', () => {
    expect(classifyDrop(['ck/config.json', 'ck/tokenizer.json', 'ck/model-00001-of-00002.safetensors'])).toBe('checkpoint');
  });
  it('JSON, JSONL, .npy and .bin alone are a trace or an engine capture', () => {
    expect(classifyDrop(['routed_experts.npy', 'ids.json'])).toBe('trace');
    expect(classifyDrop(['trace.json'])).toBe('trace');
    expect(classifyDrop(['router_trace.jsonl', 'logits.bin'])).toBe('trace');
  });
  it('anything else is named in the error, with what the page accepts', () => {
    expect(() => classifyDrop(['photo.png'])).toThrow(
      'the dropped files (photo.png) are not a bundle folder (no manifest.json), a bundle .zip, a Hugging Face checkpoint (config.json + *.safetensors) or a trace (.json, .jsonl, .npy)',
    );
    expect(() => classifyDrop(['config.json', 'pytorch_model.bin', 'a.txt'])).toThrow('(config.json, pytorch_model.bin, a.txt)');
    expect(() => classifyDrop(Array.from({ length: 7 }, (_, i) => `f${i}.txt`))).toThrow('f4.txt, … (7 files)');
  });
});
