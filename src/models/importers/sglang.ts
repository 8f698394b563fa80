// SGLang per-token expert-distribution dumps (server flag --expert-distribution-recorder-mode
// per_token; /start_expert_distribution_record, /stop_…, /dump_…). The server torch.saves
// {records, last_physical_to_logical_map} (sglang/srt/eplb/expert_distribution.py,
// _DetailAccumulator.dump); tools/capture/sglang_to_json.py turns that file into this JSON:
//   { format: "sglang-expert-distribution/1", last_physical_to_logical_map: [layers][physical],
//     records: [{ forward_pass_id, rank, input_ids[n], positions[n], extend_seq_lens, forward_mode,
//                 topk_ids_of_layer: [layers][n][8] }] }
// topk_ids_of_layer holds *physical* expert ids (replicas under EPLB), −1 where nothing was
// written (k < 8, dense layers); the map turns them into the model's logical expert ids.
import {
  checkExpertRange,
  fail,
  layerList,
  makeTokens,
  isObj,
  parseFormatJson,
  readTokens,
  type ImportedLayer,
  type ImportedTrace,
  type InputFile,
} from './common';
import { maxOf } from '../../routing/limits';

export const SGLANG_FORMAT = 'sglang-expert-distribution/1';

export interface SglangOptions {
  tokens?: InputFile;
  experts?: number;
  modelId?: string;
}

const intArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x));

export function importSglang(file: InputFile, opts: SglangOptions = {}): ImportedTrace {
  const name = file.name;
  const j = parseFormatJson(
    file,
    SGLANG_FORMAT,
    "convert the server's .pt dump with tools/capture/sglang_to_json.py",
  );
  const map = j.last_physical_to_logical_map;
  if (!Array.isArray(map) || map.length === 0 || !map.every(intArray))
    return fail(
      name,
      'last_physical_to_logical_map must be [layers][physical experts] of integers',
    );
  const L = map.length;
  const P = map[0].length;
  map.forEach((row, l) => {
    if (row.length !== P)
      fail(name, `last_physical_to_logical_map[${l}] has ${row.length} entries but row 0 has ${P}`);
  });
  if (!Array.isArray(j.records) || j.records.length === 0)
    return fail(
      name,
      'records must be a non-empty array (was anything recorded between start and dump?)',
    );

  const ids: number[] = [];
  const perLayer: number[][][] = Array.from({ length: L }, () => []);
  let requests = 0;
  j.records.forEach((rec, r) => {
    const at = `records[${r}]`;
    if (!isObj(rec)) return fail(name, `${at} must be an object`);
    if (!intArray(rec.input_ids))
      return fail(name, `${at}.input_ids must be an array of token ids`);
    const n = rec.input_ids.length;
    const topk = rec.topk_ids_of_layer;
    if (!Array.isArray(topk) || topk.length !== L)
      return fail(
        name,
        `${at}.topk_ids_of_layer must be [layers = ${L}][tokens][k], got ${Array.isArray(topk) ? `${topk.length} layers` : typeof topk}`,
      );
    requests += Array.isArray(rec.extend_seq_lens) ? rec.extend_seq_lens.length : n;
    for (const id of rec.input_ids) ids.push(id); // (a spread of a long prefill overflows the stack)
    topk.forEach((rows, l) => {
      if (!Array.isArray(rows) || rows.length !== n)
        fail(
          name,
          `${at}.topk_ids_of_layer[${l}] must list ${n} tokens (one per input id), got ${Array.isArray(rows) ? rows.length : typeof rows}`,
        );
      (rows as unknown[]).forEach((row, t) => {
        if (!intArray(row))
          fail(name, `${at}.topk_ids_of_layer[${l}][${t}] must be an array of expert ids`);
        const logical: number[] = [];
        for (const p of row as number[]) {
          if (p === -1) continue; // slot not written: k < 8, or a dense layer
          if (p < 0 || p >= P)
            fail(
              name,
              `${at}.topk_ids_of_layer[${l}][${t}]: physical expert id ${p} is outside 0..${P - 1} (the map's width)`,
            );
          const e = map[l][p];
          if (logical.includes(e))
            fail(
              name,
              `${at} layer ${l}, token ${t}: physical experts map twice to logical expert ${e}`,
            );
          logical.push(e);
        }
        perLayer[l].push(logical);
      });
    });
  });

  const layers: ImportedLayer[] = perLayer.map((selected, l) =>
    selected.every((s) => s.length === 0)
      ? { index: l, kind: 'dense', selected }
      : { index: l, kind: 'moe', selected },
  );
  const notices: string[] = [];
  const dense = layers.filter((l) => l.kind === 'dense').map((l) => l.index);
  if (dense.length) notices.push(`${layerList(dense)}: no experts recorded, read as dense`);
  if (j.records.length > 1 || requests > 1)
    notices.push(
      `${j.records.length} forward passes (${requests} request segments) joined in recording order into one token sequence`,
    );
  if (P !== maxOf(map.flat()) + 1)
    notices.push(
      `physical → logical map applied (${P} physical slots → ${maxOf(map.flat()) + 1} logical experts)`,
    );
  notices.push(
    'SGLang per-token dumps record the chosen expert ids only: no router logits, gate weights or loss',
  );

  let texts: string[] | undefined;
  if (opts.tokens) {
    const tk = readTokens(opts.tokens);
    if (tk.ids.length !== ids.length || tk.ids.some((x, t) => x !== ids[t]))
      fail(opts.tokens.name, `token ids do not match the dump's input_ids (${ids.length} tokens)`);
    texts = tk.texts;
  }
  const E = opts.experts ?? maxOf(map.flat()) + 1;
  checkExpertRange(layers, E, name, opts.experts !== undefined ? '--experts' : 'the map');
  return {
    model: { id: opts.modelId ?? 'sglang-import', numLayers: L, numExperts: E },
    backend: 'sglang',
    router: 'recorded',
    interventions: [],
    tokens: makeTokens(ids, texts),
    layers,
    source: {
      engine: 'sglang',
      files: [name, ...(opts.tokens ? [opts.tokens.name] : [])],
      lacks: ['routerLogits', 'gates', 'loss', 'next', ...(texts ? [] : (['tokenText'] as const))],
    },
    notices,
  };
}
