// `moe-lab import <file> --format hf|vllm|sglang|sglang-routed|trtllm|megatron [--tokens <ids.npy|json>]
// [--experts E] [--config <config.json>] [--step N] [--logits <logits_rank0.bin>]
// [--hidden-states <hidden_states_rank0.bin>] [--model-id ID] [-o trace.json]`: a routing trace captured
// on a serving engine → DESIGN.md §3 trace JSON (validated with parseTrace before it is written).
// With -o the trace goes to the file and a summary to stdout; without it the trace is printed.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkFlags, one, parseArgs, UsageError } from './args';
import {
  IMPORT_FORMATS,
  importTrace,
  type ImportFormat,
  type InputFile,
} from '../../src/models/importers/index';
import { parseTrace } from '../../src/routing/metrics/trace';

async function input(path: string): Promise<InputFile> {
  try {
    return { name: path, bytes: new Uint8Array(await readFile(path)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read (${(e as Error).message})`}`,
    );
  }
}

function positiveInt(flag: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${flag} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}

export async function importCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv.map((a) => (a === '-o' ? '--out' : a)));
  checkFlags(
    args,
    ['format', 'tokens', 'experts', 'step', 'logits', 'hidden-states', 'config', 'model-id', 'out'],
    'import',
  );
  if (args.positional.length !== 1)
    throw new UsageError(
      `give exactly one capture file (got ${args.positional.length}); usage: import <file> --format ${IMPORT_FORMATS.join('|')} [-o trace.json]`,
    );
  const format = one(args, 'format');
  if (!format) throw new UsageError(`--format is required (${IMPORT_FORMATS.join(', ')})`);
  if (!IMPORT_FORMATS.includes(format as ImportFormat))
    throw new UsageError(`unknown --format "${format}" (known: ${IMPORT_FORMATS.join(', ')})`);
  const path = args.positional[0];
  const file = await input(path);
  const tokensPath = one(args, 'tokens');
  let logitsPath = one(args, 'logits');
  if (format !== 'megatron' && logitsPath)
    throw new UsageError('--logits is for --format megatron');
  if (format !== 'megatron' && one(args, 'step'))
    throw new UsageError('--step is for --format megatron');
  let hiddenPath = one(args, 'hidden-states');
  if (format !== 'megatron' && hiddenPath)
    throw new UsageError('--hidden-states is for --format megatron');
  const configPath = one(args, 'config');
  if (configPath && format !== 'sglang-routed' && format !== 'trtllm')
    throw new UsageError('--config is for --format sglang-routed or trtllm');
  if (format === 'megatron' && !hiddenPath) {
    // and hidden_states_rank{r}.bin when hidden-state capture was on
    const side = join(
      dirname(path),
      basename(path).replace(/^router_trace_rank(\d+)\.jsonl$/, 'hidden_states_rank$1.bin'),
    );
    if (side !== path && existsSync(side)) hiddenPath = side;
  }
  if (format === 'megatron' && !logitsPath) {
    // Megatron writes logits_rank{r}.bin next to router_trace_rank{r}.jsonl.
    const side = join(
      dirname(path),
      basename(path).replace(/^router_trace_rank(\d+)\.jsonl$/, 'logits_rank$1.bin'),
    );
    if (side !== path && existsSync(side)) logitsPath = side;
  }
  let trace;
  try {
    trace = importTrace(format as ImportFormat, file, {
      tokens: tokensPath ? await input(tokensPath) : undefined,
      logits: logitsPath ? await input(logitsPath) : undefined,
      hiddenStates: hiddenPath ? await input(hiddenPath) : undefined,
      config: configPath ? await input(configPath) : undefined,
      experts: positiveInt('experts', one(args, 'experts')),
      step: positiveInt('step', one(args, 'step'), 0),
    });
    const id = one(args, 'model-id');
    if (id) trace.model.id = id;
    parseTrace(JSON.parse(JSON.stringify(trace)), path); // the contract every importer keeps
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  const out = one(args, 'out');
  if (!out) return trace;
  await writeFile(out, JSON.stringify(trace) + '\n');
  return {
    out,
    format,
    tokens: trace.tokens.length,
    layers: trace.layers.length,
    moeLayers: trace.layers.filter((l) => l.kind === 'moe').length,
    numExperts: trace.model.numExperts,
    lacks: trace.source.lacks,
    notices: trace.notices,
  };
}
