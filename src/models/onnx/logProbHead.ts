// The head graph with a second output, `logprobs` = log_softmax(logits): the per-token loss of a
// 128-token prompt then costs a gather instead of a million Math.exp calls in JavaScript (~10 ms
// per pass in Node); ORT's vectorised LogSoftmax does the same work in a fraction of that.
import onnxProto from 'onnx-proto';
import { GRAPH_IO as IO } from './graphIO';

const { onnx } = onnxProto;

/** `head.onnx` bytes → the same graph with a second output `logprobs` = log_softmax(logits, −1). */
export function headWithLogProbs(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph;
  const out = g?.output?.find((o) => o.name === IO.logits);
  if (!g || !out) throw new Error(`head graph has no "${IO.logits}" output`);
  g.node!.push(
    onnx.NodeProto.create({
      opType: 'LogSoftmax',
      name: 'lab_log_softmax',
      input: [IO.logits],
      output: [IO.logProbs],
      attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 })],
    }),
  );
  g.output = [...g.output!, onnx.ValueInfoProto.create({ ...out, name: IO.logProbs })];
  return onnx.ModelProto.encode(model).finish();
}
