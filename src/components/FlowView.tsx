import { useEffect, useMemo, useRef, useState } from 'react';
import { select } from 'd3';
import { useLab } from '../state/store';
import { useInView } from './useInView';
import { layerFlows } from '../routing/metrics/coactivation';
import { loadMetrics } from '../routing/metrics/load';
import { expertColor } from './colors';
import { Panel } from './Panel';
import { ExportButtons } from './ExportButtons';

const W = 560;
const H = 220;
const M = { top: 16, bottom: 8, left: 10, right: 10 };
const NODE_W = 10;

/**
 * Tokens moving between experts across layers (Sankey-style): one column per layer, one node per
 * expert with height ∝ its load, a band between consecutive layers ∝ the tokens that go from one
 * expert to the other. "Focused token only" follows a single token's path.
 */
export function FlowView() {
  // the last pass that arrived whole (a streaming pass would mix layers of two runs)
  const layers = useLab((s) => s.modified.settled);
  const focusToken = useLab((s) => s.focus.token);
  const pin = useLab((s) => s.pin);
  const [onlyFocus, setOnlyFocus] = useState(false);
  const svgRef = useRef<SVGSVGElement>(null);
  const visible = useInView(svgRef);
  const complete = layers.length > 0 && layers.every(Boolean);
  // Dense layers have no experts: the columns are the MoE layers, and a band joins each MoE
  // layer to the next MoE layer (the dense MLPs between them route nothing).
  const moe = useMemo(() => (complete ? layers.filter((ev) => ev.kind !== 'dense') : []), [complete, layers]);
  const dense = complete ? layers.filter((ev) => ev.kind === 'dense').map((ev) => ev.layer) : [];
  const ready = moe.length > 1;
  const E = ready ? Math.max(...moe.map((ev) => ev.E)) : 0;
  const data = useMemo(() => {
    if (!ready) return null;
    const tokens = onlyFocus ? [focusToken] : undefined;
    const sel = (i: number) => (tokens ? moe[i].selected.map((s, t) => (t === focusToken ? s : [])) : moe[i].selected);
    const loads = moe.map((_, i) => loadMetrics(sel(i), E).counts);
    const flows = moe.slice(1).map((_, i) => layerFlows(moe[i].selected, moe[i + 1].selected, E, tokens));
    return { loads, flows, layerIds: moe.map((ev) => ev.layer) };
  }, [ready, moe, E, onlyFocus, focusToken]);

  useEffect(() => {
    if (!visible || !data || !svgRef.current) return;
    const L = data.loads.length;
    const colX = (l: number) => M.left + (l * (W - M.left - M.right - NODE_W)) / Math.max(1, L - 1);
    const maxTotal = Math.max(1, ...data.loads.map((c) => c.reduce((a, b) => a + b, 0)));
    const gap = 3;
    const scale = (H - M.top - M.bottom - gap * (E - 1)) / maxTotal;
    // node y positions per layer
    const nodes = data.loads.flatMap((counts, l) => {
      let y = M.top;
      return counts.map((c, e) => {
        const n = { key: `${data.layerIds[l]}:${e}`, l, layer: data.layerIds[l], e, c, x: colX(l), y, h: c * scale };
        y += c * scale + gap;
        return n;
      });
    });
    const nodeAt = (l: number, e: number) => nodes[l * E + e];
    const outOff = new Map<string, number>();
    const inOff = new Map<string, number>();
    const links = data.flows.flatMap((m, l) =>
      m.flatMap((row, a) =>
        row.map((v, b) => {
          if (v === 0) return null;
          const s = nodeAt(l, a);
          const t = nodeAt(l + 1, b);
          // Bands split each node's height in proportion to flow, so widths are flow × the shared scale.
          const so = outOff.get(s.key) ?? 0;
          const to = inOff.get(t.key) ?? 0;
          const w = (v * scale) / Math.max(1, (data.flows[l][a].reduce((x, y) => x + y, 0) / Math.max(1, s.c)));
          const wt = (v * scale) / Math.max(1, (data.flows[l].reduce((x, r) => x + r[b], 0) / Math.max(1, t.c)));
          outOff.set(s.key, so + w);
          inOff.set(t.key, to + wt);
          const x0 = s.x + NODE_W;
          const x1 = t.x;
          const y0 = s.y + so + w / 2;
          const y1 = t.y + to + wt / 2;
          const mx = (x0 + x1) / 2;
          return { key: `${data.layerIds[l]}:${a}>${data.layerIds[l + 1]}:${b}`, a, v, w: (w + wt) / 2, d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}` };
        }),
      ),
    ).filter((x): x is NonNullable<typeof x> => x !== null);
    const svg = select(svgRef.current);
    svg
      .selectAll<SVGPathElement, (typeof links)[number]>('path.link')
      .data(links, (d) => d.key)
      .join('path')
      .attr('class', 'link')
      .attr('d', (d) => d.d)
      .attr('fill', 'none')
      .attr('stroke', (d) => expertColor(d.a, E))
      .attr('stroke-opacity', 0.35)
      .attr('stroke-width', (d) => Math.max(0.5, d.w))
      .attr('data-flow', (d) => d.v)
      .each(function (d) {
        // one <title> per band, its text rewritten in place (a nested join per band cost more than the band)
        const title = this.firstChild ?? this.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
        title.textContent = `L${d.key.replace('>', ' → L')}: ${d.v} token-expert pairs`;
      });
    svg
      .selectAll<SVGRectElement, (typeof nodes)[number]>('rect.node')
      .data(nodes, (d) => d.key)
      .join('rect')
      .attr('class', 'node')
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('width', NODE_W)
      .attr('height', (d) => Math.max(0, d.h))
      .attr('fill', (d) => expertColor(d.e, E))
      .on('click', (_, d) => pin({ layer: d.layer, expert: d.e }))
      .each(function (d) {
        const title = this.firstChild ?? this.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
        title.textContent = `layer ${d.layer}, expert ${d.e}: ${d.c} tokens`;
      });
    svg
      .selectAll<SVGTextElement, { layer: number; x: number }>('text.col-label')
      .data(data.layerIds.map((layer, l) => ({ layer, x: colX(l) + NODE_W / 2 })), (d) => d.layer)
      .join('text')
      .attr('class', 'col-label')
      .attr('x', (d) => d.x)
      .attr('y', M.top - 5)
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .text((d) => `L${d.layer}`);
  }, [visible, data, E, pin]);

  return (
    <Panel title="Flow between layers" testId="flow-view">
      {!data ? (
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
          <label className="hint">
            <input type="checkbox" checked={onlyFocus} onChange={(e) => setOnlyFocus(e.target.checked)} /> focused token only (token {focusToken})
          </label>
          <svg ref={svgRef} viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label="expert-to-expert token flows between consecutive layers" />
          <ExportButtons svg={svgRef} name="flow" />
        </>
      )}
    </Panel>
  );
}
