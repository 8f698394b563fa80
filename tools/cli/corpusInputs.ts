// Inputs of `moe-lab corpus` / `ablate`: .txt files (one sequence per non-empty line), directories
// (each .txt in them), .jsonl (a "text" field per line, an optional "source") and trace .json
// files (captured routing: nothing is run). A source is named by its file name without extension.
// The parsing is src/routing/metrics/corpusInputs.ts, the one the page's Corpus view uses; this
// reads the files and directories.
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import {
  addCorpusFile,
  CORPUS_EXTENSIONS,
  emptyCorpusInputs,
  type CorpusInputs,
} from '../../src/routing/metrics/corpusInputs';
import { InputError } from '../../src/routing/safeJson';
import { UsageError } from './args';

export type { CorpusInputs };

/** A file's parse; its InputErrors become usage errors (exit 2, as before the parsing moved). */
function add(out: CorpusInputs, file: string, text: string): void {
  try {
    addCorpusFile(out, file, text);
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

export async function readCorpusInputs(paths: string[]): Promise<CorpusInputs> {
  const out = emptyCorpusInputs();
  for (const path of paths) {
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new UsageError(`${path}: no such file or directory`);
    if (st.isDirectory()) {
      const files = (await readdir(path)).filter((f) => f.toLowerCase().endsWith('.txt')).sort();
      if (!files.length) throw new UsageError(`${path}: no .txt files in that directory`);
      for (const f of files) add(out, join(path, f), await readFile(join(path, f), 'utf8'));
    } else if (CORPUS_EXTENSIONS.includes(extname(path).toLowerCase()))
      add(out, path, await readFile(path, 'utf8'));
    else throw new UsageError(`${path}: not a .txt, .jsonl or trace .json file, nor a directory`);
  }
  if (!out.texts.length && !out.traces.length)
    throw new UsageError(`no sequence to route: the inputs hold only empty lines`);
  return out;
}
