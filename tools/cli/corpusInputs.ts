// Inputs of `moe-lab corpus` / `ablate`: .txt files (one sequence per non-empty line), directories
// (each .txt in them), .jsonl (a "text" field per line, an optional "source") and trace .json
// files (captured routing: nothing is run). A source is named by its file name without extension.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseTrace, type Trace } from '../../src/routing/metrics/trace';
import { UsageError } from './args';

export interface CorpusInputs {
  /** source names, in order of first appearance */
  sources: string[];
  /** texts to route: source index, the text, and where it came from (file:line) */
  texts: { source: number; text: string; where: string }[];
  /** captured traces, one source each */
  traces: { source: number; trace: Trace; file: string }[];
}

export async function readCorpusInputs(paths: string[]): Promise<CorpusInputs> {
  const out: CorpusInputs = { sources: [], texts: [], traces: [] };
  const sourceOf = (name: string) => {
    let i = out.sources.indexOf(name);
    if (i < 0) i = out.sources.push(name) - 1;
    return i;
  };
  const readText = async (file: string) => {
    const s = sourceOf(basename(file, extname(file)));
    (await readFile(file, 'utf8')).split(/\r?\n/).forEach((line, i) => {
      if (line.trim()) out.texts.push({ source: s, text: line, where: `${file}:${i + 1}` });
    });
  };
  for (const path of paths) {
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new UsageError(`${path}: no such file or directory`);
    const ext = extname(path).toLowerCase();
    if (st.isDirectory()) {
      const files = (await readdir(path)).filter((f) => f.toLowerCase().endsWith('.txt')).sort();
      if (!files.length) throw new UsageError(`${path}: no .txt files in that directory`);
      for (const f of files) await readText(join(path, f));
    } else if (ext === '.txt') await readText(path);
    else if (ext === '.jsonl') {
      const fallback = basename(path, extname(path));
      (await readFile(path, 'utf8')).split(/\r?\n/).forEach((line, i) => {
        if (!line.trim()) return;
        const where = `${path}:${i + 1}`;
        let j: unknown;
        try {
          j = JSON.parse(line);
        } catch (e) {
          throw new UsageError(`${where}: not valid JSON (${(e as Error).message})`);
        }
        if (typeof j !== 'object' || j === null || Array.isArray(j))
          throw new UsageError(`${where}: each line must be a JSON object with a "text" field`);
        const { text, source } = j as { text?: unknown; source?: unknown };
        if (typeof text !== 'string')
          throw new UsageError(
            `${where}: "text" must be a string, got ${JSON.stringify(text) ?? 'nothing'}`,
          );
        if (source !== undefined && (typeof source !== 'string' || !source))
          throw new UsageError(
            `${where}: "source" must be a non-empty string, got ${JSON.stringify(source)}`,
          );
        if (text.trim())
          out.texts.push({
            source: sourceOf((source as string | undefined) ?? fallback),
            text,
            where,
          });
      });
    } else if (ext === '.json') {
      let j: unknown;
      try {
        j = JSON.parse(await readFile(path, 'utf8'));
      } catch (e) {
        throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
      }
      const trace = parseTrace(j, path);
      out.traces.push({ source: sourceOf(basename(path, extname(path))), trace, file: path });
    } else throw new UsageError(`${path}: not a .txt, .jsonl or trace .json file, nor a directory`);
  }
  if (!out.texts.length && !out.traces.length)
    throw new UsageError(`no sequence to route: the inputs hold only empty lines`);
  return out;
}
