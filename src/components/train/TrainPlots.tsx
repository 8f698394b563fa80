import { useEffect, useRef } from 'react';
import { columnDominance, rowDominance } from '../../routing/metrics/coupling';
import { useTrain } from '../../state/train';
import { LANGUAGES, LETTERS } from '../../train/data';
import { Panel } from '../Panel';
import { expertColor } from '../colors';
import { explain } from '../explain';
import type { Term } from '../glossary';
import {
  classFill,
  expertFill,
  paintGrid,
  paintLoad,
  paintMatrix,
  paintSeries,
  regionShares,
} from './trainPaint';

/** A canvas that repaints when `deps` change; the painter gets its 2-D context (none in jsdom). */
function Canvas({
  width,
  height,
  paint,
  label,
  testId,
  data,
}: {
  width: number;
  height: number;
  paint: (ctx: CanvasRenderingContext2D) => void;
  label: string;
  testId: string;
  data?: Record<string, string>;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (ctx) paint(ctx);
  });
  const attrs = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      role="img"
      aria-label={label}
      data-testid={testId}
      {...attrs}
    />
  );
}

const fmt = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** The plane coloured by the expert each point goes to, and by the class predicted. */
export function RegionsView() {
  const snap = useTrain((s) => s.snapshot);
  const SIZE = 240;
  if (!snap) return null;
  const { G, experts, classes } = snap.regions;
  if (G === 0) return <TokensView />;
  const shares = regionShares(experts, snap.experts);
  return (
    <Panel title="Decision regions" testId="train-regions">
      <div className="train-regions">
        <figure>
          <Canvas
            width={SIZE}
            height={SIZE}
            testId="train-regions-experts"
            label={`The plane by routed expert: ${shares.map((s, e) => `expert ${e} ${(100 * s).toFixed(0)}%`).join(', ')}`}
            data={{ shares: shares.map((s) => s.toFixed(4)).join(',') }}
            paint={(ctx) => paintGrid(ctx, experts, G, SIZE, expertFill(snap.experts))}
          />
          <figcaption {...explain('train-regions-router')}>by expert</figcaption>
        </figure>
        <figure>
          <Canvas
            width={SIZE}
            height={SIZE}
            testId="train-regions-classes"
            label="The plane by predicted class"
            paint={(ctx) => paintGrid(ctx, classes, G, SIZE, classFill)}
          />
          <figcaption {...explain('train-regions-class')}>by predicted class</figcaption>
        </figure>
      </div>
      <ul className="train-legend" aria-label="Experts">
        {shares.map((s, e) => (
          <li key={e}>
            <span className="swatch" style={{ background: expertColor(e, snap.experts) }} /> {e}:{' '}
            {(100 * s).toFixed(0)}%
          </li>
        ))}
      </ul>
    </Panel>
  );
}

const letterOf = (v: number) => LANGUAGES[Math.floor(v / LETTERS)].letters[v % LETTERS];

/** The sequence task: every token of each language coloured by the expert it is routed to. */
export function TokensView() {
  const snap = useTrain((s) => s.snapshot);
  if (!snap) return null;
  const { experts, classes } = snap.regions;
  const E = snap.experts;
  const rows = LANGUAGES.map((_, l) => experts.slice(l * LETTERS, (l + 1) * LETTERS));
  return (
    <Panel title="Tokens by expert" testId="train-regions">
      <table
        className="train-tokens"
        data-testid="train-tokens"
        data-rows={rows.map((r) => r.join('')).join('|')}
      >
        <tbody>
          {LANGUAGES.map((lang, l) => (
            <tr key={lang.name}>
              <th scope="row">{lang.name}</th>
              {rows[l].map((e, i) => {
                const v = l * LETTERS + i;
                return (
                  <td
                    key={v}
                    style={{ background: expertColor(e, E) }}
                    title={`${letterOf(v)} → expert ${e}; predicts “${letterOf(classes[v])}” next`}
                  >
                    {letterOf(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="train-note">
        Each cell is a token coloured by the expert its top choice goes to; hover for the next token
        the MoE predicts. Experts specialise when a language’s row turns one colour.
      </p>
      <ul className="train-legend" aria-label="Experts">
        {regionShares(experts, E).map((s, e) => (
          <li key={e}>
            <span className="swatch" style={{ background: expertColor(e, E) }} /> {e}:{' '}
            {(100 * s).toFixed(0)}%
          </li>
        ))}
      </ul>
    </Panel>
  );
}

const SERIES: {
  key: 'loss' | 'maxVio' | 'entropy' | 'dropped';
  title: string;
  term: Term;
  colour: string;
}[] = [
  {
    key: 'loss',
    title: 'Loss',
    term: 'train-loss',
    colour: '#1f77b4',
  },
  {
    key: 'maxVio',
    title: 'MaxVio',
    term: 'train-maxvio',
    colour: '#d62728',
  },
  {
    key: 'entropy',
    title: 'Routing entropy',
    term: 'train-entropy',
    colour: '#2ca02c',
  },
  {
    key: 'dropped',
    title: 'Dropped',
    term: 'train-dropped',
    colour: '#9467bd',
  },
];

/** Loss, MaxVio, entropy and dropped tokens over the run; dashed lines mark upcycling. */
export function SeriesView() {
  const snap = useTrain((s) => s.snapshot);
  if (!snap) return null;
  const h = snap.history;
  return (
    <Panel title="Training curves" testId="train-curves">
      <div className="train-series">
        {SERIES.map((s) => (
          <figure key={s.key}>
            <figcaption {...explain(s.term)}>
              {s.title} <b data-testid={`train-${s.key}-value`}>{fmt(snap.last?.[s.key])}</b>
            </figcaption>
            <Canvas
              width={220}
              height={70}
              testId={`train-series-${s.key}`}
              label={`${s.title} over ${h.step.length} points`}
              paint={(ctx) =>
                paintSeries(
                  ctx,
                  h.step,
                  h[s.key],
                  220,
                  70,
                  { colour: s.colour, ...(s.key === 'dropped' ? { yMax: 1 } : {}) },
                  snap.upcycledAt,
                )
              }
            />
          </figure>
        ))}
      </div>
    </Panel>
  );
}

/** Per-expert share of the load over time, stacked. */
export function LoadView() {
  const snap = useTrain((s) => s.snapshot);
  if (!snap) return null;
  const h = snap.history;
  return (
    <Panel title="Expert load over time" testId="train-load">
      <Canvas
        width={460}
        height={110}
        testId="train-load-chart"
        label={`Each expert's share of the assignments over ${h.step.length} points; now ${snap.last?.load.map((l) => (100 * l).toFixed(0) + '%').join(', ') ?? 'not started'}`}
        paint={(ctx) => paintLoad(ctx, h.step, h.load, snap.experts, 460, 110)}
      />
      <p className="train-note">
        <span {...explain('train-load')}>Stacked shares</span>, expert 0 at the bottom; an even load
        is {snap.experts} equal bands.
      </p>
    </Panel>
  );
}

/** ERC's router–expert coupling matrix with its row and column dominance. */
export function CouplingMatrixView() {
  const snap = useTrain((s) => s.snapshot);
  if (!snap) return null;
  const E = snap.experts;
  const M = snap.coupling;
  const rows = Array.from({ length: M.length ? E : 0 }, (_, i) => M.slice(i * E, i * E + E));
  return (
    <Panel title="Router–expert coupling" testId="train-coupling">
      {rows.length === 0 ? (
        <p className="placeholder">Hash routing has no router rows to couple.</p>
      ) : (
        <>
          <Canvas
            width={140}
            height={140}
            testId="train-coupling-matrix"
            label={`Coupling matrix M, ${E}×${E}`}
            paint={(ctx) => paintMatrix(ctx, M, E, 140)}
          />
          <p className="train-note" {...explain('train-coupling')}>
            rows dominated by their own expert{' '}
            <b data-testid="train-row-dominance">{(100 * rowDominance(rows)).toFixed(0)}%</b>,
            columns <b>{(100 * columnDominance(rows)).toFixed(0)}%</b>
          </p>
        </>
      )}
    </Panel>
  );
}
