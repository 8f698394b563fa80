// The corpus view's expert × source heatmap of one layer: a cell per (source, expert), coloured by
// the source's share on the expert relative to uniform routing (k/E). SVG: at E = 256 the cells are
// ~2 px wide and the expert ids thinned (chartLayout's thinTicks), the selected one always labelled.
import { useMemo } from 'react';
import type { CorpusLayer } from '../routing/metrics/corpus';
import { labelGap, thinTicks } from './chartLayout';
import { FOCUS_COLOR, quantityColor } from './colors';
import { explain } from './explain';

const W = 640;
const LEFT = 80;
const TOP = 16;
const ROW = 18;
const FONT = 9;

type MoeLayer = Extract<CorpusLayer, { kind: 'moe' }>;

export function CorpusHeatmap({
  layer,
  sources,
  selected,
  onSelect,
}: {
  layer: MoeLayer;
  sources: string[];
  selected: number | null;
  onSelect: (expert: number) => void;
}) {
  const E = layer.numExperts;
  const uniform = layer.topK / E;
  const cell = (W - LEFT - 4) / E;
  // the darkest colour: the layer's largest share ÷ uniform (at least 2, so near-uniform layers stay pale)
  const top = useMemo(
    () =>
      Math.max(
        2,
        ...layer.experts.flatMap((e) => sources.map((s) => (e.sources[s] ?? 0) / uniform)),
      ),
    [layer, sources, uniform],
  );
  const ticks = useMemo(
    () =>
      thinTicks(E, W - LEFT - 4, { minGap: labelGap(String(E - 1).length, FONT), keep: selected }),
    [E, selected],
  );
  const H = TOP + sources.length * ROW + 2;
  return (
    <figure className="corpus-heatmap">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={`Layer ${layer.index}: share of each source's tokens per expert`}
        data-testid="corpus-heatmap"
        {...explain('corpus-heatmap')}
      >
        {ticks.map((e) => (
          <text
            key={e}
            x={LEFT + (e + 0.5) * cell}
            y={TOP - 5}
            fontSize={FONT}
            textAnchor="middle"
            fill={e === selected ? FOCUS_COLOR : '#333'}
            fontWeight={e === selected ? 700 : 400}
          >
            {e}
          </text>
        ))}
        {sources.map((s, r) => (
          <g key={s}>
            <text x={LEFT - 4} y={TOP + r * ROW + ROW / 2 + 3} fontSize={10} textAnchor="end">
              {s.length > 12 ? `${s.slice(0, 11)}…` : s}
            </text>
            {layer.experts.map((x) => {
              const share = x.sources[s] ?? 0;
              return (
                <rect
                  key={x.id}
                  data-testid="corpus-cell"
                  data-expert={x.id}
                  data-source={s}
                  x={LEFT + x.id * cell}
                  y={TOP + r * ROW}
                  width={Math.max(cell - (cell > 4 ? 1 : 0), 0.5)}
                  height={ROW - 2}
                  fill={quantityColor(share / uniform / top)}
                  onClick={() => onSelect(x.id)}
                  style={{ cursor: 'pointer' }}
                >
                  <title>{`${s} → expert ${x.id}: ${(100 * share).toFixed(1)}% of its tokens (×${(share / uniform).toFixed(2)} uniform)`}</title>
                </rect>
              );
            })}
          </g>
        ))}
        {selected !== null && selected < E && (
          <rect
            x={LEFT + selected * cell - 0.5}
            y={TOP - 1}
            width={cell + 1}
            height={sources.length * ROW}
            fill="none"
            stroke={FOCUS_COLOR}
            strokeWidth={1.5}
            pointerEvents="none"
          />
        )}
      </svg>
      <figcaption className="placeholder">
        Share of each source's tokens routed to each expert, against uniform routing (k/E ={' '}
        {uniform.toFixed(3)}); darkest = ×{top.toFixed(1)}. Click an expert.
      </figcaption>
    </figure>
  );
}
