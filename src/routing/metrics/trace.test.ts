import { describe, expect, it } from 'vitest';
import { parseTrace } from './trace';

const base = () => ({
  model: { id: 'm', numLayers: 1 },
  backend: 'wasm',
  router: 'topk:k=1',
  interventions: [],
  tokens: [
    { id: 5, text: 'a' },
    { id: 6, text: 'b' },
  ],
  layers: [{ index: 0, kind: 'moe', selected: [[1], [0]], gates: [[1], [1]] }] as Record<
    string,
    unknown
  >[],
});

describe('parseTrace', () => {
  it('resolves numExperts from model.numExperts, else the router-logit width, else max id + 1', () => {
    const t = base();
    expect(parseTrace(t).numExperts).toBe(2); // max id 1 → 2
    t.layers[0].routerLogits = [
      [0, 1, 2],
      [0, null, 2], // null = a masked (−∞) logit as JSON.stringify writes it
    ];
    const withLogits = parseTrace(t);
    expect(withLogits.numExperts).toBe(3);
    expect(withLogits.layers[0].routerLogits![1][1]).toBe(-Infinity);
    expect(parseTrace({ ...t, model: { id: 'm', numExperts: 8 } }).numExperts).toBe(8);
  });

  it('fills in layer index, kind and numLayers, normalises dropped flags, leaves the input alone', () => {
    const t = base();
    t.layers = [{ selected: [[1], []], gates: [[1], []], dropped: [false, true] }];
    const p = parseTrace({ ...t, model: { id: 'm' } });
    expect(p.layers[0]).toEqual({
      index: 0,
      kind: 'moe',
      selected: [[1], []],
      gates: [[1], []],
      dropped: [0, 1],
    });
    expect(p.model.numLayers).toBe(1);
    expect(t.layers[0].dropped).toEqual([false, true]);
  });

  it('accepts engine captures without router logits or gates (expert ids only)', () => {
    const t = base();
    t.model = { id: 'm' } as never; // (no numLayers: a capture of layer 3 alone)
    t.layers = [{ index: 3, kind: 'moe', selected: [[2, 0], [1, 2]] }];
    const p = parseTrace(t);
    expect(p.layers[0]).toEqual({ index: 3, kind: 'moe', selected: [[2, 0], [1, 2]] });
    expect(p.numExperts).toBe(3);
  });

  it('names the file and the field of every problem', () => {
    const bad = (patch: (t: ReturnType<typeof base>) => void) => {
      const t = base();
      patch(t);
      return () => parseTrace(t, 'x.json');
    };
    expect(() => parseTrace([], 'x.json')).toThrow('x.json: must be a JSON object');
    expect(bad((t) => (t.model = { id: 'm', numExperts: 1 } as never))).toThrow(
      'x.json: layers[0].selected[0]: expert 1 out of range 0..0',
    );
    expect(
      bad((t) => {
        t.model = { id: 'm', numExperts: 8 } as never;
        t.tokens = Array.from({ length: 6 }, (_, i) => ({ id: i, text: String(i) }));
        t.layers = [0, 1, 2].map((i) => ({
          index: i,
          selected: [[0], [1], [2], [3], [4], i === 2 ? [9] : [5]],
          gates: Array(6).fill([1]),
        }));
      }),
    ).toThrow('x.json: layers[2].selected[5]: expert 9 out of range 0..7');
    expect(bad((t) => (t.layers[0].selected = [[1]]))).toThrow(
      'x.json: layers[0].selected: must list 2 tokens, got 1',
    );
    expect(bad((t) => (t.layers[0].gates = [[1], [0.5, 0.5]]))).toThrow(
      'x.json: layers[0].gates[1]: must hold 1 weights (one per selected expert), got an array of 2',
    );
    expect(bad((t) => (t.layers[0].selected = [[1, 1], [0]]))).toThrow(
      'x.json: layers[0].selected[0]: expert 1 listed twice',
    );
    expect(bad((t) => (t.layers[0].selected = [[1.5], [0]]))).toThrow(
      'x.json: layers[0].selected[0][0]: must be a non-negative integer expert id, got 1.5',
    );
    expect(bad((t) => (t.tokens[1] = { id: 6 } as never))).toThrow(
      'x.json: tokens[1]: must be {id: integer, text: string}',
    );
    expect(bad((t) => (t.layers = []))).toThrow(
      'x.json: layers: must be a non-empty array, got an array of 0',
    );
    expect(bad((t) => (t.model = { numLayers: 1 } as never))).toThrow(
      'x.json: model.id: must be a string, got undefined',
    );
    expect(bad((t) => (t.layers[0].routerLogits = [[0, 1], [0]]))).toThrow(
      'x.json: layers[0].routerLogits[1]: has 1 logits but layers[0].routerLogits[0] has 2',
    );
    expect(
      bad(
        (t) =>
          (t.layers[0].routerLogits = [
            [0, 'x'],
            [0, 1],
          ]),
      ),
    ).toThrow(
      'x.json: layers[0].routerLogits[0][1]: must be a finite number or null (masked), got "x"',
    );
    expect(
      bad((t) => {
        t.model = { id: 'm', numExperts: 2 } as never;
        t.layers[0].routerLogits = [
          [0, 1, 2],
          [0, 1, 2],
        ];
      }),
    ).toThrow('x.json: layers[0].routerLogits[0]: has 3 logits but model.numExperts is 2');
    expect(bad((t) => (t.layers[0].kind = 'sparse'))).toThrow(
      'x.json: layers[0].kind: must be "moe" or "dense", got "sparse"',
    );
    expect(bad((t) => ((t as Record<string, unknown>).loss = [1, 2]))).toThrow(
      'x.json: loss: must list T − 1 = 1 per-token losses, got an array of 2',
    );
    expect(
      bad((t) => {
        t.model = { id: 'm' } as never;
        t.layers[0].selected = [[], []];
        t.layers[0].gates = [[], []];
      }),
    ).toThrow(
      'x.json: model.numExperts: missing, and no router logits or selections to infer it from',
    );
  });
});
