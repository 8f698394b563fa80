// Megatron-LM router traces (--moe-routing-trace-path; megatron/core/transformer/moe/router_trace.py):
// router_trace_rank{r}.jsonl, one JSON record per (step, block, layer):
//   {"step": 0, "stage": "pre_dispatch", "block": "decoder", "layer": 3, "rank": 0,
//    "num_tokens": 128, "topk": 2, "top_indices": [[12, 45], …]}
// MTP records carry "mtp_idx" (skipped here). With --capture-logits each record also points into
// the sidecar logits_rank{r}.bin (bfloat16 [num_tokens, num_experts] at logit_offset/logit_bytes,
// shape logit_shape); given that file, router logits come along. No gate weights, no loss.
// When the router returned a boolean routing map, top_indices are in expert-id order, not best
// first; with logits we re-order each token's experts by its logits.
// With hidden-state capture each record also points into hidden_states_rank{r}.bin (the router's input,
// bfloat16 [num_tokens, hidden_size] at hs_offset/hs_bytes, shape hs_shape; router_trace.py
// load_hidden_states_for_record); given that file, each layer's moeIn [T][D] comes along.
import {
  checkExpertRange,
  fail,
  isObj,
  layerList,
  maxExpertId,
  tokensOrPositions,
  type ImportedLayer,
  type ImportedTrace,
  type InputFile,
  type Lack,
} from './common';
import { readJson } from '../../routing/safeJson';
import { LIMITS, maxOf } from '../../routing/limits';

export interface MegatronOptions {
  /** which step to import (default: the first one in the file) */
  step?: number;
  /** the logits_rank{r}.bin sidecar */
  logits?: InputFile;
  /** the hidden_states_rank{r}.bin sidecar */
  hiddenStates?: InputFile;
  tokens?: InputFile;
  experts?: number;
  modelId?: string;
}

interface Rec {
  line: number;
  step: number;
  layer: number;
  top: number[][];
  logitOffset?: number;
  logitBytes?: number;
  logitShape?: number[];
  hsOffset?: number;
  hsBytes?: number;
  hsShape?: number[];
}

type Obj = Record<string, unknown>;
const isInt = (v: unknown): v is number => Number.isInteger(v);

/** bfloat16 little-endian → float32: the high half of the float's bits. */
function bf16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++)
    u32[i] = (bytes[offset + 2 * i] | (bytes[offset + 2 * i + 1] << 8)) << 16;
  return out;
}

export function importMegatron(file: InputFile, opts: MegatronOptions = {}): ImportedTrace {
  const name = file.name;
  const recs: Rec[] = [];
  let mtp = 0;
  new TextDecoder()
    .decode(file.bytes)
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      const at = `line ${i + 1}`;
      let r: Obj;
      try {
        r = readJson(text, `${name}: ${at}`) as Obj;
      } catch (e) {
        return fail(name, (e as Error).message.slice(name.length + 2));
      }
      if (!isObj(r)) return fail(name, `${at}: must be a JSON object`);
      if (r.mtp_idx !== undefined || (r.block !== undefined && r.block !== 'decoder')) {
        mtp++;
        return;
      }
      for (const k of ['step', 'layer', 'num_tokens', 'topk'])
        if (!isInt(r[k]))
          fail(name, `${at}: "${k}" must be an integer, got ${JSON.stringify(r[k])}`);
      const top = r.top_indices;
      if (!Array.isArray(top) || top.length !== r.num_tokens)
        fail(
          name,
          `${at}: "top_indices" must list num_tokens = ${r.num_tokens} rows, got ${Array.isArray(top) ? top.length : typeof top}`,
        );
      (top as unknown[]).forEach((row, t) => {
        if (!Array.isArray(row) || row.length !== r.topk || !row.every((e) => isInt(e) && e >= 0))
          fail(
            name,
            `${at}: top_indices[${t}] must hold topk = ${r.topk} expert ids, got ${JSON.stringify(row)}`,
          );
      });
      recs.push({
        line: i + 1,
        step: r.step as number,
        layer: r.layer as number,
        top: top as number[][],
        ...(isInt(r.logit_offset)
          ? {
              logitOffset: r.logit_offset,
              logitBytes: r.logit_bytes as number,
              logitShape: r.logit_shape as number[],
            }
          : {}),
        ...(isInt(r.hs_offset)
          ? {
              hsOffset: r.hs_offset,
              hsBytes: r.hs_bytes as number,
              hsShape: r.hs_shape as number[],
            }
          : {}),
      });
    });
  if (recs.length === 0)
    fail(name, 'no decoder router records (is this a router_trace_rank*.jsonl?)');
  const steps = [...new Set(recs.map((r) => r.step))].sort((a, b) => a - b);
  const step = opts.step ?? steps[0];
  const chosen = recs.filter((r) => r.step === step);
  if (chosen.length === 0)
    fail(name, `no records for step ${step} (steps in the file: ${steps.join(', ')})`);

  // Several records of one layer in a step (micro-batches) are joined in order.
  const byLayer = new Map<number, Rec[]>();
  for (const r of chosen) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r]);
  const T = (rs: Rec[]) => rs.reduce((a, r) => a + r.top.length, 0);
  const first = [...byLayer.values()][0];
  for (const [l, rs] of byLayer)
    if (T(rs) !== T(first))
      fail(
        name,
        `step ${step}: layer ${l} routes ${T(rs)} tokens but layer ${first[0].layer} routes ${T(first)}`,
      );
  const nTok = T(first);
  const maxLayer = maxOf(byLayer.keys());
  if (maxLayer >= LIMITS.layers)
    fail(name, `"layer" ${maxLayer} is beyond the limit of ${LIMITS.layers} layers`);
  const notices: string[] = [];
  const lacks: Lack[] = ['gates', 'loss', 'next'];
  const useLogits = opts.logits !== undefined && chosen.some((r) => r.logitOffset !== undefined);
  if (opts.logits && !useLogits)
    notices.push(
      `${opts.logits.name} ignored: the records point to no logits (run with logit capture)`,
    );
  if (!useLogits) lacks.unshift('routerLogits');
  const useHidden = opts.hiddenStates !== undefined && chosen.some((r) => r.hsOffset !== undefined);
  if (opts.hiddenStates && !useHidden)
    notices.push(
      `${opts.hiddenStates.name} ignored: the records point to no hidden states (run with hidden-state capture)`,
    );
  let hiddenSize = 0;

  let width = 0;
  const layers: ImportedLayer[] = [];
  for (let l = 0; l <= maxLayer; l++) {
    const rs = byLayer.get(l);
    if (!rs) {
      layers.push({ index: l, kind: 'dense', selected: Array.from({ length: nTok }, () => []) });
      continue;
    }
    const selected = rs.flatMap((r) => r.top.map((row) => row.slice()));
    const layer: ImportedLayer = { index: l, kind: 'moe', selected };
    if (useHidden) {
      layer.moeIn = rs.flatMap((r) => hiddenRows(r, opts.hiddenStates!, name));
      const D = layer.moeIn[0]?.length ?? 0;
      if (hiddenSize && D !== hiddenSize)
        fail(
          opts.hiddenStates!.name,
          `layer ${l} has hidden size ${D} but layer ${layers.find((x) => x.moeIn)?.index} has ${hiddenSize}`,
        );
      hiddenSize = D;
    }
    if (useLogits) {
      const rows: number[][] = [];
      for (const r of rs) {
        const shape = r.logitShape;
        if (
          r.logitOffset === undefined ||
          !Array.isArray(shape) ||
          shape.length !== 2 ||
          shape[0] !== r.top.length
        )
          return fail(
            name,
            `line ${r.line}: logit_shape must be [num_tokens = ${r.top.length}, experts], got ${JSON.stringify(shape)}`,
          );
        const count = shape[0] * shape[1];
        if (r.logitBytes !== 2 * count || r.logitOffset + 2 * count > opts.logits!.bytes.length)
          fail(
            opts.logits!.name,
            `line ${r.line} of ${name} points at bytes ${r.logitOffset}..${r.logitOffset + 2 * count} (bfloat16 [${shape.join(', ')}]) but the file has ${opts.logits!.bytes.length}`,
          );
        const z = bf16(opts.logits!.bytes, r.logitOffset, count);
        width = shape[1];
        for (let t = 0; t < shape[0]; t++) {
          const row = Array.from(z.subarray(t * width, (t + 1) * width));
          // (−∞ is a masked expert; NaN and +∞ are a corrupt sidecar)
          const bad = row.findIndex((x) => Number.isNaN(x) || x === Infinity);
          if (bad >= 0)
            fail(
              opts.logits!.name,
              `layer ${l}, token ${t}, expert ${bad}: logit ${row[bad]} is not a number a router gives`,
            );
          rows.push(row);
        }
      }
      layer.routerLogits = rows;
      // Best first by logit (a routing map gives expert-id order).
      layer.selected = selected.map((s, t) =>
        s.slice().sort((a, b) => rows[t][b] - rows[t][a] || a - b),
      );
    }
    layers.push(layer);
  }
  const dense = layers.filter((l) => l.kind === 'dense').map((l) => l.index);
  if (dense.length) notices.push(`${layerList(dense)}: no router records, shown as dense`);
  if (steps.length > 1)
    notices.push(`step ${step} of steps ${steps.join(', ')} (choose with --step)`);
  if (mtp) notices.push(`${mtp} MTP / non-decoder records skipped`);
  if (useLogits)
    notices.push('router logits from the bfloat16 sidecar; each token’s experts ordered by logit');
  if (useHidden)
    notices.push(
      `router input hidden states (moe_in, ${hiddenSize} values per token) from the bfloat16 sidecar ${opts.hiddenStates!.name}`,
    );
  notices.push('Megatron router traces record the chosen expert ids only: no gate weights or loss');

  const tokens = tokensOrPositions(opts.tokens, nTok, notices, lacks, (tk, f) => {
    if (tk.ids.length !== nTok)
      fail(f.name, `has ${tk.ids.length} token ids but step ${step} routes ${nTok} tokens`);
    return tk;
  });

  const E = opts.experts ?? (width || maxExpertId(layers) + 1);
  if (width && E !== width) fail(name, `--experts ${E} does not match the logits' width ${width}`);
  checkExpertRange(layers, E, name, opts.experts !== undefined ? '--experts' : 'the logits');
  return {
    model: {
      id: opts.modelId ?? 'megatron-import',
      numLayers: layers.length,
      numExperts: E,
      topK: first[0].top[0]?.length,
    },
    backend: 'megatron',
    router: 'recorded',
    interventions: [],
    tokens,
    layers,
    source: {
      engine: 'megatron',
      files: [
        name,
        ...(useLogits ? [opts.logits!.name] : []),
        ...(useHidden ? [opts.hiddenStates!.name] : []),
        ...(opts.tokens ? [opts.tokens.name] : []),
      ],
      lacks,
    },
    notices,
  };
}

/** A record's router-input rows [num_tokens][D] from the hidden-state sidecar (bfloat16, C order). */
function hiddenRows(r: Rec, f: InputFile, name: string): number[][] {
  const shape = r.hsShape;
  if (r.hsOffset === undefined)
    return fail(
      name,
      `line ${r.line}: no hs_offset although other records of the step have hidden states`,
    );
  if (
    !Array.isArray(shape) ||
    shape.length !== 2 ||
    shape[0] !== r.top.length ||
    !isInt(shape[1]) ||
    shape[1] < 1
  )
    return fail(
      name,
      `line ${r.line}: hs_shape must be [num_tokens = ${r.top.length}, hidden_size], got ${JSON.stringify(shape)}`,
    );
  const count = shape[0] * shape[1];
  if (r.hsBytes !== 2 * count)
    fail(
      name,
      `line ${r.line}: hs_bytes ${r.hsBytes} is not 2 × ${shape.join(' × ')} (bfloat16 [${shape.join(', ')}])`,
    );
  if (r.hsOffset < 0 || r.hsOffset + 2 * count > f.bytes.length)
    fail(
      f.name,
      `line ${r.line} of ${name} points at bytes ${r.hsOffset}..${r.hsOffset + 2 * count} (bfloat16 [${shape.join(', ')}]) but the file has ${f.bytes.length}`,
    );
  const z = bf16(f.bytes, r.hsOffset, count);
  return Array.from({ length: shape[0] }, (_, t) =>
    Array.from(z.subarray(t * shape[1], (t + 1) * shape[1])),
  );
}
