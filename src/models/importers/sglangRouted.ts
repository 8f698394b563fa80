// SGLang `return_routed_experts` (server flag --enable-return-routed-experts, request field
// "return_routed_experts": true). Read in sglang/srt: the capturer (layers/moe/routed_experts_capturer.py)
// keeps an int32 host buffer [tokens, num_hidden_layers, num_experts_per_tok] of top-k ids per KV slot
// (fused shared-expert columns cut off, dense layers never written: zeros); get_routed_experts returns
// the request's first seqlen − 1 slots (prompt + output, less the last sampled token, which is never fed
// back), from routed_experts_start_len when the request set it (io_struct.GenerateReqInput: the response
// covers [routed_experts_start_len, seqlen − 1)). The detokenizer / tokenizer manager put
// base64(tensor.numpy().tobytes()) — little-endian int32, C order — into the response's
// meta_info["routed_experts"], next to meta_info.prompt_tokens / completion_tokens, and the /generate
// response carries output_ids. The flat bytes do not say how many layers and experts per token they
// hold, so the model's config.json comes along.
import {
  fail,
  isObj,
  parseJson,
  type ImportedTrace,
  type InputFile,
  type Lack,
  type Obj,
} from './common';
import { readModelConfig } from './modelConfig';
import { checkAgainstConfig, denseNotice, layersFromIds, routedTokens } from './routedIds';

export interface SglangRoutedOptions {
  /** the model's config.json (num_hidden_layers, num_experts_per_tok, dense layers, expert count) */
  config?: InputFile;
  /** token ids: prompt + output (or the routed tokens) */
  tokens?: InputFile;
  experts?: number;
  modelId?: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict standard base64 (as pybase64.b64encode writes it: padded, no line breaks). */
export function decodeBase64(s: string, name: string, field: string): Uint8Array {
  if (s.length % 4 !== 0)
    fail(name, `${field}: truncated base64 (${s.length} characters, not a multiple of 4)`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = s[i + j];
      const d = c === '=' && i + j >= s.length - pad ? 0 : B64.indexOf(c);
      if (d < 0) fail(name, `${field}: not base64 (character ${JSON.stringify(c)} at ${i + j})`);
      v = (v << 6) | d;
    }
    for (let j = 0; j < 3 && o < out.length; j++) out[o++] = (v >> (16 - 8 * j)) & 0xff;
  }
  return out;
}

const count = (m: Obj, key: string, name: string): number | undefined => {
  const v = m[key];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 0)
    fail(name, `meta_info.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
};

export function importSglangRouted(file: InputFile, opts: SglangRoutedOptions = {}): ImportedTrace {
  const name = file.name;
  const notices: string[] = [];
  let j = parseJson(file);
  // a batch /generate call answers with a list: one response per prompt
  if (Array.isArray(j)) {
    if (j.length === 0) fail(name, 'is an empty list (expected a /generate response)');
    if (j.length > 1) notices.push(`${name} holds ${j.length} responses: the first is imported`);
    j = j[0];
  }
  const meta = isObj(j) ? j.meta_info : undefined;
  if (!isObj(meta))
    return fail(
      name,
      'not an SGLang /generate response: no "meta_info" object (save resp.json() of a request with "return_routed_experts": true)',
    );
  const b64 = meta.routed_experts;
  if (b64 === undefined || b64 === null)
    return fail(
      name,
      'meta_info.routed_experts is missing: start the server with --enable-return-routed-experts and send "return_routed_experts": true',
    );
  if (typeof b64 !== 'string')
    return fail(
      name,
      `meta_info.routed_experts must be a base64 string, got ${Array.isArray(b64) ? 'an array' : typeof b64}`,
    );
  if (!opts.config)
    return fail(
      name,
      'needs the model’s config.json (--config): meta_info.routed_experts is flat int32 and its layers (num_hidden_layers) and experts per token (num_experts_per_tok) are in the config',
    );
  const cfg = readModelConfig(opts.config);
  const bytes = decodeBase64(b64, name, 'meta_info.routed_experts');
  if (bytes.length % 4 !== 0)
    fail(
      name,
      `meta_info.routed_experts decodes to ${bytes.length} bytes, not a whole number of int32 values`,
    );
  const n = bytes.length / 4;
  const L = cfg.numLayers;
  const k = cfg.topK;
  if (n === 0) fail(name, 'meta_info.routed_experts is empty (no token was routed)');
  if (n % (L * k) !== 0)
    fail(
      name,
      `meta_info.routed_experts holds ${n} int32 values, not a multiple of layers × top-k = ${L} × ${k} (${opts.config.name}: num_hidden_layers × num_experts_per_tok)`,
    );
  const S = n / (L * k);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids = Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true));

  // which positions the block covers: [start, seqlen − 1) of prompt + output
  const prompt = count(meta, 'prompt_tokens', name);
  const completion = count(meta, 'completion_tokens', name);
  const total = prompt !== undefined && completion !== undefined ? prompt + completion : undefined;
  let start = 0;
  if (total !== undefined) {
    if (S > total - 1)
      fail(
        name,
        `meta_info.routed_experts routes ${S} tokens but prompt_tokens + completion_tokens − 1 = ${total - 1} (mismatched token counts)`,
      );
    start = total - 1 - S;
    if (start > 0)
      notices.push(
        `routes tokens ${start}..${total - 2} (the request's routed_experts_start_len = ${start})`,
      );
  }

  const moe = new Set(cfg.moeLayers);
  const layers = layersFromIds(ids, [S, L, k], name, {
    layerOf: Array.from({ length: L }, (_, i) => i),
    numLayers: L,
    configName: opts.config.name,
    denseInBlock: new Set(Array.from({ length: L }, (_, i) => i).filter((i) => !moe.has(i))),
  });
  notices.push(...denseNotice(layers, `dense in ${opts.config.name} (never captured: zeros)`));
  const E = checkAgainstConfig(layers, k, name, cfg, opts.config.name, opts.experts);

  const lacks: Lack[] = ['routerLogits', 'gates', 'loss', 'next'];
  const { tokens, texts } = routedTokens(opts.tokens, S, start, total, name, notices);
  // without --tokens, the response's output_ids still name the generated tokens that were routed
  const out =
    isObj(j) && Array.isArray(j.output_ids) && j.output_ids.every((x) => Number.isInteger(x))
      ? (j.output_ids as number[])
      : undefined;
  if (!opts.tokens && out && total !== undefined && prompt !== undefined)
    out.forEach((id, i) => {
      const t = prompt + i - start;
      if (t >= 0 && t < S) tokens[t] = { id, text: `#${id}` };
    });
  if (!texts) lacks.push('tokenText');
  notices.push(
    'SGLang return_routed_experts records the chosen expert ids only: no router logits, gate weights or loss',
  );
  return {
    model: { id: opts.modelId ?? 'sglang-import', numLayers: L, numExperts: E, topK: k },
    backend: 'sglang',
    router: 'recorded',
    interventions: [],
    tokens,
    layers,
    source: {
      engine: 'sglang-routed',
      files: [name, opts.config.name, ...(opts.tokens ? [opts.tokens.name] : [])],
      lacks,
    },
    notices,
  };
}
