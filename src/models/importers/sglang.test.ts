// SGLang per-token dumps (torch.save → tools/capture/sglang_to_json.py → JSON) → trace JSON.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importSglang } from './sglang';
import { parseTrace } from '../../routing/metrics/trace';
import { analyzeTraces } from '../../routing/metrics/analyze';

const file = {
  name: 'sglang.json',
  bytes: new Uint8Array(readFileSync(new URL('./__fixtures__/sglang.json', import.meta.url))),
};
const base = JSON.parse(new TextDecoder().decode(file.bytes));
const variant = (f: (j: typeof base) => void) => {
  const j = structuredClone(base);
  f(j);
  return { name: 'v.json', bytes: new TextEncoder().encode(JSON.stringify(j)) };
};

describe('importSglang', () => {
  it('applies the physical → logical map, drops the −1 padding, joins forward passes; counts by hand', () => {
    const tr = importSglang(file);
    // physical [3,1] [2,1] [3,2] with map [0,1,2,0] → logical [0,1] [2,1] [0,2]; layer 0 recorded nothing.
    expect(tr.layers).toEqual([
      { index: 0, kind: 'dense', selected: [[], [], []] },
      {
        index: 1,
        kind: 'moe',
        selected: [
          [0, 1],
          [2, 1],
          [0, 2],
        ],
      },
    ]);
    expect(tr.tokens.map((t) => t.id)).toEqual([11, 12, 13]);
    expect(tr.model.numExperts).toBe(3);
    expect(tr.notices).toContain(
      'physical → logical map applied (4 physical slots → 3 logical experts)',
    );
    const a = analyzeTraces([parseTrace(JSON.parse(JSON.stringify(tr)))], { m: [2], C: [1] });
    expect(a.layers[1].counts).toEqual([2, 2, 2]);
    // layer 0 recorded no experts: a dense layer, without routing metrics
    expect(a.layers[0]).toEqual({ index: 0, kind: 'dense' });
  });

  it('names the problem', () => {
    expect(() => importSglang(variant((j) => (j.format = 'x')))).toThrow(
      'v.json: format must be "sglang-expert-distribution/1"',
    );
    expect(() =>
      importSglang(variant((j) => (j.records[0].topk_ids_of_layer[1][0][0] = 4))),
    ).toThrow(
      "v.json: records[0].topk_ids_of_layer[1][0]: physical expert id 4 is outside 0..3 (the map's width)",
    );
    expect(() =>
      importSglang(variant((j) => (j.records[0].topk_ids_of_layer[1][0][1] = 0))),
    ).toThrow(
      'v.json: records[0] layer 1, token 0: physical experts map twice to logical expert 0',
    );
    expect(() => importSglang(file, { experts: 2 })).toThrow(
      'sglang.json: expert id 2 at layer 1, token 1 is ≥ the number of experts 2 (--experts)',
    );
    expect(() => importSglang(variant((j) => j.records[1].topk_ids_of_layer.pop()))).toThrow(
      'v.json: records[1].topk_ids_of_layer must be [layers = 2][tokens][k], got 1 layers',
    );
  });
});
