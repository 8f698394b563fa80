// Engine traces → DESIGN.md §3 trace JSON. `importTrace` takes an explicit format (the CLI's
// --format); `detectImport` sorts files picked together in the page (a vLLM or TensorRT-LLM .npy with
// its token ids, an SGLang /generate response with the model's config.json, a Megatron .jsonl with its
// logits and hidden-state sidecars, a trace JSON) by name and content.
import { readNpy } from './npy';
import {
  fail,
  ImportError,
  parseJson,
  type ImportFormat,
  type ImportedTrace,
  type InputFile,
} from './common';
import { HF_FORMAT, importHf } from './hf';
import { importVllm } from './vllm';
import { importSglang, SGLANG_FORMAT } from './sglang';
import { importMegatron } from './megatron';
import { importSglangRouted } from './sglangRouted';
import { importTrtllm } from './trtllm';

export * from './common';
export { readNpy, writeNpy, type NpyArray, type NpyDtype } from './npy';
export { importHf, moeLayerIndices, nativeRouterFromConfig, HF_FORMAT } from './hf';
export { importVllm } from './vllm';
export { importSglang, SGLANG_FORMAT } from './sglang';
export { importMegatron } from './megatron';
export { importSglangRouted, decodeBase64 } from './sglangRouted';
export { importTrtllm } from './trtllm';
export { readModelConfig, type ModelShape } from './modelConfig';

export interface ImportOptions {
  tokens?: InputFile;
  /** Megatron logits sidecar */
  logits?: InputFile;
  /** Megatron hidden-state sidecar */
  hiddenStates?: InputFile;
  /** the model's config.json (SGLang return_routed_experts, TensorRT-LLM) */
  config?: InputFile;
  experts?: number;
  /** Megatron step */
  step?: number;
}

export function importTrace(
  format: ImportFormat,
  file: InputFile,
  opts: ImportOptions = {},
): ImportedTrace {
  if (opts.experts !== undefined && !(Number.isInteger(opts.experts) && opts.experts >= 1))
    throw new ImportError(`--experts must be a positive integer, got ${opts.experts}`);
  switch (format) {
    case 'hf':
      if (opts.tokens) fail(opts.tokens.name, 'hf captures carry their own tokens: drop --tokens');
      return importHf(file, opts);
    case 'vllm':
      return importVllm(file, opts);
    case 'sglang':
      return importSglang(file, opts);
    case 'sglang-routed':
      return importSglangRouted(file, opts);
    case 'trtllm':
      return importTrtllm(file, opts);
    case 'megatron':
      return importMegatron(file, opts);
  }
}

export type Detected =
  | { kind: 'trace'; file: InputFile; json: unknown }
  | { kind: 'import'; format: ImportFormat; file: InputFile; opts: ImportOptions };

const ext = (f: InputFile) => f.name.toLowerCase().split('.').pop() ?? '';

/** Sort files picked together into one trace to open; errors say what was expected. */
export function detectImport(files: InputFile[]): Detected {
  let main: { format: ImportFormat; file: InputFile } | null = null;
  let trace: { file: InputFile; json: unknown } | null = null;
  const opts: ImportOptions = {};
  const setMain = (format: ImportFormat, file: InputFile) => {
    if (main || trace)
      fail(
        file.name,
        `more than one trace picked (${(main ?? trace)!.file.name} and ${file.name})`,
      );
    main = { format, file };
  };
  for (const f of files) {
    const e = ext(f);
    if (e === 'jsonl') setMain('megatron', f);
    else if (e === 'bin') {
      if (/hidden_states/i.test(f.name)) opts.hiddenStates = f;
      else opts.logits = f;
    } else if (e === 'npy') {
      // TensorRT-LLM's routed_experts look like vLLM's but hold MoE layers only: told apart by name
      if (readNpy(f.bytes, f.name).shape.length >= 3)
        setMain(/trt/i.test(f.name) ? 'trtllm' : 'vllm', f);
      else opts.tokens = f;
    } else if (e === 'json') {
      const j = parseJson(f) as Record<string, unknown> | unknown[];
      const o = (Array.isArray(j) ? {} : (j ?? {})) as Record<string, unknown>;
      const first = (Array.isArray(j) ? j[0] : j) as Record<string, unknown> | undefined;
      if (o.format === HF_FORMAT) setMain('hf', f);
      else if (o.format === SGLANG_FORMAT) setMain('sglang', f);
      else if (
        typeof (first?.meta_info as Record<string, unknown> | undefined)?.routed_experts ===
        'string'
      )
        setMain('sglang-routed', f);
      else if (Number.isInteger(o.num_hidden_layers) || typeof o.text_config === 'object')
        opts.config = f;
      else if (Array.isArray(o.layers) && Array.isArray(o.tokens)) {
        if (main || trace) fail(f.name, 'more than one trace picked');
        trace = { file: f, json: j };
      } else opts.tokens = f;
    } else fail(f.name, 'unknown file type (expected .json, .jsonl, .npy or .bin)');
  }
  if (trace) return { kind: 'trace', ...(trace as { file: InputFile; json: unknown }) };
  if (!main)
    return fail(
      files.map((f) => f.name).join(', ') || 'no file',
      'no trace among the picked files: pick a trace JSON, a vLLM or TensorRT-LLM routed_experts .npy, an HF capture JSON, an SGLang JSON or /generate response, or a Megatron .jsonl',
    );
  const m = main as { format: ImportFormat; file: InputFile };
  return { kind: 'import', format: m.format, file: m.file, opts };
}
