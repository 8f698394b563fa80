// `moe-lab analyze <trace.json>…`: the metrics of DESIGN.md §6 for routing traces.
import { readFile } from 'node:fs/promises';
import { checkFlags, numberList, one, parseArgs, UsageError } from './args';
import { analyzeTraces, parseTrace, type Trace } from '../../src/routing/metrics/index';

export async function analyzeCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  checkFlags(args, ['metrics', 'm', 'C'], 'analyze');
  if (args.positional.length === 0) throw new UsageError('analyze: give one or more trace JSON files (from `moe-lab trace` or the page’s export)');
  const traces: Trace[] = [];
  for (const f of args.positional) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(f, 'utf8'));
    } catch (e) {
      throw new UsageError(`${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`}`);
    }
    traces.push(parseTrace(json, f));
  }
  const ms = numberList(one(args, 'm'), [2, 4, 8], 'm');
  const Cs = numberList(one(args, 'C'), [1, 2, 4], 'C');
  return analyzeTraces(traces, { metrics: one(args, 'metrics')?.split(','), m: ms, C: Cs });
}
