// vLLM `routed_experts` (engine flag --enable-return-routed-experts): CompletionOutput.routed_experts
// is an int32 array [seq_len, num_hidden_layers, num_experts_per_tok] of the expert ids each token
// was sent to, per layer, as vLLM's RoutedExpertsCapturer wrote them. Saved with np.save it is
// what this importer reads. It records ids only: no logits, no gate weights, no loss.
//
// Dense layers (e.g. DeepSeek's first_k_dense_replace) are never captured; the capture buffer is
// zeroed, so such a layer reads as all zeros. With k ≥ 2 that is impossible for a MoE layer (a
// token never picks one expert twice), so an all-zero layer becomes `kind: "dense"`.
import { readNpy } from './npy';
import {
  checkExpertRange,
  fail,
  layerList,
  maxExpertId,
  tokensOrPositions,
  type ImportedLayer,
  type ImportedTrace,
  type InputFile,
  type Lack,
} from './common';

export interface VllmOptions {
  /** token ids: prompt_token_ids + generated token_ids (.npy or JSON) */
  tokens?: InputFile;
  /** number of experts E (default: max id + 1) */
  experts?: number;
  modelId?: string;
}

export function importVllm(file: InputFile, opts: VllmOptions = {}): ImportedTrace {
  const a = readNpy(file.bytes, file.name);
  if (a.dtype !== 'i4' && a.dtype !== 'i8')
    fail(file.name, `routed_experts must be int32 or int64, got dtype '${a.dtype}'`);
  if (a.shape.length !== 3)
    fail(file.name, `routed_experts must have shape [seq, layers, k], got [${a.shape.join(', ')}]`);
  const [S, L, k] = a.shape;
  if (S === 0 || L === 0 || k === 0)
    fail(file.name, `routed_experts is empty (shape [${a.shape.join(', ')}])`);
  const notices: string[] = [];
  const layers: ImportedLayer[] = [];
  // Plain loops: a DeepSeek-V3-sized capture (2048 tokens × 61 layers × 8) is a million ids.
  const ids = a.data;
  for (let l = 0; l < L; l++) {
    const rows: number[][] = new Array(S);
    let allZero = true;
    for (let t = 0; t < S; t++) {
      const at = (t * L + l) * k;
      const row = new Array<number>(k);
      for (let j = 0; j < k; j++) {
        const e = Number(ids[at + j]);
        if (e < 0) fail(file.name, `negative expert id ${e} at layer ${l}, token ${t}`);
        if (e !== 0) allZero = false;
        row[j] = e;
      }
      rows[t] = row;
    }
    if (allZero && k >= 2) {
      layers.push({ index: l, kind: 'dense', selected: rows.map(() => []) });
      continue;
    }
    for (let t = 0; t < S; t++) {
      const row = rows[t];
      for (let j = 1; j < k; j++)
        for (let i = 0; i < j; i++)
          if (row[i] === row[j])
            fail(
              file.name,
              `layer ${l}, token ${t} lists expert ${row[j]} twice ([${row.join(', ')}])`,
            );
    }
    layers.push({ index: l, kind: 'moe', selected: rows });
  }
  const dense = layers.filter((l) => l.kind === 'dense').map((l) => l.index);
  if (dense.length) notices.push(`${layerList(dense)}: all zeros, read as dense (never captured)`);

  const lacks: Lack[] = ['routerLogits', 'gates', 'loss', 'next'];
  const tokens = tokensOrPositions(opts.tokens, S, notices, lacks, (tk, f) => {
    if (tk.ids.length === S + 1) {
      // The last generated token is sampled but never fed back through the model.
      notices.push('the last token has no routing (generated but never fed back): left out');
      return { ids: tk.ids.slice(0, S), texts: tk.texts?.slice(0, S) };
    }
    if (tk.ids.length !== S)
      fail(
        f.name,
        `has ${tk.ids.length} token ids but ${file.name} routes ${S} tokens (seq must match, or be one more)`,
      );
    return tk;
  });

  const E = opts.experts ?? maxExpertId(layers) + 1;
  if (opts.experts !== undefined) checkExpertRange(layers, E, file.name, '--experts');
  notices.push(
    'vLLM routed_experts record the chosen expert ids only: no router logits, gate weights or loss',
  );
  return {
    model: { id: opts.modelId ?? 'vllm-import', numLayers: L, numExperts: E, topK: k },
    backend: 'vllm',
    router: 'recorded',
    interventions: [],
    tokens,
    layers,
    source: {
      engine: 'vllm',
      files: [file.name, ...(opts.tokens ? [opts.tokens.name] : [])],
      lacks,
    },
    notices,
  };
}
