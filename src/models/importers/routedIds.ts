// Routed expert ids as serving engines return them for RL routing replay: one C-order block
// [rows (tokens) × layers × k] of logical expert ids. Shared by the SGLang return_routed_experts and
// TensorRT-LLM routed_experts importers; checks every id and places dense layers.
import { maxOf } from '../../routing/limits';
import {
  fail,
  layerList,
  readTokens,
  makeTokens,
  type ImportedLayer,
  type InputFile,
} from './common';
import type { ModelShape } from './modelConfig';

/**
 * Per-layer selections of an id block [S × Lb × k]. `layerOf[b]` is the model layer index of block layer b;
 * model layers not in `layerOf` become dense, and so do those in `denseInBlock` (never captured, so they
 * must be all zeros). `missing` is an id the engine writes for an uncaptured route.
 */
export function layersFromIds(
  ids: ArrayLike<number>,
  [S, Lb, k]: number[],
  name: string,
  o: {
    layerOf: number[];
    numLayers: number;
    denseInBlock?: Set<number>;
    configName?: string;
    missing?: number;
  },
): ImportedLayer[] {
  const out = new Map<number, ImportedLayer>();
  const empty = () => Array.from({ length: S }, (): number[] => []);
  // Plain loops: a DeepSeek-V3-sized capture (2048 tokens × 61 layers × 8) is a million ids.
  for (let b = 0; b < Lb; b++) {
    const index = o.layerOf[b];
    const dense = o.denseInBlock?.has(index) ?? false;
    const rows: number[][] = new Array(S);
    for (let t = 0; t < S; t++) {
      const at = (t * Lb + b) * k;
      const row = new Array<number>(k);
      for (let j = 0; j < k; j++) {
        const e = Number(ids[at + j]);
        row[j] = e;
        if (dense) {
          // a dense layer is never captured: the engine's buffer keeps its zeros
          if (e !== 0)
            fail(
              name,
              `layer ${index} is dense in ${o.configName ?? 'config.json'} but token ${t} has experts [${Array.from({ length: k }, (_, i) => Number(ids[at + i])).join(', ')}] (wrong config.json?)`,
            );
          continue;
        }
        if (o.missing !== undefined && e === o.missing)
          fail(
            name,
            `layer ${index}, token ${t}: route missing (${e}), the engine did not capture it`,
          );
        if (e < 0) fail(name, `negative expert id ${e} at layer ${index}, token ${t}`);
        for (let i = 0; i < j; i++)
          if (row[i] === e)
            fail(
              name,
              `layer ${index}, token ${t} lists expert ${e} twice ([${Array.from({ length: k }, (_, x) => Number(ids[at + x])).join(', ')}])`,
            );
      }
      rows[t] = row;
    }
    out.set(
      index,
      dense ? { index, kind: 'dense', selected: empty() } : { index, kind: 'moe', selected: rows },
    );
  }
  return Array.from(
    { length: o.numLayers },
    (_, i) => out.get(i) ?? { index: i, kind: 'dense' as const, selected: empty() },
  );
}

/** The check shared by the importers that take config.json: top-k and expert ids against the model. */
export function checkAgainstConfig(
  layers: ImportedLayer[],
  k: number,
  name: string,
  cfg: ModelShape | undefined,
  cfgName: string | undefined,
  experts: number | undefined,
): number {
  if (cfg && cfg.topK !== k)
    fail(name, `routes ${k} experts per token but ${cfgName} has num_experts_per_tok ${cfg.topK}`);
  const E =
    experts ??
    cfg?.numExperts ??
    layers.reduce((m, l) => l.selected.reduce((a, s) => maxOf(s, a), m), -1) + 1;
  const origin =
    experts !== undefined ? '--experts' : cfg?.numExperts !== undefined ? `${cfgName}` : undefined;
  if (origin)
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
  return E;
}

/**
 * Tokens of a routed block that covers positions [start, start + S) of prompt + output: the --tokens file holds
 * the whole sequence (the last sampled token, never fed back, has no route) or exactly the routed tokens.
 */
export function routedTokens(
  file: InputFile | undefined,
  S: number,
  start: number,
  total: number | undefined,
  routedName: string,
  notices: string[],
) {
  if (!file) {
    notices.push('no --tokens file: token ids are unknown (−1) and shown by position');
    return {
      tokens: makeTokens(
        Array.from({ length: S }, () => -1),
        Array.from({ length: S }, (_, t) => String(start + t)),
      ),
      texts: false,
    };
  }
  const tk = readTokens(file);
  let ids = tk.ids;
  let texts = tk.texts;
  if (total !== undefined && ids.length === total) {
    ids = ids.slice(start, start + S);
    texts = texts?.slice(start, start + S);
    if (total > start + S)
      notices.push(
        `the last ${total - start - S === 1 ? 'token has' : `${total - start - S} tokens have`} no routing (generated but never fed back): left out`,
      );
  } else if (ids.length === S + start + 1) {
    ids = ids.slice(start, start + S);
    texts = texts?.slice(start, start + S);
    notices.push('the last token has no routing (generated but never fed back): left out');
  } else if (ids.length !== S)
    fail(
      file.name,
      `has ${ids.length} token ids but ${routedName} routes ${S} tokens${total !== undefined ? ` of a ${total}-token sequence` : ''} (give the whole sequence, or the routed tokens)`,
    );
  return { tokens: makeTokens(ids, texts), texts: texts !== undefined };
}

export const denseNotice = (layers: ImportedLayer[], why: string): string[] => {
  const dense = layers.filter((l) => l.kind === 'dense').map((l) => l.index);
  return dense.length ? [`${layerList(dense)}: ${why}`] : [];
};
