// vLLM routed_experts (.npy [seq, layers, k]) → trace JSON, on np.save fixtures and hand-built arrays.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importVllm } from './vllm';
import { writeNpy } from './npy';
import { parseTrace } from '../../routing/metrics/trace';
import { analyzeTraces } from '../../routing/metrics/analyze';

const fixture = (name: string) => ({
  name,
  bytes: new Uint8Array(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url))),
});
const json = (name: string, v: unknown) => ({
  name,
  bytes: new TextEncoder().encode(JSON.stringify(v)),
});

describe('importVllm', () => {
  it('reads np.save routed_experts with token ids: selections as recorded, all-zero layer → dense, analyze counts by hand', () => {
    const tr = importVllm(fixture('routed_experts_i4.npy'), { tokens: fixture('token_ids.npy') });
    expect(tr.layers[0]).toEqual({
      index: 0,
      kind: 'moe',
      selected: [
        [1, 3],
        [2, 1],
        [3, 0],
      ],
    });
    expect(tr.layers[1]).toEqual({ index: 1, kind: 'dense', selected: [[], [], []] });
    // 4 ids for 3 routed tokens: the last generated token was never fed back.
    expect(tr.tokens).toEqual([
      { id: 101, text: '#101' },
      { id: 102, text: '#102' },
      { id: 103, text: '#103' },
    ]);
    expect(tr.model).toEqual({ id: 'vllm-import', numLayers: 2, numExperts: 4, topK: 2 });
    expect(tr.source.lacks).toEqual(['routerLogits', 'gates', 'loss', 'next', 'tokenText']);
    const parsed = parseTrace(JSON.parse(JSON.stringify(tr)), 're.npy');
    const a = analyzeTraces([parsed], { m: [2], C: [1] });
    // expert 0: token 2; expert 1: tokens 0, 1; expert 2: token 1; expert 3: tokens 0, 2.
    expect(a.layers[0].counts).toEqual([1, 2, 1, 2]);
    expect(a.layers[0].meanActive).toBe(2);
    expect(a.layers[0].hfAux).toBeNull();
    expect(a.notes).toEqual([
      'hfAux skipped (null) for layer 0: the trace has no router logits there (captures that record expert ids only)',
      'layer 1 is dense (no router): routing metrics left out there and model-wide means run over the 1 MoE layers',
    ]);
    expect(a.layers[1]).toEqual({ index: 1, kind: 'dense' });
  });

  it('int64 files and JSON token lists with texts', () => {
    const tr = importVllm(fixture('routed_experts_i8.npy'), {
      tokens: json('t.json', [
        { id: 5, text: 'Hal' },
        { id: 6, text: 'lo' },
        { id: 7, text: '!' },
      ]),
      experts: 8,
    });
    expect(tr.tokens.map((t) => t.text)).toEqual(['Hal', 'lo', '!']);
    expect(tr.model.numExperts).toBe(8);
    expect(tr.source.lacks).not.toContain('tokenText');
  });

  it('names the problem: dtype, shape, expert id ≥ E, repeated expert, token count', () => {
    expect(() => importVllm({ name: 'f.npy', bytes: writeNpy('f4', [1, 1, 2], [0, 1]) })).toThrow(
      "f.npy: routed_experts must be int32 or int64, got dtype 'f4'",
    );
    expect(() =>
      importVllm({ name: 's.npy', bytes: writeNpy('i4', [3, 2], [0, 1, 2, 3, 1, 0]) }),
    ).toThrow('s.npy: routed_experts must have shape [seq, layers, k], got [3, 2]');
    expect(() => importVllm(fixture('routed_experts_i4.npy'), { experts: 3 })).toThrow(
      'routed_experts_i4.npy: expert id 3 at layer 0, token 0 is ≥ the number of experts 3 (--experts)',
    );
    expect(() =>
      importVllm({ name: 'd.npy', bytes: writeNpy('i4', [2, 1, 2], [0, 1, 2, 2]) }),
    ).toThrow('d.npy: layer 0, token 1 lists expert 2 twice ([2, 2])');
    expect(() => importVllm({ name: 'n.npy', bytes: writeNpy('i4', [1, 1, 2], [0, -1]) })).toThrow(
      'n.npy: negative expert id -1 at layer 0, token 0',
    );
    expect(() =>
      importVllm(fixture('routed_experts_i4.npy'), { tokens: json('t.json', [1, 2]) }),
    ).toThrow(
      't.json: has 2 token ids but routed_experts_i4.npy routes 3 tokens (seq must match, or be one more)',
    );
  });
});
