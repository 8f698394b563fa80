// ONNX external data for graphs too big for one protobuf. A protobuf message must stay under
// 2 GB (onnxruntime refuses larger ones), so a graph whose weights pass ~1.9 GB keeps only its
// nodes and tensor descriptions; the weights' bytes go to `<graph>.data` beside it, each
// initializer pointing there by location/offset/length, as the ONNX spec's external data does.
// Loaders hand that file to onnxruntime with the `externalData` session option (engine.ts).
// Whole bundles have no size limit of their own: only each file's.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Graphs larger than this (bytes) are written with external data. */
export const EXTERNAL_DATA_ABOVE = 1_900_000_000;

/** The name of a graph's external data file. */
export const externalDataName = (graph: string) => `${graph}.data`;

/**
 * Move every initializer of at least `minBytes` into one data file, 64-byte aligned, and point the
 * graph's initializers at it. `location` is the data file's name relative to the graph.
 */
export function splitExternalData(
  graph: Uint8Array,
  location: string,
  minBytes = 1024,
): { graph: Uint8Array; data: Uint8Array } {
  const model = onnx.ModelProto.decode(graph);
  const moved: { raw: Uint8Array; offset: number }[] = [];
  let size = 0;
  for (const t of model.graph?.initializer ?? []) {
    const raw = t.rawData;
    if (!raw || raw.byteLength < minBytes) continue;
    const offset = Math.ceil(size / 64) * 64;
    moved.push({ raw, offset });
    size = offset + raw.byteLength;
    t.rawData = new Uint8Array(0);
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
  }
  const data = new Uint8Array(size);
  for (const m of moved) data.set(m.raw, m.offset);
  return { graph: onnx.ModelProto.encode(model).finish(), data };
}
