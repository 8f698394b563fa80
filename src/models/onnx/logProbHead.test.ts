// The log-prob head against log_softmax of the plain head's logits, on the fixture bundle.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { headWithLogProbs } from './logProbHead';
import { GraphBuilder } from './builder';

describe('headWithLogProbs', () => {
  it('adds log_softmax(logits) as a second output, the logits unchanged', async () => {
    const bytes = new Uint8Array(readFileSync('public/models/tiny-mixtral/head.onnx'));
    const plain = await ort.InferenceSession.create(bytes);
    const lp = await ort.InferenceSession.create(headWithLogProbs(bytes));
    expect(lp.outputNames).toEqual(['logits', 'logprobs']);
    const D = 32; // tiny-mixtral hidden size
    const hidden = new ort.Tensor('float32', Float32Array.from({ length: 3 * D }, (_, i) => Math.sin(i)), [1, 3, D]);
    const z = (await plain.run({ hidden })).logits.data as Float32Array;
    const both = await lp.run({ hidden });
    expect(Array.from(both.logits.data as Float32Array)).toEqual(Array.from(z)); // logits unchanged
    const l = both.logprobs.data as Float32Array;
    const V = z.length / 3;
    for (let t = 0; t < 3; t++) {
      const row = z.subarray(t * V, (t + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      for (const v of [0, 1, 7, V - 1]) expect(l[t * V + v]).toBeCloseTo(row[v] - lse, 5);
    }
  });

  it('names a graph without a logits output', () => {
    const g = new GraphBuilder('x');
    g.o('Identity', [g.input('a', 'float32', [1])], {}, 'b');
    g.output('b', 'float32', [1]);
    expect(() => headWithLogProbs(g.build())).toThrow('head graph has no "logits" output');
  });
});
