// Minimal argv parsing for the CLI: --flag value, repeated flags, booleans, positionals.
export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
}

import { InputError } from '../../src/routing/safeJson';

export class UsageError extends InputError {
  override name = 'UsageError';
}

export function parseArgs(argv: string[], booleans: string[] = []): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (booleans.includes(name)) value = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

export function one(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function all(args: Args, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function has(args: Args, name: string): boolean {
  return args.flags.has(name);
}

export function numberList(s: string | undefined, fallback: number[], flag: string): number[] {
  if (s === undefined) return fallback;
  const xs = s.split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} must be a comma-separated list of numbers, got "${s}"`);
  return xs;
}

export function checkFlags(args: Args, allowed: string[], command: string, booleans: string[] = []): void {
  for (const k of args.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`${command}: unknown option --${k} (known: ${allowed.map((a) => `--${a}`).join(', ')})`);
  for (const b of booleans) if (args.flags.get(b)?.some((v) => v !== 'true')) throw new UsageError(`${command}: --${b} takes no value`);
}

/** --name as an integer ≥ min, or the fallback when absent; anything else is named. */
export function intFlag(args: Args, name: string, fallback: number, min: number): number {
  const v = one(args, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}
