// A vLLM `routed_experts` capture ([seq, layers, k] int32, as np.save writes it; dense layers
// all zeros, as vLLM leaves never-captured layers) and its token ids, at a model's shape, with
// skewed synthetic routing. Seeded: the same arguments give the same bytes.
import { writeNpy } from '../../src/models/importers/npy';
import { createRng } from '../../src/routing/rng';
import { syntheticLayer } from '../../src/routing/synthetic';
import type { CaptureShape } from './shapes';

export function vllmCapture(shape: CaptureShape, T: number, seed = 1): { npy: Uint8Array; ids: { id: number; text: string }[] } {
  const rng = createRng(seed);
  const { layers: L, topK: k } = shape;
  const data = new Int32Array(T * L * k);
  for (let l = shape.dense; l < L; l++) {
    const { selected } = syntheticLayer(rng, shape.experts, k, T, false);
    for (let t = 0; t < T; t++) data.set(selected[t], (t * L + l) * k);
  }
  const words = ['The', ' router', ' sends', ' each', ' token', ' to', ' its', ' experts', ',', ' and', ' <b>load</b>', ' skews', '.', '\n'];
  const ids = Array.from({ length: T }, (_, t) => ({ id: 1000 + (t % words.length), text: words[t % words.length] }));
  return { npy: writeNpy('i4', [T, L, k], data), ids };
}
