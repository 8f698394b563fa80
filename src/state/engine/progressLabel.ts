// Progress messages of the worker → the label and fraction the progress bar shows.
import type { Progress } from '../../gpu/protocol';

export function progressLabel(p: Progress): { label: string; value: number } {
  switch (p.status) {
    case 'download':
      return { label: `Downloading ${p.file} (${(p.loaded / 1e6).toFixed(1)} / ${(p.total / 1e6).toFixed(1)} MB)`, value: p.total ? p.loaded / p.total : 0 };
    case 'session':
      return { label: `Creating session ${p.file}`, value: (p.index + 1) / p.count };
    case 'layer':
      return { label: `Layer ${p.layer + 1} of ${p.numLayers}`, value: (p.layer + 1) / p.numLayers };
    case 'token':
      return { label: `Token ${p.index} of ${p.count}`, value: p.index / p.count };
    case 'item':
      return { label: `${p.label} ${p.index} of ${p.count}`, value: p.index / p.count };
    case 'convert':
      return { label: `Converting: ${p.step} (${p.index + 1} of ${p.count})`, value: (p.index + 1) / p.count };
  }
}
