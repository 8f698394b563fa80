// Hostile captures and traces (issue 18), each refused with our message: the file, the field, the value.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importTrace, ImportError, readModelConfig } from './index';
import { parseTrace } from '../../routing/metrics/trace';
import { readJson } from '../../routing/safeJson';
import { validateManifest } from '../manifest';

const file = (name: string, text: string) => ({ name, bytes: new TextEncoder().encode(text) });
const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);
const hf = (extra: object) =>
  JSON.stringify({
    format: 'hf-router-logits/1',
    config: {
      model_type: 'mixtral',
      num_hidden_layers: 1,
      num_local_experts: 2,
      num_experts_per_tok: 1,
    },
    kind: 'logits',
    tokens: { ids: [7] },
    router_logits: [[[0.5, 0.1]]],
    ...extra,
  });

describe('hostile captures', () => {
  it('deep nesting: a named field, never a stack overflow', () => {
    expect(() =>
      importTrace(
        'hf',
        file(
          'cap.json',
          hf({ tokens: { ids: JSON.parse(nest(10)), x: 0 } }).replace(
            '[[[[[[[[[[',
            nest(100_000).slice(0, 100_000) + '[[[[[[[[[[',
          ) + ']'.repeat(100_000),
        ),
      ),
    ).toThrow(/^cap\.json: tokens\.ids\[0\]\[0\].*: nested deeper than 64 levels/);
    expect(() =>
      importTrace('sglang', file('dump.json', `{"records":[{"input_ids":${nest(70)}}]}`)),
    ).toThrow(ImportError);
  });

  it('one huge SGLang prefill (300 000 tokens) imports without a stack overflow', () => {
    const n = 300_000;
    const dump = {
      format: 'sglang-expert-distribution/1',
      last_physical_to_logical_map: [[0, 1]],
      records: [
        {
          input_ids: Array.from({ length: n }, () => 3),
          topk_ids_of_layer: [Array.from({ length: n }, () => [1])],
        },
      ],
    };
    expect(importTrace('sglang', file('dump.json', JSON.stringify(dump))).tokens).toHaveLength(n);
  });

  it('a config claiming absurd layer or expert counts fails fast', () => {
    expect(() =>
      importTrace(
        'hf',
        file(
          'cap.json',
          hf({
            config: {
              model_type: 'mixtral',
              num_hidden_layers: 1e9,
              num_local_experts: 2,
              num_experts_per_tok: 1,
            },
          }),
        ),
      ),
    ).toThrow('cap.json: config.num_hidden_layers must be an integer in 1..1024, got 1000000000');
    expect(() =>
      readModelConfig(
        file('config.json', '{"num_hidden_layers": 2000000000, "num_experts_per_tok": 2}'),
      ),
    ).toThrow('config.json: "num_hidden_layers" must be an integer in 1..1024, got 2000000000');
    expect(() =>
      importTrace(
        'megatron',
        file('r.jsonl', '{"step":0,"layer":99999999,"num_tokens":1,"topk":1,"top_indices":[[0]]}'),
      ),
    ).toThrow('r.jsonl: "layer" 99999999 is beyond the limit of 1024 layers');
  });

  it('non-finite logits and top_k above the number of experts', () => {
    expect(() =>
      importTrace('hf', file('cap.json', hf({}).replace('[[[0.5,0.1]]]', '[[[0.5,1e999]]]'))),
    ).toThrow(
      'cap.json: router_logits[0] (layer 0)[0][1] must be a finite number or null, got Infinity',
    );
    expect(() =>
      importTrace(
        'hf',
        file(
          'cap.json',
          hf({
            config: {
              model_type: 'mixtral',
              num_hidden_layers: 1,
              num_local_experts: 2,
              num_experts_per_tok: 3,
            },
          }),
        ),
      ),
    ).toThrow(
      'cap.json: config.num_experts_per_tok (top-k) must be an integer in 1..2 (the number of experts), got 3',
    );
    expect(() =>
      readModelConfig(
        file('config.json', '{"num_hidden_layers": 2, "num_experts_per_tok": 9, "num_experts": 8}'),
      ),
    ).toThrow('config.json: "num_experts_per_tok" 9 exceeds the number of experts 8');
  });
});

describe('hostile traces', () => {
  const trace = (patch: object) => ({
    model: { id: 'm', numLayers: 1, numExperts: 2 },
    tokens: [{ id: 1, text: 'a' }],
    layers: [{ selected: [[0]] }],
    ...patch,
  });
  it('declared vs actual, ranges, finite numbers', () => {
    expect(() => parseTrace(trace({ model: { id: 'm', numLayers: 3 } }), 't.json')).toThrow(
      't.json: layers: holds 1 layers but model.numLayers is 3',
    );
    expect(() =>
      parseTrace(trace({ model: { id: 'm', numLayers: 1, topK: 5, numExperts: 2 } }), 't.json'),
    ).toThrow('t.json: model.topK: must be an integer in 0..2 (the number of experts), got 5');
    expect(() =>
      parseTrace(
        readJson(
          '{"model":{"id":"m","numLayers":1},"tokens":[{"id":1,"text":"a"}],"layers":[{"selected":[[0]],"routerLogits":[[1e999,0]]}]}',
          't.json',
        ),
        't.json',
      ),
    ).toThrow(
      't.json: layers[0].routerLogits[0][0]: must be a finite number or null (masked), got Infinity',
    );
    expect(() => parseTrace(trace({ next: [{ id: 'x' }] }), 't.json')).toThrow(
      't.json: next[0]: must be {id: integer, text: string, p: finite number}, got an object',
    );
  });
});

describe('hostile manifests', () => {
  const m = JSON.parse(readFileSync('public/models/tiny-mixtral/manifest.json', 'utf8'));
  it('absurd sizes fail fast, naming the field', () => {
    expect(() => validateManifest({ ...m, vocabSize: 1e15 })).toThrow(
      'manifest.json: "vocabSize" is 1000000000000000, over the limit of 16777216',
    );
    expect(() => validateManifest({ ...m, numLayers: 5000 })).toThrow(
      'manifest.json: "numLayers" is 5000, over the limit of 1024',
    );
    expect(() => validateManifest({ ...m, router: { ...m.router, topK: 9 } })).toThrow(
      'manifest.json: "router.topK" (9) exceeds every layer\'s numExperts',
    );
  });
});
