// TensorRT-LLM routed_experts (int16 [seq_len − 1, MoE layers, top_k], np.save) → trace JSON, on the
// fixtures of __fixtures__/make_routed.py and hand-built arrays.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importTrtllm } from './trtllm';
import { writeNpy } from './npy';
import { detectImport } from './index';
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
const re = fixture('trtllm_routed_experts.npy');
const config = fixture('trtllm_config.json');
const cfg = JSON.parse(new TextDecoder().decode(config.bytes));

describe('importTrtllm', () => {
  it('places the MoE-only block at the config’s MoE layers (deepseek_v3, first_k_dense_replace 1); counts by hand', () => {
    const tr = importTrtllm(re, { config, tokens: fixture('trtllm_token_ids.json') });
    expect(tr.layers).toEqual([
      { index: 0, kind: 'dense', selected: [[], [], [], []] },
      {
        index: 1,
        kind: 'moe',
        selected: [
          [7, 1],
          [0, 6],
          [7, 2],
          [3, 5],
        ],
      },
      {
        index: 2,
        kind: 'moe',
        selected: [
          [2, 3],
          [5, 4],
          [1, 0],
          [6, 7],
        ],
      },
    ]);
    // prompt 3 + output 2 = 5 ids for seq_len − 1 = 4 routed tokens
    expect(tr.tokens.map((t) => t.id)).toEqual([21, 22, 23, 24]);
    expect(tr.model).toEqual({ id: 'trtllm-import', numLayers: 3, numExperts: 8, topK: 2 });
    expect(tr.notices).toContain('layer 0: dense in trtllm_config.json (not captured)');
    expect(tr.notices).toContain(
      'the last token has no routing (generated but never fed back): left out',
    );
    const a = analyzeTraces([parseTrace(JSON.parse(JSON.stringify(tr)), 're.npy')], {
      m: [2],
      C: [1],
    });
    // layer 1: 7,1 | 0,6 | 7,2 | 3,5 → expert 7 twice, 4 never
    expect(a.layers[1].counts).toEqual([1, 1, 1, 1, 0, 1, 1, 2]);
    expect(a.layers[2].counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('without config.json: the block’s layers in order, with a notice; a leading axis of 1 is dropped', () => {
    const tr = importTrtllm(re);
    expect(tr.layers.map((l) => [l.index, l.kind])).toEqual([
      [0, 'moe'],
      [1, 'moe'],
    ]);
    expect(tr.layers[1].selected[0]).toEqual([2, 3]);
    expect(tr.model.numExperts).toBe(8); // max id + 1
    expect(tr.notices[0]).toBe(
      'layers are the model’s MoE layers in order (TensorRT-LLM leaves dense layers out): give the model’s config.json (--config) to number them as the model does',
    );
    const four = importTrtllm({ name: 'l.npy', bytes: writeNpy('i2', [1, 2, 1, 2], [0, 1, 1, 0]) });
    expect(four.layers[0].selected).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('names the file, the field and the value for every broken capture', () => {
    const c = (patch: object) => json('c.json', { ...cfg, ...patch });
    const cases: [() => unknown, string][] = [
      [
        () => importTrtllm({ name: 'f.npy', bytes: writeNpy('f4', [1, 1, 2], [0, 1]) }),
        "f.npy: routed_experts must be int16 (or int32 / int64), got dtype 'f4'",
      ],
      [
        () => importTrtllm({ name: 's.npy', bytes: writeNpy('i2', [3, 2], [0, 1, 2, 3, 1, 0]) }),
        's.npy: routed_experts must have shape [seq_len − 1, moe layers, top_k], got [3, 2]',
      ],
      [
        () => importTrtllm({ name: 'e.npy', bytes: writeNpy('i2', [0, 2, 2], []) }),
        'e.npy: routed_experts is empty (shape [0, 2, 2])',
      ],
      [
        () => importTrtllm({ name: 'm.npy', bytes: writeNpy('i2', [2, 1, 2], [3, 1, 2, -1]) }),
        'm.npy: layer 0, token 1: route missing (-1), the engine did not capture it',
      ],
      [
        () => importTrtllm({ name: 'n.npy', bytes: writeNpy('i2', [1, 1, 2], [3, -7]) }),
        'n.npy: negative expert id -7 at layer 0, token 0',
      ],
      [
        () => importTrtllm({ name: 'd.npy', bytes: writeNpy('i2', [1, 1, 2], [3, 3]) }),
        'd.npy: layer 0, token 0 lists expert 3 twice ([3, 3])',
      ],
      [
        () => importTrtllm(re, { config: c({ first_k_dense_replace: 0 }) }),
        'trtllm_routed_experts.npy: has 2 MoE layers but c.json gives 3 (of 3 layers: [0, 1, 2])',
      ],
      [
        () => importTrtllm(re, { config: c({ num_experts_per_tok: 4 }) }),
        'trtllm_routed_experts.npy: routes 2 experts per token but c.json has num_experts_per_tok 4',
      ],
      [
        () => importTrtllm(re, { config: c({ n_routed_experts: 7 }) }),
        'trtllm_routed_experts.npy: expert id 7 at layer 1, token 0 is ≥ the number of experts 7 (c.json)',
      ],
      [
        () => importTrtllm(re, { experts: 6 }),
        'trtllm_routed_experts.npy: expert id 7 at layer 0, token 0 is ≥ the number of experts 6 (--experts)',
      ],
      [
        () => importTrtllm(re, { tokens: json('t.json', [1, 2]) }),
        't.json: has 2 token ids but trtllm_routed_experts.npy routes 4 tokens (give the whole sequence, or the routed tokens)',
      ],
      [
        () => importTrtllm(re, { config: json('c.json', [1]) }),
        'c.json: must be a JSON object (the model’s config.json)',
      ],
    ];
    for (const [run, msg] of cases) expect(run, msg).toThrow(msg);
  });

  it('is told from a vLLM capture by its name in the page’s Open trace…', () => {
    const d = detectImport([re, config, fixture('trtllm_token_ids.json')]);
    expect(d.kind === 'import' && d.format).toBe('trtllm');
    if (d.kind !== 'import') return;
    expect(d.opts.config?.name).toBe('trtllm_config.json');
    expect(d.opts.tokens?.name).toBe('trtllm_token_ids.json');
    expect((detectImport([{ ...re, name: 're.npy' }]) as { format: string }).format).toBe('vllm');
  });
});
