import { useEffect, useMemo, useRef, useState } from 'react';
import { interpolateBlues, select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import type { LayerEvent } from '../routing/run';
import { tokenRouting, type TokenRouting } from '../routing/metrics/index';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { ExportButtons } from './ExportButtons';
import { DenseNote } from './DenseNote';

const W = 320;
const ROW = 14;
const LEFT = 24;

type Measure = 'normalisedEntropy' | 'margin';

const SOURCE =
  'Per-token routing entropy H(softmax(z)) and confidence max p, DESIGN.md §6 (the tokens a flat router is unsure about are the ones top-p routing gives more experts: Huang et al. 2024, “Harder Tasks Need More Experts: Dynamic Routing in MoE Models”)';

/** [T][E] (tokens × experts) router logits of one layer event. */
const logitRows = (ev: LayerEvent) =>
  Array.from({ length: ev.T }, (_, t) =>
    Array.from(ev.routerLogits.subarray(t * ev.E, (t + 1) * ev.E)),
  );

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

const routingCache = new WeakMap<LayerEvent, TokenRouting>();
/** A layer event's per-token routing numbers, computed once per event. */
function routingOf(ev: LayerEvent): TokenRouting {
  let r = routingCache.get(ev);
  if (!r) routingCache.set(ev, (r = tokenRouting(logitRows(ev))));
  return r;
}

/** The tooltip of one cell: all four numbers of that token and layer. */
const cellTip = (s: TokenRouting, layer: number, token: number) =>
  `token ${token}, layer ${layer}: H = ${s.entropy[token].toFixed(3)} nats (${s.normalisedEntropy[token].toFixed(3)} of log E), top-1 p = ${s.confidence[token].toFixed(3)}, margin ${s.margin[token].toFixed(3)}`;

interface Cell {
  layer: number;
  token: number;
  v: number;
}

/**
 * Router uncertainty per token and layer: entropy of the router softmax (nats and / log E), the
 * top-1 probability and its margin over the runner-up, as a layers × tokens grid plus the focused
 * token's numbers and per-layer means (the same numbers as `moe-lab analyze --metrics entropy`).
 */
export function EntropyView() {
  const imported = useLab((s) => s.imported);
  const layers = useLab((s) => s.modified.layers);
  const tokens = useLab((s) => s.modified.summary?.tokens);
  const focus = useLab((s) => s.focus);
  const pin = useLab((s) => s.pin);
  const hover = useLab((s) => s.hover);
  const [measure, setMeasure] = useState<Measure>('normalisedEntropy');
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const builtShape = useRef('');
  const cellEls = useRef(new Map<string, SVGRectElement>());
  const statsRef = useRef<(TokenRouting | undefined)[]>([]);
  const coloured = useRef<{ shape: string; measure: Measure; layers: (LayerEvent | undefined)[] }>({ shape: '', measure, layers: [] });
  // Per layer index (sparse while the pass streams in); each layer's numbers computed once per event.
  const stats = useMemo(
    () =>
      // dense layers have no router: no row of numbers (their grid row is labelled "dense")
      layers.map((ev): TokenRouting | undefined => (ev && ev.kind !== 'dense' ? routingOf(ev) : undefined)),
    [layers],
  );
  const T = layers.find(Boolean)?.T ?? 0;
  const L = layers.length;
  // per layer: m (MoE, arrived), d (dense), _ (not arrived yet)
  // (Array.from, not map: the streamed array has holes where layers have not arrived)
  const denseKey = Array.from(layers, (ev) => (!ev ? '_' : ev.kind === 'dense' ? 'd' : 'm')).join('');

  useEffect(() => {
    statsRef.current = stats;
    if (!visible || !svgRef.current) return;
    const cells: Cell[] = [];
    stats.forEach((s, l) => s?.[measure].forEach((v, t) => cells.push({ layer: l, token: t, v })));
    const w = T ? (W - LEFT) / T : 0;
    const svg = select(svgRef.current);
    svg
      .selectAll<SVGTextElement, number>('text.row-label')
      .data(
        Array.from({ length: L }, (_, l) => l),
        (l) => l,
      )
      .join('text')
      .attr('class', 'row-label')
      .attr('x', LEFT - 4)
      .attr('y', (l) => l * ROW + ROW - 4)
      .attr('text-anchor', 'end')
      .attr('font-size', 9)
      .text((l) => `L${l}`);
    // A dense row says so across the grid instead of staying blank.
    const denseRows = Array.from(denseKey, (k, l) => (k === 'd' ? l : -1)).filter((l) => l >= 0);
    svg
      .selectAll<SVGTextElement, number>('text.dense-row')
      .data(denseRows, (l) => l)
      .join('text')
      .attr('class', 'dense-row')
      .attr('data-layer', (l) => l)
      .attr('x', LEFT + 2)
      .attr('y', (l) => l * ROW + ROW - 4)
      .attr('font-size', 9)
      .attr('font-style', 'italic')
      .attr('fill', '#5d6470')
      .text('dense MLP layer (no router)');
    // One rect per (MoE layer, token), built when that set or the width changes; a run only
    // recolours them in a plain loop. A cell's tooltip is written when the pointer reaches it.
    const shape = `${T}:${denseKey}:${w}`;
    if (builtShape.current !== shape || cellEls.current.size !== cells.length) {
      builtShape.current = shape;
      svg
        .selectAll<SVGRectElement, Cell>('rect.ent-cell')
        .data(cells, (d) => `${d.layer}:${d.token}`)
        .join('rect')
        .attr('class', 'ent-cell')
        .attr('data-layer', (d) => d.layer)
        .attr('data-token', (d) => d.token)
        .attr('x', (d) => LEFT + d.token * w)
        .attr('y', (d) => d.layer * ROW)
        .attr('width', Math.max(0.5, w - (w > 3 ? 1 : 0)))
        .attr('height', ROW - 2)
        .on('mouseenter', function (_, d) {
          const st = statsRef.current[d.layer];
          if (st) select(this).selectAll('title').data([0]).join('title').text(cellTip(st, d.layer, d.token));
          hover({ token: d.token, layer: d.layer });
        })
        .on('click', (_, d) => pin({ token: d.token, layer: d.layer }));
      cellEls.current = new Map(svg.selectAll<SVGRectElement, Cell>('rect.ent-cell').nodes().map((el) => [`${el.dataset.layer}:${el.dataset.token}`, el]));
    }
    // Recolour the rows whose layer changed since the last draw (all after a rebuild or a new measure).
    const prev = coloured.current;
    const all = prev.shape !== shape || prev.measure !== measure;
    coloured.current = { shape, measure, layers: [...layers] };
    cells.forEach((d) => {
      if (!all && prev.layers[d.layer] === layers[d.layer]) return;
      const el = cellEls.current.get(`${d.layer}:${d.token}`);
      if (!el) return;
      el.setAttribute('fill', interpolateBlues(0.1 + 0.9 * d.v));
      el.setAttribute('data-v', d.v.toFixed(4));
      el.querySelector('title')?.remove(); // written afresh on the next hover
    });
    svg.select('rect.ent-focus').raise();
  }, [visible, stats, measure, T, L, denseKey, hover, pin, layers]);

  // The focus outline is its own cheap update: moving the focus does not rejoin the grid.
  useEffect(() => {
    if (!svgRef.current) return;
    const w = T ? (W - LEFT) / T : 0;
    select(svgRef.current)
      .selectAll<SVGRectElement, number>('rect.ent-focus')
      .data(T && focus.layer < L && focus.token < T ? [0] : [])
      .join('rect')
      .attr('class', 'ent-focus')
      .attr('x', LEFT + focus.token * w)
      .attr('y', focus.layer * ROW)
      .attr('width', Math.max(1, w - (w > 3 ? 1 : 0)))
      .attr('height', ROW - 2)
      .attr('fill', 'none')
      .attr('stroke', '#d62728')
      .attr('stroke-width', 1.5)
      .attr('pointer-events', 'none')
      .raise();
  }, [T, L, focus.layer, focus.token]);

  const cur = stats[focus.layer];
  const t = focus.token;
  const tokenText = tokens?.[t]?.text;

  return (
    <Panel title="Routing entropy and confidence" testId="entropy-view" disabled={disabledReason(imported, 'logits')}>
      {T === 0 ? (
        <p className="placeholder">How sure the router is, per token and layer, after a run.</p>
      ) : (
        <>
          <p className="hint" title={SOURCE}>
            Router uncertainty per token (columns) and layer (rows); darker ={' '}
            {measure === 'margin' ? 'larger top-1 margin (surer)' : 'higher entropy (less sure)'}.{' '}
            <label>
              colour by{' '}
              <select
                data-testid="entropy-measure"
                value={measure}
                onChange={(e) => setMeasure(e.target.value as Measure)}
              >
                <option value="normalisedEntropy">entropy / log E</option>
                <option value="margin">top-1 margin</option>
              </select>
            </label>
          </p>
          <svg
            ref={svgRef}
            viewBox={`0 0 ${W} ${L * ROW}`}
            className="chart"
            role="img"
            aria-label={`routing ${measure === 'margin' ? 'top-1 margin' : 'entropy'} per token and layer`}
          />
          {layers[focus.layer]?.kind === 'dense' && <DenseNote layer={focus.layer}>No router entropy or confidence.</DenseNote>}
          {cur && t < cur.entropy.length && (
            <p
              className="stat"
              data-testid="entropy-token"
              title="H = −Σ p log p of p = softmax(router logits); margin = largest − second-largest p"
            >
              token {t}
              {tokenText !== undefined && <> “{tokenText}”</>}, layer {focus.layer}: H ={' '}
              <strong data-testid="entropy-h">{cur.entropy[t].toFixed(3)}</strong> nats (
              <strong data-testid="entropy-hnorm">{cur.normalisedEntropy[t].toFixed(3)}</strong> of
              log E), top-1 p{' '}
              <strong data-testid="entropy-conf">{cur.confidence[t].toFixed(3)}</strong>, margin{' '}
              <strong data-testid="entropy-margin">{cur.margin[t].toFixed(3)}</strong>
            </p>
          )}
          <table className="align-table" data-testid="entropy-table">
            <thead>
              <tr>
                <th>layer</th>
                <th title="mean over tokens of H(softmax(z)) in nats">H</th>
                <th title="mean of H / log E (0 = one expert certain, 1 = uniform)">H / log E</th>
                <th title="mean top-1 probability">top-1 p</th>
                <th title="mean of top-1 − top-2 probability">margin</th>
              </tr>
            </thead>
            <tbody>
              {stats.map((s, l) =>
                layers[l]?.kind === 'dense' ? (
                  <tr key={l} data-layer={l} data-kind="dense">
                    <td>L{l}</td>
                    <td colSpan={4}>dense (no router)</td>
                  </tr>
                ) : s ? (
                  <tr key={l} data-layer={l}>
                    <td>L{l}</td>
                    {[s.entropy, s.normalisedEntropy, s.confidence, s.margin].map((xs, i) => (
                      <td key={i}>{mean(xs).toFixed(3)}</td>
                    ))}
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
          <ExportButtons svg={svgRef} name="routing-entropy" />
        </>
      )}
    </Panel>
  );
}
