// Megatron-LM router_trace_rank*.jsonl (+ bfloat16 logits sidecar) → trace JSON.
import { describe, expect, it } from 'vitest';
import { importMegatron } from './megatron';
import { parseTrace } from '../../routing/metrics/trace';
import { analyzeTraces } from '../../routing/metrics/analyze';

const rec = (step: number, layer: number, top: number[][], extra: object = {}) => ({
  step,
  stage: 'pre_dispatch',
  block: 'decoder',
  layer,
  rank: 0,
  num_tokens: top.length,
  topk: top[0].length,
  top_indices: top,
  ...extra,
});
const jsonl = (rs: object[]) => ({
  name: 'router_trace_rank0.jsonl',
  bytes: new TextEncoder().encode(rs.map((r) => JSON.stringify(r)).join('\n') + '\n'),
});
/** bfloat16 = the high 16 bits of the float32 (exact for these values) */
const bf16 = (xs: number[]) => {
  const u = new Uint32Array(Float32Array.from(xs).buffer);
  const out = new Uint8Array(2 * xs.length);
  u.forEach((v, i) => out.set([(v >>> 16) & 0xff, v >>> 24], 2 * i));
  return out;
};
// Layer 0: a routing map gave expert-id order; the logits say which is best.
const L0 = [
  [0, 2],
  [1, 3],
  [2, 3],
];
const Z0 = [1, 0.5, 2, -1, 0.5, 1, -1, 2, 0, 0, 1, 2];
const L2 = [
  [3, 1],
  [0, 1],
  [2, 0],
];
const Z2 = [0, 1, 0, 2, 2, 1, 0, 0, 1, 0, 2, 0];
const records = [
  rec(0, 0, L0, { logit_offset: 0, logit_bytes: 24, logit_shape: [3, 4] }),
  rec(0, 2, L2, { logit_offset: 24, logit_bytes: 24, logit_shape: [3, 4] }),
  { ...rec(0, 0, [[1, 1]]), block: 'mtp', mtp_idx: 0 },
  rec(1, 0, [
    [3, 2],
    [3, 2],
    [3, 2],
  ]),
  rec(1, 2, [
    [3, 2],
    [3, 2],
    [3, 2],
  ]),
];

describe('importMegatron', () => {
  it('picks the first step, skips MTP records, fills the missing layer as dense; counts by hand', () => {
    const tr = importMegatron(jsonl(records));
    expect(tr.layers).toEqual([
      { index: 0, kind: 'moe', selected: L0 },
      { index: 1, kind: 'dense', selected: [[], [], []] },
      { index: 2, kind: 'moe', selected: L2 },
    ]);
    expect(tr.model).toEqual({ id: 'megatron-import', numLayers: 3, numExperts: 4, topK: 2 });
    expect(tr.source.lacks).toEqual(['routerLogits', 'gates', 'loss', 'next', 'tokenText']);
    expect(tr.notices).toContain('1 MTP / non-decoder records skipped');
    const a = analyzeTraces([parseTrace(JSON.parse(JSON.stringify(tr)))], { m: [2], C: [1] });
    expect(a.layers[0].counts).toEqual([1, 1, 2, 2]);
    expect(a.layers[2].counts).toEqual([2, 2, 1, 1]);
    expect(importMegatron(jsonl(records), { step: 1 }).layers[0].selected).toEqual([
      [3, 2],
      [3, 2],
      [3, 2],
    ]);
  });

  it('reads bfloat16 logits from the sidecar and orders each token’s experts by logit', () => {
    const logits = { name: 'logits_rank0.bin', bytes: new Uint8Array([...bf16(Z0), ...bf16(Z2)]) };
    const tr = importMegatron(jsonl(records), { logits });
    expect(tr.layers[0].routerLogits).toEqual([
      [1, 0.5, 2, -1],
      [0.5, 1, -1, 2],
      [0, 0, 1, 2],
    ]);
    expect(tr.layers[0].selected).toEqual([
      [2, 0],
      [3, 1],
      [3, 2],
    ]);
    expect(tr.layers[2].selected).toEqual([
      [3, 1],
      [0, 1],
      [2, 0],
    ]);
    expect(tr.source.lacks).not.toContain('routerLogits');
  });

  it('names the problem', () => {
    expect(() => importMegatron(jsonl(records), { step: 5 })).toThrow(
      'router_trace_rank0.jsonl: no records for step 5 (steps in the file: 0, 1)',
    );
    expect(() =>
      importMegatron({ name: 'x.jsonl', bytes: new TextEncoder().encode('{"step":0}\n{oops\n') }),
    ).toThrow('x.jsonl: line 1: "layer" must be an integer, got undefined');
    expect(() =>
      importMegatron({ name: 'x.jsonl', bytes: new TextEncoder().encode('{oops\n') }),
    ).toThrow('x.jsonl: line 1: not valid JSON');
    expect(() => importMegatron(jsonl([rec(0, 0, L0), rec(0, 1, [[0, 1]])]))).toThrow(
      'router_trace_rank0.jsonl: step 0: layer 1 routes 1 tokens but layer 0 routes 3',
    );
    expect(() => importMegatron(jsonl(records), { experts: 3 })).toThrow(
      'router_trace_rank0.jsonl: expert id 3 at layer 0, token 1 is ≥ the number of experts 3 (--experts)',
    );
    expect(() =>
      importMegatron(jsonl(records), { logits: { name: 'l.bin', bytes: bf16(Z0) } }),
    ).toThrow(
      'l.bin: line 2 of router_trace_rank0.jsonl points at bytes 24..48 (bfloat16 [3, 4]) but the file has 24',
    );
  });
});
