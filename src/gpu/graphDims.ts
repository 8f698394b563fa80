// The manifest's sizes against each graph's declared inputs and outputs, read when its session is
// created: a bundle whose manifest says 8 experts but whose graphs take 6 is named here, before any
// tensor is fed, instead of as onnxruntime's "Got invalid dimensions for input" in the middle of a
// forward pass. Symbolic dims (B, T, P) match anything; only numbers are compared.
import type * as OrtWeb from 'onnxruntime-web';
import { BundleError, type Manifest } from '../models/manifest';
import { GRAPH_IO as IO } from '../models/onnx/graphIO';

/** Per tensor name: what each dim must be (null = any), with the manifest field it comes from. */
type Want = Record<string, ({ n: number; from: string } | null)[]>;

function expectedDims(m: Manifest, file: string): Want {
  const D = { n: m.hiddenSize, from: 'hiddenSize' };
  const hidden = [null, null, D];
  if (file === m.graphs.embed) return { [IO.inputIds]: [null, null], [IO.hidden]: hidden };
  if (file === m.graphs.head)
    return {
      [IO.hidden]: hidden,
      [IO.logits]: [null, null, { n: m.vocabSize, from: 'vocabSize' }],
    };
  const a = m.graphs.attn.indexOf(file);
  const l = a >= 0 ? a : m.graphs.moe.indexOf(file);
  if (l < 0) return {};
  const E = [null, null, { n: m.layers[l].numExperts, from: `layers[${l}].numExperts` }];
  if (a >= 0) {
    const kv = (dim: number | undefined, from: string) => [
      null,
      { n: m.numKvHeads, from: 'numKvHeads' },
      null,
      dim === undefined ? null : { n: dim, from },
    ];
    const key = kv(m.headDim, 'headDim');
    const value =
      m.valueHeadDim !== undefined ? kv(m.valueHeadDim, 'valueHeadDim') : kv(m.headDim, 'headDim');
    return {
      [IO.hidden]: hidden,
      [IO.positionIds]: [null, null],
      [IO.pastKey]: key,
      [IO.pastValue]: value,
      [IO.hiddenMid]: hidden,
      [IO.moeIn]: hidden,
      [IO.routerLogits]: E,
      [IO.presentKey]: key,
      [IO.presentValue]: value,
    };
  }
  return { [IO.moeIn]: hidden, [IO.gates]: E, [IO.moeOut]: hidden, [IO.expertNorms]: E };
}

type Meta = { name: string; isTensor?: boolean; shape?: ReadonlyArray<number | string> };

/** Throw a BundleError naming the graph, the tensor, the dim and the manifest field that disagree. */
export function checkGraphDims(
  m: Manifest,
  file: string,
  s: Pick<OrtWeb.InferenceSession, 'inputMetadata' | 'outputMetadata'>,
): void {
  const want = expectedDims(m, file);
  // (older onnxruntime builds have no metadata: the names check in engine.ts still runs)
  const metas = [
    ...((s.inputMetadata ?? []) as Meta[]).map((x) => ['input', x] as const),
    ...((s.outputMetadata ?? []) as Meta[]).map((x) => ['output', x] as const),
  ];
  for (const [what, meta] of metas) {
    const dims = want[meta.name];
    if (!dims || !meta.isTensor || !meta.shape) continue;
    const shape = meta.shape;
    const show = `[${shape.join(', ')}]`;
    if (shape.length !== dims.length)
      throw new BundleError(
        file,
        `${what} "${meta.name}" has ${shape.length} dims ${show}, the engine feeds ${dims.length}`,
      );
    dims.forEach((d, i) => {
      if (d && typeof shape[i] === 'number' && shape[i] !== d.n)
        throw new BundleError(
          file,
          `${what} "${meta.name}" is ${show} but manifest.json gives ${d.from} = ${d.n} (dim ${i})`,
        );
    });
  }
}
