// Why a view is off while an imported trace is on screen: the trace holds routing only (and,
// from vLLM, SGLang or Megatron, no router logits), while some views run the model itself.
import type { ImportedTraceInfo } from '../state/store';

/** null when the view can draw; else a one-line reason naming what the trace lacks. */
export function disabledReason(imported: ImportedTraceInfo | null, needs: 'model' | 'logits'): string | null {
  if (!imported) return null;
  if (needs === 'logits')
    return imported.hasLogits ? null : `This ${imported.engine} trace has no router logits: it records only the experts each token was sent to.`;
  return `Needs the model itself: the imported ${imported.engine} trace holds routing only (run a prompt to go back to the model).`;
}
