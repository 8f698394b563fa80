// `moe-lab trace`: one routing trace (DESIGN.md §3 trace JSON) for a bundle and a text.
import { open } from 'node:fs/promises';
import { all, checkFlags, has, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { traceJson } from '../../src/gpu/trace';
import { parseIntervention, parsePolicySpec } from '../../src/routing/index';
import type { LayerEvent } from '../../src/routing/run';
import { appendGeneration, samplingFlags } from './traceGeneration';

/** Bytes of a --text-file read: far more than any context holds (Lab.encode reads less still). */
const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

/** A text file's first MAX_TEXT_FILE_BYTES (a bigger file would pass V8's string limit). */
async function readTextFile(path: string): Promise<string> {
  const fh = await open(path);
  try {
    const n = Math.min((await fh.stat()).size, MAX_TEXT_FILE_BYTES);
    const buf = new Uint8Array(n);
    await fh.read(buf, 0, n, 0);
    return new TextDecoder().decode(buf);
  } finally {
    await fh.close();
  }
}

export async function traceCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv, ['loss']);
  checkFlags(args, ['model', 'text', 'text-file', 'router', 'intervene', 'loss', 'top', 'backend', 'generate', 'temperature', 'top-p', 'seed'], 'trace');
  const { generate, sampling } = samplingFlags(args);
  const textFlag = one(args, 'text');
  const file = one(args, 'text-file');
  if ((textFlag === undefined) === (file === undefined)) throw new UsageError('trace: give exactly one of --text "<text>" or --text-file <path>');
  const text = textFlag ?? (await readTextFile(file!));
  const top = Number(one(args, 'top') ?? 10);
  // (next-token candidates are kept sorted by insertion: a vocabulary-sized --top would hang)
  if (!Number.isInteger(top) || top < 1 || top > 1000) throw new UsageError(`--top must be an integer in 1..1000, got "${one(args, 'top')}"`);
  // Bad specs fail before any model is loaded.
  const router = one(args, 'router') ?? 'native';
  parsePolicySpec(router);
  all(args, 'intervene').forEach(parseIntervention);
  const lab = await openLab(one(args, 'model') ?? DEFAULT_MODEL_DIR, one(args, 'backend') ?? 'node');
  const { modified } = await lab.run(text, { router, interventions: all(args, 'intervene'), topN: top });
  // Bits per byte count the bytes of the text the model actually saw (after any truncation).
  const seen = lab.tokenizer.decodeText(modified.summary.tokens.map((t) => t.id));
  const out = traceJson(lab.manifest, lab.engine.backend, modified, { loss: has(args, 'loss'), bytes: new TextEncoder().encode(seen).byteLength });
  if (generate) {
    // The continuation's routing, apart from the prompt's (loss and next stay the prompt's).
    const steps: LayerEvent[][] = [];
    const g = await lab.generate(text, { router, interventions: all(args, 'intervene'), maxTokens: generate, ...sampling, onToken: (_, events) => steps.push(events) });
    appendGeneration(out, lab, g.ids, steps);
  }
  return out;
}
