// `moe-lab trace`: one routing trace (DESIGN.md §3 trace JSON) for a bundle and a text.
import { readFile } from 'node:fs/promises';
import { all, checkFlags, has, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { traceJson } from '../../src/gpu/trace';
import { parseIntervention, parsePolicySpec } from '../../src/routing/index';

export async function traceCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, ['loss']);
  checkFlags(args, ['model', 'text', 'text-file', 'router', 'intervene', 'loss', 'top', 'backend'], 'trace');
  const textFlag = one(args, 'text');
  const file = one(args, 'text-file');
  if ((textFlag === undefined) === (file === undefined)) throw new UsageError('trace: give exactly one of --text "<text>" or --text-file <path>');
  const text = textFlag ?? (await readFile(file!, 'utf8'));
  const top = Number(one(args, 'top') ?? 10);
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, got "${one(args, 'top')}"`);
  // Bad specs fail before any model is loaded.
  const router = one(args, 'router') ?? 'native';
  parsePolicySpec(router);
  all(args, 'intervene').forEach(parseIntervention);
  const lab = await openLab(one(args, 'model') ?? DEFAULT_MODEL_DIR, one(args, 'backend') ?? 'node');
  const { modified } = await lab.run(text, { router, interventions: all(args, 'intervene'), topN: top });
  // Bits per byte count the bytes of the text the model actually saw (after any truncation).
  const seen = lab.tokenizer.decodeText(modified.summary.tokens.map((t) => t.id));
  return traceJson(lab.manifest, lab.engine.backend, modified, { loss: has(args, 'loss'), bytes: new TextEncoder().encode(seen).byteLength });
}
