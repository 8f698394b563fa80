import { useMemo } from 'react';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { explain } from './explain';

export interface RunShapeInfo {
  layers: number;
  /** indices of the layers without a router */
  dense: number[];
  experts: number;
  topK: number;
  tokens: number;
}

/** "a–b" runs of consecutive layer indices: [0,1,2,5] → "0–2, 5" */
export function layerRanges(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(j > i ? `${xs[i]}–${xs[j]}` : `${xs[i]}`);
    i = j;
  }
  return out.join(', ');
}

/** One line for the shape of what is on screen: layers (dense ones named), experts, top-k, tokens. */
export function shapeText(s: RunShapeInfo): string {
  const dense = s.dense.length ? ` (${s.dense.length === s.layers ? 'all' : `${s.dense.length === 1 ? 'layer' : 'layers'} ${layerRanges(s.dense)}`} dense)` : '';
  return `${s.layers} layer${s.layers === 1 ? '' : 's'}${dense} × ${s.experts} experts, top-${s.topK} · ${s.tokens} token${s.tokens === 1 ? '' : 's'}`;
}

/** The shape of a pass: from its events (an imported trace) and, where given, the model's manifest. */
export function passShape(layers: (LayerEvent | undefined)[], tokens: number, model?: { layers: { kind: string; numExperts: number; topK: number }[] }): RunShapeInfo {
  const L = model?.layers.length ?? layers.length;
  const kindOf = (l: number) => model?.layers[l]?.kind ?? layers[l]?.kind;
  const dense = Array.from({ length: L }, (_, l) => l).filter((l) => kindOf(l) === 'dense');
  // (loops, not Math.max(...xs): a DeepSeek-V3-sized trace has ~125k selections, past the argument limit)
  let experts = 0;
  let topK = 0;
  if (model) for (const x of model.layers) [experts, topK] = [Math.max(experts, x.numExperts), Math.max(topK, x.topK)];
  else
    for (const ev of layers) {
      experts = Math.max(experts, ev?.E ?? 0);
      for (const s of ev?.selected ?? []) topK = Math.max(topK, s.length);
    }
  return { layers: L, dense, experts, topK, tokens };
}

/** The shape of the run or trace on screen, in one line at the top of the page. */
export function ShapeLine() {
  const modified = useLab((s) => s.modified);
  const manifest = useLab((s) => s.manifest);
  const imported = useLab((s) => s.imported);
  const tokens = modified.summary?.tokens.length ?? modified.layers.find(Boolean)?.T ?? 0;
  // (walks every selection of a trace: once per pass, not per render)
  const shape = useMemo(() => passShape(modified.layers, tokens, imported ? undefined : (manifest ?? undefined)), [modified.layers, tokens, imported, manifest]);
  if (!modified.layers.some(Boolean) && !manifest) return null;
  if (shape.layers === 0) return null;
  const who = imported ? `Trace ${imported.name}` : (manifest?.name ?? '');
  return (
    <p className="shape-line" data-testid="run-shape" {...explain('run-shape')}>
      {who && <span className="shape-who">{who}: </span>}
      {shapeText(shape)}
    </p>
  );
}
