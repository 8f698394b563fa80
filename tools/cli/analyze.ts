// `moe-lab analyze <trace.json>… [--metrics <list>] [--m 2,4,8] [--C 1,2,4]`: the metrics of
// DESIGN.md §6 for routing traces (from `moe-lab trace` or the page's export), as one JSON object.
// Every error names the file (and, for a bad trace, the field) and exits 2.
import { readFile } from 'node:fs/promises';
import { checkFlags, numberList, one, parseArgs, UsageError } from './args';
import { readJson } from '../../src/routing/safeJson';
import {
  ANALYZE_EXTRA_METRICS,
  ANALYZE_METRICS,
  analyzeTraces,
  parseTrace,
  traceStability,
  type Trace,
} from '../../src/routing/metrics/index';

function sizes(args: ReturnType<typeof parseArgs>, flag: string, fallback: number[]): number[] {
  const xs = numberList(one(args, flag), fallback, flag);
  if (xs.length === 0 || xs.some((x) => !(Number.isInteger(x) && x >= 1)))
    throw new UsageError(
      `--${flag} must be a comma-separated list of positive integers, got "${one(args, flag)}"`,
    );
  return xs;
}

async function readTrace(file: string): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a trace file' : `cannot read (${(e as Error).message})`}`,
    );
  }
  let json: unknown;
  try {
    json = readJson(text, file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  try {
    return parseTrace(json, file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function analyzeCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, ['stability']);
  checkFlags(args, ['metrics', 'm', 'C', 'stability'], 'analyze', ['stability']);
  if (args.positional.length === 0)
    throw new UsageError(
      'analyze: give one or more trace JSON files (from `moe-lab trace` or the page’s export)',
    );
  const known = [...ANALYZE_METRICS, ...ANALYZE_EXTRA_METRICS];
  const metricsFlag = one(args, 'metrics');
  const metrics = metricsFlag
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (metrics && metrics.length === 0)
    throw new UsageError(`--metrics needs a comma-separated list of: ${known.join(', ')}`);
  for (const m of metrics ?? [])
    if (!known.includes(m))
      throw new UsageError(`--metrics: unknown metric "${m}" (known: ${known.join(', ')})`);
  const m = sizes(args, 'm', [2, 4, 8]);
  const C = sizes(args, 'C', [1, 2, 4]);
  const traces: Trace[] = [];
  for (const f of args.positional) traces.push(await readTrace(f));
  if (args.flags.has('stability')) {
    // Routing stability between two runs of the same tokens (an intervention, a model variant).
    if (traces.length !== 2) throw new UsageError('analyze --stability compares exactly two traces');
    try {
      return { stability: traceStability(traces[0], traces[1]) };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  try {
    return analyzeTraces(traces, { metrics, m, C, names: args.positional });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
