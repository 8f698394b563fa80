// `moe-lab import` end to end: an np.save routed_experts file → trace.json → `analyze` gives the
// hand-computed load; errors go to stderr, exit 2 and name the problem.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/models/importers/npy';

const FIX = 'src/models/importers/__fixtures__';
const cli = (...args: string[]) =>
  JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' }));
const fail = (...args: string[]) =>
  spawnSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' });

describe('moe-lab import', () => {
  it('vllm .npy + token ids → trace.json; analyze counts the load by hand and notes the missing logits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imp-'));
    const out = join(dir, 'trace.json');
    const s = cli(
      'import',
      `${FIX}/routed_experts_i4.npy`,
      '--format',
      'vllm',
      '--tokens',
      `${FIX}/token_ids.npy`,
      '--experts',
      '4',
      '-o',
      out,
    );
    expect(s).toMatchObject({
      out,
      format: 'vllm',
      tokens: 3,
      layers: 2,
      moeLayers: 1,
      numExperts: 4,
      lacks: ['routerLogits', 'gates', 'loss', 'next', 'tokenText'],
    });
    const trace = JSON.parse(readFileSync(out, 'utf8'));
    expect(trace.layers[0].selected).toEqual([
      [1, 3],
      [2, 1],
      [3, 0],
    ]);
    const a = cli('analyze', out, '--m', '2', '--C', '1', '--metrics', 'load,hfAux,entropy');
    expect(a.layers[0].counts).toEqual([1, 2, 1, 2]);
    expect(a.layers[0].maxOverMean).toBeCloseTo(4 / 3, 12); // mean 1.5, max 2
    expect(a.layers[0].hfAux).toBeNull();
    expect(a.layers[0].entropy).toBeNull();
    expect(a.notes).toEqual([
      'hfAux and entropy skipped (null) for layer 0: the trace has no router logits there (captures that record expert ids only)',
      // the all-zero layer 1 came in as dense
      'layer 1 is dense (no router): routing metrics left out there and model-wide means run over the 1 MoE layers',
    ]);
  });

  it('without -o prints the trace (sglang)', () => {
    const t = cli('import', `${FIX}/sglang.json`, '--format', 'sglang');
    expect(t.layers[1].selected).toEqual([
      [0, 1],
      [2, 1],
      [0, 2],
    ]);
    expect(t.backend).toBe('sglang');
  });

  it('sglang-routed and trtllm with --config; megatron finds its hidden-state sidecar next to the .jsonl', () => {
    const sg = cli(
      'import',
      `${FIX}/sglang_generate.json`,
      '--format',
      'sglang-routed',
      '--config',
      `${FIX}/sglang_config.json`,
    );
    expect(sg.layers.map((l: { kind: string }) => l.kind)).toEqual(['moe', 'dense', 'moe']);
    const trt = cli(
      'import',
      `${FIX}/trtllm_routed_experts.npy`,
      '--format',
      'trtllm',
      '--config',
      `${FIX}/trtllm_config.json`,
      '--tokens',
      `${FIX}/trtllm_token_ids.json`,
    );
    expect(trt.layers[2].selected[3]).toEqual([6, 7]);
    expect(trt.tokens.map((t: { id: number }) => t.id)).toEqual([21, 22, 23, 24]);
    const mg = cli('import', `${FIX}/router_trace_rank0.jsonl`, '--format', 'megatron');
    expect(mg.source.files).toEqual([
      `${FIX}/router_trace_rank0.jsonl`,
      `${FIX}/hidden_states_rank0.bin`,
    ]);
    expect(mg.layers[1].moeIn[2]).toEqual([3, 2, 1, 0]);
  });

  it('errors name the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imp-'));
    const f32 = join(dir, 'f.npy');
    writeFileSync(f32, writeNpy('f4', [1, 1, 2], [0, 1]));
    const cases: [string[], string][] = [
      [
        [`${FIX}/routed_experts_i4.npy`],
        'moe-lab import: --format is required (hf, vllm, sglang, sglang-routed, trtllm, megatron)\n',
      ],
      [
        [`${FIX}/routed_experts_i4.npy`, '--format', 'tgi'],
        'moe-lab import: unknown --format "tgi" (known: hf, vllm, sglang, sglang-routed, trtllm, megatron)\n',
      ],
      [['nope.npy', '--format', 'vllm'], 'moe-lab import: nope.npy: no such file\n'],
      [
        [f32, '--format', 'vllm'],
        `moe-lab import: ${f32}: routed_experts must be int32 or int64, got dtype 'f4'\n`,
      ],
      [
        [`${FIX}/routed_experts_i4.npy`, '--format', 'vllm', '--experts', '3'],
        `moe-lab import: ${FIX}/routed_experts_i4.npy: expert id 3 at layer 0, token 0 is ≥ the number of experts 3 (--experts)\n`,
      ],
      [
        [`${FIX}/routed_experts_i4.npy`, '--format', 'vllm', '--experts', 'x'],
        'moe-lab import: --experts must be an integer ≥ 1, got "x"\n',
      ],
      [
        [`${FIX}/routed_experts_i4.npy`, '--format', 'hf'],
        `moe-lab import: ${FIX}/routed_experts_i4.npy: not valid JSON`,
      ],
      [
        [
          `${FIX}/routed_experts_i4.npy`,
          '--format',
          'vllm',
          '--config',
          `${FIX}/trtllm_config.json`,
        ],
        'moe-lab import: --config is for --format sglang-routed or trtllm\n',
      ],
      [
        [`${FIX}/sglang_generate.json`, '--format', 'sglang-routed'],
        `moe-lab import: ${FIX}/sglang_generate.json: needs the model’s config.json (--config)`,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = fail('import', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.startsWith(msg), `${r.stderr} ≠ ${msg}`).toBe(true);
    }
  });
});
