import { Panel } from './Panel';

/** Cross-lingual routing alignment (filled by the analysis issue). */
export function AlignmentView() {
  return (
    <Panel title="Cross-lingual alignment" testId="alignment-view">
      <p className="placeholder">How routing lines up across languages, layer by layer: JS divergence of each language’s mean routing vector to English’s, per layer (coming with the probe-set analyses).</p>
    </Panel>
  );
}
