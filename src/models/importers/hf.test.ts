// HF output_router_logits captures → trace JSON: layer placement from the config, post-softmax
// values converted back, selections and gates from each family's native routing (hand-checked).
import { describe, expect, it } from 'vitest';
import { importHf, moeLayerIndices, nativeRouterFromConfig } from './hf';

const file = (j: unknown) => ({
  name: 'cap.json',
  bytes: new TextEncoder().encode(JSON.stringify(j)),
});
const capture = (config: object, kind: string, router_logits: unknown[], extra: object = {}) => ({
  format: 'hf-router-logits/1',
  model: 'tiny',
  config,
  kind,
  tokens: { ids: [7, 8], texts: ['Hal', 'lo'] },
  router_logits,
  ...extra,
});
const qwen = {
  model_type: 'qwen2_moe',
  num_hidden_layers: 4,
  num_experts: 4,
  num_experts_per_tok: 2,
  norm_topk_prob: false,
  mlp_only_layers: [0],
  decoder_sparse_step: 1,
};

describe('importHf', () => {
  it('qwen2_moe: probabilities → log p, dense layer 0 placed from mlp_only_layers, no renormalisation', () => {
    const probs = [
      [
        [0.1, 0.4, 0.2, 0.3],
        [0.7, 0.1, 0.1, 0.1],
      ],
      [
        [0, 0, 0.5, 0.5],
        [0.25, 0.25, 0.25, 0.25],
      ],
      [
        [0.4, 0.3, 0.2, 0.1],
        [0.1, 0.2, 0.3, 0.4],
      ],
    ];
    const tr = importHf(file(capture(qwen, 'probs', probs, { loss: [1.5] })));
    expect(tr.layers.map((l) => [l.index, l.kind])).toEqual([
      [0, 'dense'],
      [1, 'moe'],
      [2, 'moe'],
      [3, 'moe'],
    ]);
    expect(tr.layers[0].selected).toEqual([[], []]);
    const [l1, l2, l3] = tr.layers.slice(1);
    expect(l1.selected).toEqual([
      [1, 3],
      [0, 1],
    ]); // ties (0.1 ×3) go to the lower id
    expect(l1.gates![0][0]).toBeCloseTo(0.4, 6);
    expect(l1.gates![0][1]).toBeCloseTo(0.3, 6);
    expect(l1.gates![1][0]).toBeCloseTo(0.7, 6);
    expect(l1.routerLogits![0][1]).toBeCloseTo(Math.log(0.4), 6);
    expect(l2.routerLogits![0].slice(0, 2)).toEqual([null, null]); // p = 0 → −∞
    expect(l2.selected[0]).toEqual([2, 3]);
    expect(l3.selected).toEqual([
      [0, 1],
      [3, 2],
    ]);
    expect(tr.model).toMatchObject({
      numLayers: 4,
      numExperts: 4,
      topK: 2,
      architecture: 'qwen2_moe',
    });
    expect(tr.tokens).toEqual([
      { id: 7, text: 'Hal' },
      { id: 8, text: 'lo' },
    ]);
    expect(tr.loss).toEqual([1.5]);
    expect(tr.source.lacks).toEqual(['next']);
    expect(tr.notices[0]).toContain('post-softmax');
  });

  it('mixtral renormalises the top-2 of softmax(z); granite and gpt-oss softmax the top-2 logits (same numbers)', () => {
    const z = [
      [
        [1, 2, 3, 0],
        [0, 0, 0, 5],
      ],
    ];
    const cfg = { num_hidden_layers: 1, num_local_experts: 4, num_experts_per_tok: 2 };
    for (const model_type of ['mixtral', 'granitemoe', 'gpt_oss']) {
      const l = importHf(file(capture({ ...cfg, model_type }, 'logits', z))).layers[0];
      expect(l.selected).toEqual([
        [2, 1],
        [3, 0],
      ]);
      // e^3 / (e^3 + e^2) = 1 / (1 + e^−1)
      expect(l.gates![0][0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
      expect(l.gates![0][1]).toBeCloseTo(1 / (1 + Math.exp(1)), 6);
      expect(l.gates![1][0]).toBeCloseTo(1 / (1 + Math.exp(-5)), 6);
      expect(l.routerLogits![0]).toEqual([1, 2, 3, 0]);
    }
  });

  it('places MoE layers like transformers does', () => {
    expect(
      moeLayerIndices({
        model_type: 'qwen2_moe',
        num_hidden_layers: 6,
        num_experts: 4,
        decoder_sparse_step: 2,
        mlp_only_layers: [3],
      }),
    ).toEqual([1, 5]);
    expect(
      moeLayerIndices({
        model_type: 'deepseek_v3',
        num_hidden_layers: 5,
        first_k_dense_replace: 2,
        moe_layer_freq: 1,
      }),
    ).toEqual([2, 3, 4]);
    expect(moeLayerIndices({ model_type: 'olmoe', num_hidden_layers: 2 })).toEqual([0, 1]);
    // DeepSeek-V2-Lite: layer 0 dense, every layer after it MoE
    expect(
      moeLayerIndices({
        model_type: 'deepseek_v2',
        num_hidden_layers: 4,
        first_k_dense_replace: 1,
        moe_layer_freq: 1,
      }),
    ).toEqual([1, 2, 3]);
  });

  it('gpt_oss: softmax over the top-k router logits (bias included), experts from num_local_experts', () => {
    expect(nativeRouterFromConfig({ model_type: 'gpt_oss', num_experts_per_tok: 4 })).toEqual({
      type: 'topk_softmax',
      topK: 4,
    });
    expect(
      nativeRouterFromConfig({
        model_type: 'deepseek_v2',
        num_experts_per_tok: 6,
        norm_topk_prob: false,
      }),
    ).toEqual({ type: 'softmax_topk', topK: 6, normTopkProb: false });
  });

  it('names the problem', () => {
    const three = [
      [
        [1, 0, 0, 0],
        [1, 0, 0, 0],
      ],
      [
        [1, 0, 0, 0],
        [1, 0, 0, 0],
      ],
      [
        [1, 0, 0, 0],
        [1, 0, 0, 0],
      ],
    ];
    expect(() =>
      importHf(
        file(capture({ ...qwen, mlp_only_layers: [], decoder_sparse_step: 2 }, 'logits', three)),
      ),
    ).toThrow(
      'cap.json: router_logits has 3 entries but config (qwen2_moe, 4 layers) gives 2 MoE layers [1, 3]',
    );
    expect(() => importHf(file(capture({ ...qwen, model_type: 'gpt2' }, 'logits', three)))).toThrow(
      'cap.json: config.model_type "gpt2" is not supported (known: mixtral, granitemoe',
    );
    expect(() =>
      importHf(
        file(
          capture(qwen, 'logits', [
            three[0],
            three[1],
            [
              [1, 0, 0],
              [1, 0, 0, 0],
            ],
          ]),
        ),
      ),
    ).toThrow('cap.json: router_logits[2] (layer 3)[0] must hold E = 4 values, got 3');
    expect(() =>
      importHf(
        file(
          capture(
            { model_type: 'deepseek_v3', num_hidden_layers: 1, n_routed_experts: 4 },
            'probs',
            [three[0]],
          ),
        ),
      ),
    ).toThrow(
      'cap.json: kind "probs" cannot be turned back into logits for the sigmoid_bias_grouped router of deepseek_v3',
    );
    expect(() => importHf(file({ ...capture(qwen, 'logits', three), format: 'x' }))).toThrow(
      'cap.json: format must be "hf-router-logits/1"',
    );
  });
});
