// The tail every converter shares once its graphs are in `files`: routers.bin, tokenizer and probe
// files, the hashed file list and the manifest. The manifest's key order is manifest.json's byte
// order, so family-specific fields keep their places (norm after rmsNormEps, intermediateSize after
// ropeTheta).
import type { LayerSpec, Manifest } from '../manifest';
import { BUNDLE_FORMAT } from '../manifest';
import type { Checkpoint } from './checkpoint';
import { BundleWriter } from './streamingWriter';
import type { Bundle, ConvertOptions, ModelDims, WeightType } from './types';

/** What a family adds to the bundle's shared files and manifest fields. */
export interface BundleModel {
  architecture: string;
  dims: ModelDims;
  layers: LayerSpec[];
  router: Manifest['router'];
  norm?: Manifest['norm'];
  intermediateSize?: number;
  graphs: Manifest['graphs'];
  /** routers.bin bytes and each layer's offsets into it */
  routers: Uint8Array;
  routerLayers: Manifest['routerWeights']['layers'];
}

/**
 * `files`: the graphs so far, either held in a map (written here, in its order) or already written
 * through a BundleWriter (convertDecoder streams them to opts.sink one at a time).
 */
export async function finishBundle(
  ck: Checkpoint,
  files: Map<string, Uint8Array> | BundleWriter,
  opts: ConvertOptions,
  wt: WeightType,
  m: BundleModel,
): Promise<Bundle> {
  let out: BundleWriter;
  if (files instanceof BundleWriter) out = files;
  else {
    out = new BundleWriter(opts);
    for (const [path, bytes] of files) await out.put(path, bytes);
  }
  await out.put('routers.bin', m.routers);
  await out.put('tokenizer.json', ck.tokenizerJson);
  if (ck.tokenizerConfig) await out.put('tokenizer_config.json', ck.tokenizerConfig);
  for (const [name, bytes] of opts.probes ?? []) await out.put(`probes/${name}`, bytes);
  const probeLangs = [...(opts.probes?.keys() ?? [])].map((n) => n.replace(/\.json$/, ''));

  const fileList = out.written.map((f) => ({ ...f }));
  const d = m.dims;
  const cfg = ck.config;
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    id: opts.id,
    name: opts.name ?? opts.id,
    architecture: m.architecture,
    vocabSize: d.V,
    hiddenSize: d.D,
    numLayers: d.L,
    numHeads: d.H,
    numKvHeads: d.Hkv,
    headDim: d.hd,
    ...(d.vhd !== undefined ? { valueHeadDim: d.vhd } : {}),
    layers: m.layers,
    router: m.router,
    rmsNormEps: d.eps,
    ...(m.norm === 'layer' ? { norm: 'layer' as const } : {}),
    ropeTheta: d.theta,
    ...(d.rope?.scaling ? { ropeScaling: d.rope.scaling } : {}),
    ...(m.intermediateSize !== undefined ? { intermediateSize: m.intermediateSize } : {}),
    maxContext: d.maxContext,
    dtype: wt,
    files: fileList,
    tokenizer: 'tokenizer.json',
    ...(ck.tokenizerConfig ? { tokenizerConfig: 'tokenizer_config.json' } : {}),
    graphs: m.graphs,
    routerWeights: { file: 'routers.bin', layers: m.routerLayers },
    ...(probeLangs.length ? { probes: 'probes/' } : {}),
    ...(opts.languages || probeLangs.length ? { languages: opts.languages ?? probeLangs } : {}),
    ...(opts.license ? { license: opts.license } : {}),
    ...(opts.source ? { source: opts.source } : {}),
    ...(typeof cfg.bos_token_id === 'number' ? { bosTokenId: cfg.bos_token_id } : {}),
    ...(typeof cfg.eos_token_id === 'number' ? { eosTokenId: cfg.eos_token_id } : {}),
  };
  return { manifest, files: out.kept };
}
