import { useDeferredValue, useMemo, useRef, useState } from 'react';
import { useLab } from '../state/store';
import { CACHE_SIZES as SIZES } from '../routing/metrics/cacheStats';
import { useOffThread } from '../state/offThread';
import { Panel } from './Panel';
import { DenseNote, useLayerKind } from './DenseNote';
import { useInView } from './useInView';
import { explain } from './explain';

/**
 * Engineering view of the focused layer: local routing consistency (moe-lrc SRP/SCH), expert-cache
 * hit rates (LRU, LFU, Belady oracle, prefetch from the previous layer) and expert parallelism
 * (plain EP vs the LLEP plan) on the current run.
 */
export function CacheView() {
  const layer = useLab((s) => s.focus.layer);
  const ev = useDeferredValue(useLab((s) => s.modified.layers[s.focus.layer]));
  // Prefetch predicts from the last routed layer before this one (dense layers route nothing).
  const prev = useLab((s) =>
    s.modified.layers.slice(0, s.focus.layer).findLast((ev) => ev && ev.kind !== 'dense'),
  );
  const [devices, setDevices] = useState(4);
  const dense = useLayerKind(layer) === 'dense';
  // The cache simulations cost ~10 ms per run at 128 tokens: only while the view is on screen.
  const box = useRef<HTMLDivElement>(null);
  const visible = useInView(box);
  // (~200 ms at 2048 tokens × top-8: computed in a worker, only while the view is on screen)
  const input = useMemo(
    () =>
      visible && ev && ev.kind !== 'dense'
        ? { selected: ev.selected, E: ev.E, previous: prev?.selected ?? null, devices }
        : null,
    [visible, ev, prev, devices],
  );
  const { output: stats, error } = useOffThread('cacheStats', input);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    <Panel title={`Caches and parallelism — layer ${layer}`} testId="cache-view">
      <div ref={box}>
        {dense ? (
          <DenseNote layer={layer}>No experts to cache or place on devices.</DenseNote>
        ) : !stats ? (
          <p className="placeholder">
            {error
              ? `Could not compute the cache statistics: ${error}`
              : input
                ? 'Computing expert-cache hit rates and device loads…'
                : 'Expert-cache hit rates and device loads for the focused layer.'}
          </p>
        ) : (
          <>
            <p className="hint" {...explain('cache-srp')}>
              SRP m=2/4/8:{' '}
              <span data-testid="srp">{stats.srp.map((x) => x.toFixed(3)).join(' / ')}</span>
            </p>
            <table className="align-table" data-testid="cache-table">
              <thead>
                <tr>
                  <th {...explain('cache-size')}>cache size</th>
                  {SIZES.map((C) => (
                    <th key={C}>{C}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ['SCH (m=4)', stats.sch, 'cache-sch'],
                    ['LRU', stats.lru, 'cache-lru'],
                    ['LFU', stats.lfu, 'cache-lfu'],
                    ['Belady', stats.belady, 'cache-belady'],
                    ...(stats.prefetch
                      ? [['prefetch', stats.prefetch, 'cache-prefetch'] as const]
                      : []),
                  ] as const
                ).map(([name, xs, term]) => (
                  <tr key={name} data-policy={name}>
                    <td {...explain(term)}>{name}</td>
                    {xs.map((x, i) => (
                      <td key={i}>{pct(x)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="ep" data-testid="ep-view">
              <label>
                devices{' '}
                <input
                  type="number"
                  {...explain('cache-devices')}
                  min={1}
                  max={ev!.E}
                  value={devices}
                  onChange={(e) => setDevices(Math.max(1, Number(e.target.value)))}
                />
              </label>
              <p className="hint" {...explain('cache-llep')}>
                EP max/mean{' '}
                <strong data-testid="ep-ratio">{stats.ep.maxOverMean.toFixed(2)}</strong> (loads{' '}
                {stats.ep.loads.join(', ')}) → LLEP{' '}
                <strong data-testid="llep-ratio">{stats.llep.maxOverMean.toFixed(2)}</strong>
                {stats.llep.plainEP
                  ? ' (balanced enough: plain EP kept)'
                  : ` with ${stats.llep.transfers} expert weight transfer${stats.llep.transfers === 1 ? '' : 's'}`}
              </p>
            </div>
          </>
        )}
      </div>
    </Panel>
  );
}
