import { useEffect, useMemo, useRef, useState } from 'react';
import { select } from 'd3';
import { useLab } from '../state/store';
import type { LayerEvent } from '../routing/run';
import { useInView } from './useInView';
import { bucketFlows, flowBucketer, type FlowBuckets, type FlowLayerInput } from '../routing/flowBuckets';
import { expertColor } from './colors';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';
import { explain } from './explain';

const W = 560;
const H = 220;
const M = { top: 16, bottom: 8, left: 10, right: 10 };
const NODE_W = 10;
/** experts with their own node per layer when a layer has more than ALL_UP_TO experts */
export const FLOW_TOP_N = 12;
const ALL_UP_TO = 16;
/** columns drawn at once; more MoE layers get a window with ◀ ▶ */
export const FLOW_MAX_COLS = 12;
/** bands drawn per layer pair (the strongest); the rest keep their place but get no element */
export const FLOW_MAX_LINKS = 30;
const OTHER = '#b8bcc6';
const SHOWN = '#6b8fd6';
const FOCUS = '#e15759';

/** token-expert selections (T·k summed over layers) counted synchronously; more are sliced */
export const FLOW_SYNC_WORK = 200_000;
const SLICE_MS = 8;

// The all-token aggregation of a settled pass, shared by every mount (the pass is immutable).
const cache = new WeakMap<readonly LayerEvent[], FlowBuckets>();

const work = (input: FlowLayerInput[]) => input.reduce((a, ev) => a + ev.selected.length * Math.max(1, ev.selected[0]?.length ?? 1), 0);

/**
 * The all-token buckets of a pass: from the cache, at once for a small run, else counted a slice
 * of a few ms at a time between frames (61 layers × 4096 tokens × top-8 would be one ~150 ms task),
 * with progress while it runs.
 */
function useAllTokenBuckets(layers: readonly LayerEvent[], input: FlowLayerInput[] | null): { data: FlowBuckets | null; progress: number } {
  const [state, setState] = useState<{ layers: readonly LayerEvent[]; progress: number } | null>(null);
  const sync = useMemo(() => {
    if (!input) return null;
    const hit = cache.get(layers);
    if (hit || work(input) > FLOW_SYNC_WORK) return hit ?? null;
    const b = bucketFlows(input, { topN: FLOW_TOP_N, allUpTo: ALL_UP_TO });
    cache.set(layers, b);
    return b;
  }, [layers, input]);
  useEffect(() => {
    if (!input || sync) return;
    const b = flowBucketer(input, { topN: FLOW_TOP_N, allUpTo: ALL_UP_TO });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slice = () => {
      const until = performance.now() + SLICE_MS;
      if (b.step(() => performance.now() >= until)) {
        cache.set(layers, b.result()!);
        setState({ layers, progress: 1 });
      } else {
        const p = b.progress();
        setState({ layers, progress: p.done / p.total });
        timer = setTimeout(slice, 0);
      }
    };
    timer = setTimeout(slice, 0);
    return () => clearTimeout(timer);
  }, [layers, input, sync]);
  const data = sync ?? (state?.layers === layers && state.progress === 1 ? (cache.get(layers) ?? null) : null);
  return { data, progress: state?.layers === layers ? state.progress : 0 };
}

/**
 * Tokens moving between experts across layers (Sankey-style): one column per MoE layer, one node
 * per expert with height ∝ its load, a band between consecutive layers ∝ the token-expert pairs
 * that go from one expert to the other. With more than 16 experts a layer shows its 12 busiest
 * experts plus one "other" node; more than 12 MoE layers are shown 12 at a time. "Focused token
 * only" follows a single token's path.
 */
export function FlowView() {
  // the last pass that arrived whole (a streaming pass would mix layers of two runs)
  const layers = useLab((s) => s.modified.settled);
  const focusToken = useLab((s) => s.focus.token);
  const focusLayer = useLab((s) => s.focus.layer);
  const focusExpert = useLab((s) => s.focus.expert);
  const pin = useLab((s) => s.pin);
  const [onlyFocus, setOnlyFocus] = useState(false);
  const [start, setStart] = useState(0);
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const complete = layers.length > 0 && layers.every(Boolean);
  // Dense layers have no experts: the columns are the MoE layers, and a band joins each MoE
  // layer to the next MoE layer (the dense MLPs between them route nothing).
  const moe = useMemo(() => (complete ? layers.filter((ev) => ev.kind !== 'dense') : []), [complete, layers]);
  const dense = complete ? layers.filter((ev) => ev.kind === 'dense').map((ev) => ev.layer) : [];
  const ready = moe.length > 1;
  const token = onlyFocus ? focusToken : -1;
  const input = useMemo(() => (ready ? moe.map((ev) => ({ layer: ev.layer, E: ev.E, selected: ev.selected })) : null), [ready, moe]);
  const all = useAllTokenBuckets(layers, token < 0 ? input : null);
  // one token's path is small: counted at once
  const one = useMemo(() => (input && token >= 0 ? bucketFlows(input, { topN: FLOW_TOP_N, allUpTo: ALL_UP_TO, tokens: [token], keep: (i) => moe[i].selected[token] ?? [] }) : null), [input, token, moe]);
  const data = token >= 0 ? one : all.data;
  const counting = ready && !data;
  const L = data?.columns.length ?? 0;
  const cols = Math.min(L, FLOW_MAX_COLS);
  // A newly focused layer outside the window brings the window to it (centred); ◀ ▶ move it freely.
  const [seenLayer, setSeenLayer] = useState(focusLayer);
  if (data && seenLayer !== focusLayer) {
    setSeenLayer(focusLayer);
    const at = data.columns.findIndex((c) => c.layer === focusLayer);
    const shownFrom = Math.max(0, Math.min(start, L - cols));
    if (at >= 0 && (at < shownFrom || at >= shownFrom + cols)) setStart(at - Math.floor(cols / 2));
  }
  const first = Math.max(0, Math.min(start, L - cols));
  const bucketed = data?.columns.some((c) => c.otherExperts > 0) ?? false;

  useEffect(() => {
    if (!visible || !data || !svgRef.current) return;
    const columns = data.columns.slice(first, first + cols);
    const flows = data.flows.slice(first, first + cols - 1);
    const colX = (l: number) => M.left + (l * (W - M.left - M.right - NODE_W)) / Math.max(1, cols - 1);
    const totals = columns.map((c) => c.counts.reduce((a, b) => a + b, 0) + c.other);
    const maxTotal = Math.max(1, ...totals);
    const gap = 3;
    const maxNodes = Math.max(1, ...columns.map((c) => c.experts.length + (c.otherExperts > 0 ? 1 : 0)));
    const scale = Math.max(0, H - M.top - M.bottom - gap * (maxNodes - 1)) / maxTotal;
    const colour = (E: number, e: number | null) => (e === null ? OTHER : e === focusExpert ? FOCUS : E <= 10 ? expertColor(e, E) : SHOWN);
    type Node = { key: string; layer: number; e: number | null; E: number; c: number; x: number; y: number; h: number; others: number };
    // per column, nodes in bucket order ("other" last, only when some experts are in it)
    const nodeCols: Node[][] = columns.map((col, l) => {
      let y = M.top;
      const make = (e: number | null, c: number): Node => {
        const n = { key: `${col.layer}:${e ?? 'other'}`, layer: col.layer, e, E: col.E, c, x: colX(l), y, h: c * scale, others: col.otherExperts };
        y += c * scale + gap;
        return n;
      };
      const out = col.experts.map((e, j) => make(e, col.counts[j]));
      if (col.otherExperts > 0) out.push(make(null, col.other));
      return out;
    });
    const nodes = nodeCols.flat();
    type Link = { key: string; e: number | null; E: number; v: number; w: number; d: string };
    let hidden = 0;
    const links: Link[] = flows.flatMap((m, l) => {
      const outOff = new Map<number, number>();
      const inOff = new Map<number, number>();
      const colSums = m[0].map((_, b) => m.reduce((x, r) => x + r[b], 0));
      const pair: Link[] = [];
      m.forEach((row, a) => {
        const s = nodeCols[l][a];
        if (!s) return; // "other" with no expert in it
        const rowSum = row.reduce((x, y) => x + y, 0);
        row.forEach((v, b) => {
          const t = nodeCols[l + 1][b];
          if (v === 0 || !t) return;
          // Bands split each node's height in proportion to flow, so widths are flow × the shared scale.
          const so = outOff.get(a) ?? 0;
          const to = inOff.get(b) ?? 0;
          const w = (v * scale) / Math.max(1, rowSum / Math.max(1, s.c));
          const wt = (v * scale) / Math.max(1, colSums[b] / Math.max(1, t.c));
          outOff.set(a, so + w);
          inOff.set(b, to + wt);
          const x0 = s.x + NODE_W;
          const x1 = t.x;
          const y0 = s.y + so + w / 2;
          const y1 = t.y + to + wt / 2;
          const mx = (x0 + x1) / 2;
          pair.push({ key: `${s.layer}:${s.e ?? 'other'}>${t.layer}:${t.e ?? 'other'}`, e: s.e, E: s.E, v, w: (w + wt) / 2, d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}` });
        });
      });
      // every band keeps its place; only the strongest get an element
      if (pair.length <= FLOW_MAX_LINKS) return pair;
      hidden += pair.length - FLOW_MAX_LINKS;
      return pair.sort((p, q) => q.v - p.v).slice(0, FLOW_MAX_LINKS);
    });
    const svg = select(svgRef.current);
    svg.attr('data-hidden-links', hidden);
    svg
      .selectAll<SVGPathElement, Link>('path.link')
      .data(links, (d) => d.key)
      .join('path')
      .attr('class', 'link')
      .attr('d', (d) => d.d)
      .attr('fill', 'none')
      .attr('stroke', (d) => colour(d.E, d.e))
      .attr('stroke-opacity', 0.35)
      .attr('stroke-width', (d) => Math.max(0.5, d.w))
      .attr('data-flow', (d) => d.v)
      .each(function (d) {
        // one <title> per band, its text rewritten in place (a nested join per band cost more than the band)
        const title = this.firstChild ?? this.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
        title.textContent = `L${d.key.replace('>', ' → L')}: ${d.v} token-expert pairs`;
      });
    svg
      .selectAll<SVGRectElement, Node>('rect.node')
      .data(nodes, (d) => d.key)
      .join('rect')
      .attr('class', (d) => `node${d.e === null ? ' is-other' : ''}${d.e !== null && d.e === focusExpert ? ' is-focus' : ''}`)
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('width', NODE_W)
      .attr('height', (d) => Math.max(0, d.h))
      .attr('fill', (d) => colour(d.E, d.e))
      .attr('data-layer', (d) => d.layer)
      .attr('data-expert', (d) => d.e ?? 'other')
      .attr('data-count', (d) => d.c)
      .style('cursor', (d) => (d.e === null ? null : 'pointer'))
      .on('click', (_, d) => (d.e === null ? pin({ layer: d.layer }) : pin({ layer: d.layer, expert: d.e })))
      .each(function (d) {
        const title = this.firstChild ?? this.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
        title.textContent = d.e === null ? `layer ${d.layer}, ${d.others} other experts: ${d.c} token-expert selections` : `layer ${d.layer}, expert ${d.e}: ${d.c} tokens`;
      });
    svg
      .selectAll<SVGTextElement, { layer: number; x: number }>('text.col-label')
      .data(columns.map((c, l) => ({ layer: c.layer, x: colX(l) + NODE_W / 2 })), (d) => d.layer)
      .join('text')
      .attr('class', 'col-label')
      .attr('x', (d) => d.x)
      .attr('y', M.top - 5)
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .attr('font-weight', (d) => (d.layer === focusLayer ? 700 : 400))
      .text((d) => `L${d.layer}`);
  }, [visible, data, first, cols, pin, focusExpert, focusLayer]);

  const shownLayers = data ? data.columns.slice(first, first + cols).map((c) => c.layer) : [];
  return (
    <Panel title="Flow between layers" testId="flow-view">
      {counting ? (
        <p className="placeholder" data-testid="flow-counting" role="status">
          Counting flows between {moe.length} layers… {Math.round(all.progress * 100)}%
        </p>
      ) : !data ? (
        <p className="placeholder" data-testid={complete && dense.length ? 'dense-note' : undefined}>
          {complete && dense.length
            ? `Needs two MoE layers: this model has ${moe.length} (layer${dense.length > 1 ? 's' : ''} ${dense.join(', ')} ${dense.length > 1 ? 'are' : 'is'} dense, no router).`
            : 'Run a prompt to see how tokens move between experts from layer to layer.'}
        </p>
      ) : (
        <>
          {dense.length > 0 && (
            <p className="hint" data-testid="dense-note">
              Dense layer{dense.length > 1 ? 's' : ''} {dense.join(', ')} (no router) left out: bands join each MoE layer to the next MoE layer.
            </p>
          )}
          <div className="flow-controls">
            <label className="hint">
              <input type="checkbox" {...explain('flow-focus')} checked={onlyFocus} onChange={(e) => setOnlyFocus(e.target.checked)} /> focused token only (token {focusToken})
            </label>
            {L > cols && (
              <span className="flow-window" role="group" aria-label="Layers shown">
                <button type="button" data-testid="flow-prev" {...explain('flow-page')} aria-label="earlier layers" disabled={first === 0} onClick={() => setStart(Math.max(0, first - (cols - 1)))}>
                  ◀
                </button>
                <input
                  type="range"
                  data-testid="flow-start"
                  {...explain('flow-start')}
                  aria-label="first layer shown"
                  min={0}
                  max={L - cols}
                  value={first}
                  onChange={(e) => setStart(Number(e.target.value))}
                />
                <button type="button" data-testid="flow-next" {...explain('flow-page')} aria-label="later layers" disabled={first >= L - cols} onClick={() => setStart(Math.min(L - cols, first + (cols - 1)))}>
                  ▶
                </button>
                <span data-testid="flow-range">
                  L{shownLayers[0]}–L{shownLayers[shownLayers.length - 1]} of {L} MoE layers
                </span>
              </span>
            )}
          </div>
          <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label={`expert-to-expert token flows between consecutive layers ${shownLayers[0]} to ${shownLayers[shownLayers.length - 1]}`} />
          {bucketed && (
            <p className="hint" data-testid="flow-note">
              Layers with more than {ALL_UP_TO} experts show their {FLOW_TOP_N} busiest experts (by load) and one grey “other” node; at most {FLOW_MAX_LINKS} bands per layer pair are drawn (the strongest). Hover a node for its expert, click to focus it.
            </p>
          )}
          <ExportButtons svg={svgRef} name="flow" />
        </>
      )}
    </Panel>
  );
}
