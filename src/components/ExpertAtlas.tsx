// The expert atlas: every (layer, expert) of a corpus run as a point, laid out by PCA of its source
// profile (expertAtlas), coloured by the source it prefers most. Hover names it; click focuses it.
import { useMemo } from 'react';
import { schemeTableau10 } from 'd3';
import { expertAtlas, type CorpusReport } from '../routing/metrics/corpusRun';
import { FOCUS_COLOR } from './colors';

const W = 320;
const H = 240;
const PAD = 12;

export const sourceColor = (s: number) => schemeTableau10[s % 10];

export function ExpertAtlas({
  report,
  selected,
  onSelect,
}: {
  report: CorpusReport;
  selected: { layer: number; expert: number } | null;
  onSelect: (layer: number, expert: number) => void;
}) {
  const atlas = useMemo(() => expertAtlas(report), [report]);
  const names = report.sources.map((s) => s.name);
  const xs = atlas.points.map((p) => p.x);
  const ys = atlas.points.map((p) => p.y);
  const [x0, x1] = [Math.min(0, ...xs), Math.max(0, ...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(0, ...ys)];
  const sx = (x: number) => PAD + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
  const sy = (y: number) => H - PAD - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * PAD);
  const r = atlas.points.length > 512 ? 2 : 3.5;
  return (
    <figure className="expert-atlas">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        style={{ maxWidth: 480 }}
        role="img"
        aria-label="Expert atlas"
        data-testid="expert-atlas"
      >
        {atlas.points.map((p) => {
          const on = selected?.layer === p.layer && selected.expert === p.expert;
          return (
            <circle
              key={`${p.layer}:${p.expert}`}
              data-testid="atlas-point"
              data-layer={p.layer}
              data-expert={p.expert}
              cx={sx(p.x)}
              cy={sy(p.y)}
              r={on ? r + 2 : r}
              fill={sourceColor(p.dominant)}
              stroke={on ? FOCUS_COLOR : 'none'}
              strokeWidth={2}
              fillOpacity={0.8}
              style={{ cursor: 'pointer' }}
              onClick={() => onSelect(p.layer, p.expert)}
            >
              <title>{`layer ${p.layer} · expert ${p.expert}: prefers ${names[p.dominant]} (×${p.ratio.toFixed(2)} uniform)`}</title>
            </circle>
          );
        })}
      </svg>
      <figcaption className="placeholder">
        {names.map((n, s) => (
          <span key={n} className="atlas-key">
            <span style={{ color: sourceColor(s) }}>●</span> {n}{' '}
          </span>
        ))}
        — each (layer, expert) placed by PCA of its source profile (axes:{' '}
        {(100 * atlas.explained[0]).toFixed(0)}% and {(100 * atlas.explained[1]).toFixed(0)}% of the
        variance), coloured by the source it prefers.
      </figcaption>
    </figure>
  );
}
