// ORT fetches and compiles its WebAssembly runtime (14 MB) on the first InferenceSession.create.
// Creating a one-node session as soon as ORT is imported overlaps that with the bundle download.
import { GraphBuilder } from '../models/onnx/builder';

/** A valid one-op model (y = Identity(x)) that any backend can load. */
export function warmupModel(): Uint8Array {
  const g = new GraphBuilder('warmup');
  const x = g.input('x', 'float32', [1]);
  g.o('Identity', [x], {}, 'y');
  g.output('y', 'float32', [1]);
  return g.build('ORT runtime warm-up');
}
