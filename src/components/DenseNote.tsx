// Dense layers (qwen2_moe's decoder_sparse_step / mlp_only_layers, qwen3_moe, …) have no router:
// every token goes through one MLP. Views that draw routing say so instead of drawing empty
// selections as "every token dropped".
import { useLab } from '../state/store';

/** "dense" when the layer is a dense MLP: from its event, else (still streaming) the manifest. */
export function useLayerKind(layer: number): 'moe' | 'dense' | undefined {
  return useLab((s) => s.modified.layers[layer]?.kind ?? (s.imported ? undefined : s.manifest?.layers[layer]?.kind));
}

/** The one-line reason a routing view has nothing to draw for a dense layer. */
export const denseText = (layer: number) => `Layer ${layer} is dense (no router): every token goes through the same MLP`;

/** The dense-layer notice, with what the view would have shown (e.g. "No expert load to count."). */
export function DenseNote({ layer, children }: { layer: number; children?: string }) {
  return (
    <p className="placeholder dense-note" data-testid="dense-note" data-layer={layer}>
      {denseText(layer)}.{children ? ` ${children}` : ''}
    </p>
  );
}
