// What every importer produces: DESIGN.md §3 trace JSON, plus `source` (which engine, which
// files, what the capture could not record) and `notices` (one line per thing the user should
// know). Traces from serving engines may lack router logits, gates and loss; parseTrace accepts
// that and the views that need them say so.
import { readNpy } from './npy';
import { InputError, readJson } from '../../routing/safeJson';
import { maxOf } from '../../routing/limits';

export type ImportFormat = 'hf' | 'vllm' | 'sglang' | 'sglang-routed' | 'trtllm' | 'megatron';
export const IMPORT_FORMATS: ImportFormat[] = [
  'hf',
  'vllm',
  'sglang',
  'sglang-routed',
  'trtllm',
  'megatron',
];

/** Parts of a trace an engine capture may not hold. */
export type Lack = 'routerLogits' | 'gates' | 'loss' | 'next' | 'tokenText';

export interface ImportedLayer {
  index: number;
  kind: 'moe' | 'dense';
  /** [T][E] raw router logits (null = −∞), when the capture has them */
  routerLogits?: (number | null)[][];
  /** [T][k_t] expert ids, best first (logical ids) */
  selected: number[][];
  /** [T][k_t] gate weights, when known */
  gates?: number[][];
  /** [T][D] the router's input hidden states, when the capture has them (Megatron hidden-state sidecar) */
  moeIn?: number[][];
}

export interface ImportedTrace {
  model: { id: string; numLayers: number; numExperts: number; topK?: number; [k: string]: unknown };
  backend: string;
  router: string;
  interventions: string[];
  tokens: { id: number; text: string }[];
  layers: ImportedLayer[];
  /** [T−1] per-token NLL in nats, when the capture computed it */
  loss?: number[];
  next?: { id: number; text: string; p: number }[];
  source: { engine: ImportFormat; files: string[]; lacks: Lack[] };
  notices: string[];
}

/** One input file: its name (for messages and format detection) and bytes. */
export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

export class ImportError extends InputError {
  override name = 'ImportError';
}

export const fail = (name: string, msg: string): never => {
  throw new ImportError(`${name}: ${msg}`);
};

/** A capture's JSON, depth-limited (safeJson.ts); refusals are ImportErrors naming the file. */
export function parseJson(f: InputFile): unknown {
  try {
    return readJson(f.bytes, f.name);
  } catch (e) {
    throw new ImportError((e as Error).message);
  }
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON object whose "format" is `format`; `origin` says where such files come from. */
export function parseFormatJson(f: InputFile, format: string, origin: string): Obj {
  const j = parseJson(f);
  if (!isObj(j)) return fail(f.name, 'must be a JSON object');
  if (j.format !== format)
    fail(f.name, `format must be "${format}" (${origin}), got ${JSON.stringify(j.format)}`);
  return j;
}

/** Token ids (and texts when the file has them) from a .npy of ids or a JSON file. */
export function readTokens(f: InputFile): { ids: number[]; texts?: string[] } {
  if (f.name.toLowerCase().endsWith('.npy')) {
    const a = readNpy(f.bytes, f.name);
    if (!a.dtype.startsWith('i') && !a.dtype.startsWith('u'))
      fail(f.name, `token ids must be integers, got dtype '${a.dtype}'`);
    if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[0] === 1)))
      fail(f.name, `token ids must be a 1-D array [seq], got shape [${a.shape.join(', ')}]`);
    return { ids: Array.from(a.data) };
  }
  const j = parseJson(f);
  const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
  const obj = (typeof j === 'object' && j !== null ? j : {}) as Record<string, unknown>;
  if (Array.isArray(j) && j.every(isInt)) return { ids: j };
  if (Array.isArray(j) && j.every((x) => isInt(x?.id) && typeof x?.text === 'string'))
    return { ids: j.map((x) => x.id), texts: j.map((x) => x.text) };
  if (Array.isArray(obj.ids) && obj.ids.every(isInt)) {
    const texts = obj.texts;
    if (texts !== undefined && !(Array.isArray(texts) && texts.length === obj.ids.length))
      fail(f.name, `"texts" must list one string per id (${obj.ids.length})`);
    return { ids: obj.ids, texts: texts as string[] | undefined };
  }
  // vLLM's RequestOutput fields: the prompt's ids, then the generated ids.
  if (Array.isArray(obj.prompt_token_ids) && obj.prompt_token_ids.every(isInt)) {
    const gen = obj.token_ids ?? obj.output_token_ids ?? [];
    if (!(Array.isArray(gen) && gen.every(isInt)))
      fail(f.name, '"token_ids" must be an array of token ids');
    return { ids: [...obj.prompt_token_ids, ...(gen as number[])] };
  }
  return fail(
    f.name,
    'token file must be a .npy of ids or JSON: [ids…], [{id, text}…], {ids, texts?} or {prompt_token_ids, token_ids?}',
  );
}

/** Token list of length T; texts default to `#<id>` when the capture has none. */
export function makeTokens(ids: number[], texts?: string[]): { id: number; text: string }[] {
  return ids.map((id, t) => ({ id, text: texts?.[t] ?? `#${id}` }));
}

type TokenFile = { ids: number[]; texts?: string[] };

/**
 * Tokens of a capture that records no token ids: the --tokens file's when given (`fit` checks its
 * ids against the n routed tokens and may trim them), else ids −1 shown by position, with a notice.
 * Adds 'tokenText' to `lacks` when no texts come along.
 */
export function tokensOrPositions(
  file: InputFile | undefined,
  n: number,
  notices: string[],
  lacks: Lack[],
  fit: (tk: TokenFile, file: InputFile) => TokenFile,
): { id: number; text: string }[] {
  let tk: TokenFile = {
    ids: Array.from({ length: n }, () => -1),
    texts: Array.from({ length: n }, (_, t) => String(t)),
  };
  if (file) tk = fit(readTokens(file), file);
  else notices.push('no --tokens file: token ids are unknown (−1) and shown by position');
  if (!file || tk.texts === undefined) lacks.push('tokenText');
  return makeTokens(tk.ids, tk.texts);
}

/** Check every selected id against E; the message names the layer, token and id. */
export function checkExpertRange(
  layers: ImportedLayer[],
  E: number,
  name: string,
  origin: string,
): void {
  for (const l of layers)
    l.selected.forEach((s, t) =>
      s.forEach((e) => {
        if (e >= E)
          fail(
            name,
            `expert id ${e} at layer ${l.index}, token ${t} is ≥ the number of experts ${E} (${origin})`,
          );
      }),
    );
}

export const maxExpertId = (layers: ImportedLayer[]): number =>
  layers.reduce((m, l) => l.selected.reduce((a, s) => maxOf(s, a), m), -1);

/** "layer 3" / "layers 0, 1" */
export const layerList = (xs: number[]): string =>
  `layer${xs.length === 1 ? '' : 's'} ${xs.join(', ')}`;
