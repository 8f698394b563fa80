// Megatron-LM router traces with the hidden-state sidecar (hidden_states_rank{r}.bin, bfloat16
// [num_tokens, hidden_size] per record at hs_offset / hs_bytes / hs_shape) → each layer's moeIn, on the
// fixtures of __fixtures__/make_routed.py (written with torch's bfloat16, as router_trace.py writes them).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importMegatron } from './megatron';
import { detectImport } from './index';
import { parseTrace } from '../../routing/metrics/trace';

const fixture = (name: string) => ({
  name,
  bytes: new Uint8Array(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url))),
});
const jsonl = fixture('router_trace_rank0.jsonl');
const hidden = fixture('hidden_states_rank0.bin');
const records = new TextDecoder()
  .decode(jsonl.bytes)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const edited = (f: (rs: Record<string, unknown>[]) => void) => {
  const rs = structuredClone(records);
  f(rs);
  return {
    name: 'router_trace_rank0.jsonl',
    bytes: new TextEncoder().encode(rs.map((r) => JSON.stringify(r)).join('\n') + '\n'),
  };
};

describe('importMegatron with hidden_states_rank0.bin', () => {
  it('reads each layer’s router input [T][D] from the bfloat16 sidecar; values by hand', () => {
    const tr = importMegatron(jsonl, { hiddenStates: hidden });
    // make_routed.py: layer l, token t, channel j holds 0.5·(l + 1)·(t + 1) − j (exact in bfloat16)
    expect(tr.layers[0].moeIn).toEqual([
      [0.5, -0.5, -1.5, -2.5],
      [1, 0, -1, -2],
      [1.5, 0.5, -0.5, -1.5],
    ]);
    expect(tr.layers[1].moeIn).toEqual([
      [1, 0, -1, -2],
      [2, 1, 0, -1],
      [3, 2, 1, 0],
    ]);
    expect(tr.layers[1].selected).toEqual([
      [3, 1],
      [0, 1],
      [2, 0],
    ]);
    expect(tr.source.files).toEqual(['router_trace_rank0.jsonl', 'hidden_states_rank0.bin']);
    expect(tr.notices).toContain(
      'router input hidden states (moe_in, 4 values per token) from the bfloat16 sidecar hidden_states_rank0.bin',
    );
    // the trace stays valid for the page (which reads the routing and ignores moeIn)
    expect(parseTrace(JSON.parse(JSON.stringify(tr)), 't').layers[0].selected).toEqual([
      [0, 2],
      [1, 3],
      [2, 3],
    ]);
  });

  it('without the sidecar the records import as before; a sidecar the records do not point to is named', () => {
    expect(importMegatron(jsonl).layers[0].moeIn).toBeUndefined();
    const bare = edited((rs) =>
      rs.forEach((r) => ['hs_offset', 'hs_bytes', 'hs_shape'].forEach((k) => delete r[k])),
    );
    const tr = importMegatron(bare, { hiddenStates: hidden });
    expect(tr.layers[0].moeIn).toBeUndefined();
    expect(tr.notices).toContain(
      'hidden_states_rank0.bin ignored: the records point to no hidden states (run with hidden-state capture)',
    );
  });

  it('names the file, line, field and value for broken metadata and short sidecars', () => {
    const cases: [ReturnType<typeof edited> | undefined, Uint8Array | undefined, string][] = [
      [
        edited((rs) => (rs[0].hs_bytes = 22)),
        undefined,
        'router_trace_rank0.jsonl: line 1: hs_bytes 22 is not 2 × 3 × 4 (bfloat16 [3, 4])',
      ],
      [
        edited((rs) => (rs[0].hs_shape = [2, 4])),
        undefined,
        'router_trace_rank0.jsonl: line 1: hs_shape must be [num_tokens = 3, hidden_size], got [2,4]',
      ],
      [
        edited((rs) => delete rs[1].hs_offset),
        undefined,
        'router_trace_rank0.jsonl: line 2: no hs_offset although other records of the step have hidden states',
      ],
      [
        edited((rs) => Object.assign(rs[1], { hs_shape: [3, 2], hs_bytes: 12 })),
        undefined,
        'hidden_states_rank0.bin: layer 1 has hidden size 2 but layer 0 has 4',
      ],
      [
        undefined,
        hidden.bytes.subarray(0, 40),
        'hidden_states_rank0.bin: line 2 of router_trace_rank0.jsonl points at bytes 24..48 (bfloat16 [3, 4]) but the file has 40',
      ],
    ];
    for (const [file, bytes, msg] of cases)
      expect(
        () =>
          importMegatron(file ?? jsonl, {
            hiddenStates: { name: 'hidden_states_rank0.bin', bytes: bytes ?? hidden.bytes },
          }),
        msg,
      ).toThrow(msg);
  });

  it('is picked as the hidden-state sidecar in the page’s Open trace…, next to the logits sidecar', () => {
    const d = detectImport([jsonl, hidden, { name: 'logits_rank0.bin', bytes: new Uint8Array(0) }]);
    expect(d.kind === 'import' && d.format).toBe('megatron');
    if (d.kind !== 'import') return;
    expect(d.opts.hiddenStates?.name).toBe('hidden_states_rank0.bin');
    expect(d.opts.logits?.name).toBe('logits_rank0.bin');
  });
});
