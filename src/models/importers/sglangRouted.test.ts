// SGLang return_routed_experts (/generate response, meta_info.routed_experts = base64 int32
// [prompt + completion − 1, layers, top_k]) + the model's config.json → trace JSON, on the fixtures of
// __fixtures__/make_routed.py and hand-edited variants.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeBase64, importSglangRouted } from './sglangRouted';
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
const response = JSON.parse(new TextDecoder().decode(fixture('sglang_generate.json').bytes));
const config = fixture('sglang_config.json');
const withMeta = (patch: Record<string, unknown>, name = 'r.json') =>
  json(name, { ...response, meta_info: { ...response.meta_info, ...patch } });
/** base64 of little-endian int32 values, as numpy's tobytes() + b64encode write them */
const b64 = (xs: number[]) =>
  Buffer.from(new Uint8Array(Int32Array.from(xs).buffer)).toString('base64');

describe('importSglangRouted', () => {
  it('splits the flat int32 block by config.json: [4 tokens × 3 layers × top-2], layer 1 dense; counts by hand', () => {
    const tr = importSglangRouted(fixture('sglang_generate.json'), { config });
    expect(tr.layers).toEqual([
      {
        index: 0,
        kind: 'moe',
        selected: [
          [1, 4],
          [0, 5],
          [2, 1],
          [3, 0],
        ],
      },
      { index: 1, kind: 'dense', selected: [[], [], [], []] },
      {
        index: 2,
        kind: 'moe',
        selected: [
          [5, 2],
          [4, 1],
          [0, 3],
          [1, 2],
        ],
      },
    ]);
    // prompt 3 + completion 2 − 1 = 4 routed tokens; without --tokens the prompt ids are unknown and the
    // routed output token (output_ids[0] = 8, position 3) is named from the response
    expect(tr.tokens).toEqual([
      { id: -1, text: '0' },
      { id: -1, text: '1' },
      { id: -1, text: '2' },
      { id: 8, text: '#8' },
    ]);
    expect(tr.model).toEqual({ id: 'sglang-import', numLayers: 3, numExperts: 6, topK: 2 });
    expect(tr.source).toEqual({
      engine: 'sglang-routed',
      files: ['sglang_generate.json', 'sglang_config.json'],
      lacks: ['routerLogits', 'gates', 'loss', 'next', 'tokenText'],
    });
    expect(tr.notices).toContain('layer 1: dense in sglang_config.json (never captured: zeros)');
    const a = analyzeTraces([parseTrace(JSON.parse(JSON.stringify(tr)), 'r.json')], {
      m: [2],
      C: [1],
    });
    // layer 0 picks 1,4 | 0,5 | 2,1 | 3,0 → expert 0: 2, 1: 2, 2: 1, 3: 1, 4: 1, 5: 1
    expect(a.layers[0].counts).toEqual([2, 2, 1, 1, 1, 1]);
    // layer 2 picks 5,2 | 4,1 | 0,3 | 1,2 → 0: 1, 1: 2, 2: 2, 3: 1, 4: 1, 5: 1
    expect(a.layers[2].counts).toEqual([1, 2, 2, 1, 1, 1]);
    expect(a.layers[1]).toEqual({ index: 1, kind: 'dense' });
  });

  it('takes prompt + output ids from --tokens and leaves out the last sampled token', () => {
    const tr = importSglangRouted(fixture('sglang_generate.json'), {
      config,
      tokens: json('ids.json', { prompt_token_ids: [5, 6, 7], token_ids: [8, 9] }),
    });
    expect(tr.tokens.map((t) => t.id)).toEqual([5, 6, 7, 8]);
    expect(tr.notices).toContain(
      'the last token has no routing (generated but never fed back): left out',
    );
    // exactly the routed tokens is fine too
    expect(
      importSglangRouted(fixture('sglang_generate.json'), {
        config,
        tokens: json('ids.json', [5, 6, 7, 8]),
      }).tokens.map((t) => t.id),
    ).toEqual([5, 6, 7, 8]);
  });

  it('a routed_experts_start_len request covers the tail of the sequence', () => {
    // prompt 4 + completion 2 − 1 = 5 positions, 4 routed: start 1
    const tr = importSglangRouted(withMeta({ prompt_tokens: 4 }), {
      config,
      tokens: json('ids.json', [4, 5, 6, 7, 8, 9]),
    });
    expect(tr.tokens.map((t) => t.id)).toEqual([5, 6, 7, 8]);
    expect(tr.notices).toContain("routes tokens 1..4 (the request's routed_experts_start_len = 1)");
  });

  it('imports the first response of a batch, with a notice', () => {
    const tr = importSglangRouted(json('batch.json', [response, response]), { config });
    expect(tr.layers[0].selected[0]).toEqual([1, 4]);
    expect(tr.notices).toContain('batch.json holds 2 responses: the first is imported');
  });

  it('decodes strict base64 (pybase64 padding) and refuses what is not', () => {
    expect(Array.from(decodeBase64('AQIDBA==', 'f', 'x'))).toEqual([1, 2, 3, 4]);
    expect(Array.from(decodeBase64('AQIDBAU=', 'f', 'x'))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(decodeBase64('AQIDBAUG', 'f', 'x'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => decodeBase64('AQID=A==', 'f', 'x')).toThrow(
      'f: x: not base64 (character "=" at 4)',
    );
  });

  it('names the file, the field and the value for every broken capture', () => {
    const full: string = response.meta_info.routed_experts;
    expect(full.length).toBe(128); // 24 int32 = 96 bytes
    const cases: [ReturnType<typeof json>, string][] = [
      [
        withMeta({ routed_experts: full.slice(0, 127) }),
        'r.json: meta_info.routed_experts: truncated base64 (127 characters, not a multiple of 4)',
      ],
      [
        withMeta({ routed_experts: full.slice(0, 5) + '!' + full.slice(6) }),
        'r.json: meta_info.routed_experts: not base64 (character "!" at 5)',
      ],
      [
        withMeta({
          routed_experts: Buffer.from(Buffer.from(full, 'base64').subarray(0, 94)).toString(
            'base64',
          ),
        }),
        'r.json: meta_info.routed_experts decodes to 94 bytes, not a whole number of int32 values',
      ],
      [
        withMeta({ routed_experts: b64(Array.from({ length: 23 }, () => 0)) }),
        'r.json: meta_info.routed_experts holds 23 int32 values, not a multiple of layers × top-k = 3 × 2 (sglang_config.json: num_hidden_layers × num_experts_per_tok)',
      ],
      [
        withMeta({
          routed_experts: b64([
            6,
            4,
            0,
            0,
            5,
            2,
            ...Array.from({ length: 18 }, (_, i) => [0, 1, 0, 0, 2, 3][i % 6]),
          ]),
        }),
        'r.json: expert id 6 at layer 0, token 0 is ≥ the number of experts 6 (sglang_config.json)',
      ],
      [
        withMeta({
          routed_experts: b64([
            1,
            1,
            0,
            0,
            5,
            2,
            ...Array.from({ length: 18 }, (_, i) => [0, 1, 0, 0, 2, 3][i % 6]),
          ]),
        }),
        'r.json: layer 0, token 0 lists expert 1 twice ([1, 1])',
      ],
      [
        withMeta({
          routed_experts: b64([
            1,
            4,
            -1,
            0,
            5,
            2,
            ...Array.from({ length: 18 }, (_, i) => [0, 1, 0, 0, 2, 3][i % 6]),
          ]),
        }),
        'r.json: layer 1 is dense in sglang_config.json but token 0 has experts [-1, 0] (wrong config.json?)',
      ],
      [
        withMeta({ prompt_tokens: 2 }),
        'r.json: meta_info.routed_experts routes 4 tokens but prompt_tokens + completion_tokens − 1 = 3 (mismatched token counts)',
      ],
      [
        withMeta({ completion_tokens: -1 }),
        'r.json: meta_info.completion_tokens must be a non-negative integer, got -1',
      ],
      [
        withMeta({ routed_experts: [1, 2] }),
        'r.json: meta_info.routed_experts must be a base64 string, got an array',
      ],
      [
        withMeta({ routed_experts: null }),
        'r.json: meta_info.routed_experts is missing: start the server with --enable-return-routed-experts and send "return_routed_experts": true',
      ],
      [
        json('r.json', { text: 'hi' }),
        'r.json: not an SGLang /generate response: no "meta_info" object',
      ],
    ];
    for (const [f, msg] of cases) expect(() => importSglangRouted(f, { config }), msg).toThrow(msg);
    expect(() => importSglangRouted(fixture('sglang_generate.json'))).toThrow(
      'sglang_generate.json: needs the model’s config.json (--config): meta_info.routed_experts is flat int32',
    );
    expect(() =>
      importSglangRouted(fixture('sglang_generate.json'), {
        config: json('config.json', { num_hidden_layers: 3 }),
      }),
    ).toThrow('config.json: "num_experts_per_tok" must be a positive integer, got undefined');
    expect(() =>
      importSglangRouted(fixture('sglang_generate.json'), {
        config: json('c.json', {
          ...JSON.parse(new TextDecoder().decode(config.bytes)),
          mlp_only_layers: [0],
        }),
      }),
    ).toThrow(
      'sglang_generate.json: layer 0 is dense in c.json but token 0 has experts [1, 4] (wrong config.json?)',
    );
    expect(() =>
      importSglangRouted(fixture('sglang_generate.json'), {
        config,
        tokens: json('ids.json', [5, 6, 7]),
      }),
    ).toThrow(
      'ids.json: has 3 token ids but sglang_generate.json routes 4 tokens of a 5-token sequence (give the whole sequence, or the routed tokens)',
    );
  });

  it('is picked out of the page’s Open trace… selection with its config.json', () => {
    const d = detectImport([
      config,
      fixture('sglang_generate.json'),
      json('ids.json', [5, 6, 7, 8, 9]),
    ]);
    expect(d.kind).toBe('import');
    if (d.kind !== 'import') return;
    expect(d.format).toBe('sglang-routed');
    expect(d.opts.config?.name).toBe('sglang_config.json');
    expect(d.opts.tokens?.name).toBe('ids.json');
  });
});
