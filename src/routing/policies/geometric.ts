// Routers over the geometry of the router input: cosine to anchors, online k-means centroids.
import type { PolicyState, RouteInput, Routing } from '../types';
import { isMasked, routingFrom, softmaxRows, type Choice } from './build';

function needGeometry(inp: RouteInput, name: string): { h: Float32Array; W: Float32Array; D: number } {
  if (!inp.hidden || !inp.routerWeights || !inp.D) throw new Error(`${name} routing needs the router input states and router weights`);
  return { h: inp.hidden, W: inp.routerWeights, D: inp.D };
}

function cosRow(h: Float32Array, t: number, W: Float32Array, e: number, D: number): number {
  let dot = 0;
  let nh = 0;
  let nw = 0;
  for (let i = 0; i < D; i++) {
    dot += h[t * D + i] * W[e * D + i];
    nh += h[t * D + i] ** 2;
    nw += W[e * D + i] ** 2;
  }
  return nh > 0 && nw > 0 ? dot / Math.sqrt(nh * nw) : 0;
}

/** top-k of τ·cos scores with softmax gates over the whole row, renormalised over the k */
function chooseByCos(inp: RouteInput, cos: Float32Array, tau: number, k: number): Choice[] {
  const { T, E } = inp;
  const z = Float32Array.from(cos, (c, i) => (isMasked(inp.logits, E, Math.floor(i / E), i % E) ? -Infinity : tau * c));
  const p = softmaxRows(z, T, E);
  const out: Choice[] = [];
  for (let t = 0; t < T; t++) {
    const ex = Array.from({ length: E }, (_, e) => e)
      .filter((e) => z[t * E + e] !== -Infinity)
      .sort((a, b) => z[t * E + b] - z[t * E + a] || a - b)
      .slice(0, k);
    const g = ex.map((e) => p[t * E + e]);
    const s = g.reduce((a, b) => a + b, 0);
    out.push({ experts: ex, gates: g.map((x) => x / s) });
  }
  return out;
}

/** p = softmax(τ·cos(h, a_e)) with anchors a_e = router rows; top-k renormalised. */
export function cosineRoute(inp: RouteInput, tau: number, k: number): Routing {
  const { h, W, D } = needGeometry(inp, 'cosine');
  const cos = new Float32Array(inp.T * inp.E);
  for (let t = 0; t < inp.T; t++) for (let e = 0; e < inp.E; e++) cos[t * inp.E + e] = cosRow(h, t, W, e, D);
  return routingFrom(inp.T, inp.E, softmaxRows(inp.logits, inp.T, inp.E), chooseByCos(inp, cos, tau, k));
}

/**
 * Parameter-free online k-means router: centroids μ_e start at the router rows (count 1) and
 * move to the running mean of the states routed to them (μ_e += (h − μ_e)/n_e), token by token;
 * a token picks the top-k experts by cos(h, μ_e), gates = softmax(τ·cos) renormalised over the k.
 */
export class KMeansState {
  private layers = new Map<number, { mu: Float32Array; n: Float32Array }>();

  route(inp: RouteInput, tau: number, k: number): Routing {
    const { h, W, D } = needGeometry(inp, 'kmeans');
    const { T, E } = inp;
    let st = this.layers.get(inp.layer);
    if (!st || st.mu.length !== E * D) {
      st = { mu: W.slice(0, E * D), n: new Float32Array(E).fill(1) };
      this.layers.set(inp.layer, st);
    }
    const choices: Choice[] = [];
    for (let t = 0; t < T; t++) {
      const cos = new Float32Array(E);
      for (let e = 0; e < E; e++) cos[e] = cosRow(h, t, st.mu, e, D);
      const one = chooseByCos({ ...inp, T: 1, logits: inp.logits.subarray(t * E, (t + 1) * E) }, cos, tau, k)[0];
      choices.push(one);
      for (const e of one.experts) {
        st.n[e] += 1;
        for (let i = 0; i < D; i++) st.mu[e * D + i] += (h[t * D + i] - st.mu[e * D + i]) / st.n[e];
      }
    }
    return routingFrom(T, E, softmaxRows(inp.logits, T, E), choices);
  }

  state(layer: number): PolicyState | undefined {
    const s = this.layers.get(layer);
    return s ? { centroids: s.mu, counts: s.n } : undefined;
  }

  reset(): void {
    this.layers.clear();
  }
}
