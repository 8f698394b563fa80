// Routers over the geometry of the router input: cosine to anchors, online k-means centroids.
import { describe, expect, it } from 'vitest';
import { createPolicy } from './create';
import { close, input, lists, MIXTRAL } from '../testing';
import type { RouterPolicy } from '../types';

const NI = -Infinity;

describe('cosine', () => {
  // anchors = router rows a0 = (1, 0), a1 = (0, 5), a2 = (−1, −1); h = (3, 4), |h| = 5
  // cos = [3/5, 20/25, −7/(5√2)] = [0.6, 0.8, −0.989949]  (the anchors' norms do not matter)
  const W = Float32Array.from([1, 0, 0, 5, -1, -1]);
  const geo = (hidden: number[]) => ({ hidden: Float32Array.from(hidden), D: 2, routerWeights: W });
  const run = (spec: string, rows: number[][], hidden: number[]) => lists(createPolicy(spec, { native: MIXTRAL, numExperts: 3 }).route(input(rows, geo(hidden))));

  it('top-k of softmax(τ·cos(h, a_e)), renormalised over the k', () => {
    // τ = 2: top-2 = [1, 0]; gates e^1.6/(e^1.6 + e^1.2) = 1/(1 + e^−0.4) = 0.598688, 0.401312
    const r = run('cosine:k=2,tau=2', [[0, 0, 0]], [3, 4]);
    expect(r.sel).toEqual([[1, 0]]);
    close(r.gates[0], [0.598688, 0.401312]);
  });

  it('k = E gives the full softmax(τ·cos)', () => {
    // τ = 1: e^cos = [1.822119, 2.225541, 0.371595], Σ = 4.419255 → [0.503601 (e1), 0.412314 (e0), 0.084086 (e2)]
    const r = run('cosine:k=3,tau=1', [[0, 0, 0]], [3, 4]);
    expect(r.sel).toEqual([[1, 0, 2]]);
    close(r.gates[0], [0.503601, 0.412314, 0.084086]);
  });

  it('ignores the logit values (but honours masks), per token', () => {
    // token 0: h = (3, 4) with logits favouring e0 → still e1 first
    // token 1: h = (−1, 0): cos = [−1, 0, 1/√2] → e2 first; e2 masked → e1 (cos 0)
    const r = run('cosine:k=1,tau=2', [[9, 0, 0], [0, 0, NI]], [3, 4, -1, 0]);
    expect(r.sel).toEqual([[1], [1]]);
    const m = run('cosine:k=2,tau=2', [[0, NI, 0]], [3, 4]);
    // without e1: [0, 2], gates 1/(1 + e^{−2·(0.6 + 0.989949)})
    expect(m.sel).toEqual([[0, 2]]);
    const g0 = 1 / (1 + Math.exp(-2 * (0.6 + 7 / (5 * Math.SQRT2))));
    close(m.gates[0], [g0, 1 - g0]);
  });

  it('needs hidden states and router weights', () => {
    const p = createPolicy('cosine', { native: MIXTRAL, numExperts: 3 });
    expect(p.needs).toEqual({ hidden: true, routerWeights: true });
    expect(() => p.route(input([[0, 0, 0]]))).toThrow('cosine routing needs the router input states and router weights');
  });
});

describe('kmeans', () => {
  const W = Float32Array.from([1, 0, 0, 1]); // μ0 = (1, 0), μ1 = (0, 1) at the start, counts 1
  const km = (spec = 'kmeans:k=1,tau=10') => createPolicy(spec, { native: MIXTRAL, numExperts: 2 });
  const step = (p: RouterPolicy, hidden: number[], layer = 0) => lists(p.route(input(hidden.length === 2 ? [[0, 0]] : Array.from({ length: hidden.length / 2 }, () => [0, 0]), { layer, hidden: Float32Array.from(hidden), D: 2, routerWeights: W })));

  it('centroid update μ_e += (h − μ_e)/n_e, token by token', () => {
    const p = km();
    // h0 = (1, 0.2): cos(μ0) = 1/√1.04 = 0.980581, cos(μ1) = 0.2/√1.04 = 0.196116 → e0
    //   n0 = 2, μ0 = (1, 0) + ((1, 0.2) − (1, 0))/2 = (1, 0.1)
    // h1 = (0.2, 1): symmetric → e1; n1 = 2, μ1 = (0, 1) + ((0.2, 1) − (0, 1))/2 = (0.1, 1)
    // h2 = (1, 0.4): cos(μ0) = 1.04/(√1.01·√1.16) = 0.960824; cos(μ1) = 0.5/(√1.01·√1.16) = 0.461934 → e0
    //   n0 = 3, μ0 = (1, 0.1) + ((1, 0.4) − (1, 0.1))/3 = (1, 0.2)
    const r = step(p, [1, 0.2, 0.2, 1, 1, 0.4]);
    expect(r.sel).toEqual([[0], [1], [0]]);
    expect(r.gates).toEqual([[1], [1], [1]]);
    close(p.state(0)!.centroids!, [1, 0.2, 0.1, 1], 6);
    expect(Array.from(p.state(0)!.counts!)).toEqual([3, 2]);
  });

  it('gates are softmax(τ·cos) over the chosen; every chosen centroid moves', () => {
    const p = km('kmeans:k=2,tau=1');
    // h = (1, 0.2): cos = [0.980581, 0.196116]; gates 1/(1 + e^{−0.784465}) = 0.686642, 0.313358
    const r = step(p, [1, 0.2]);
    expect(r.sel).toEqual([[0, 1]]);
    close(r.gates[0], [0.686642, 0.313358]);
    // both n = 2: μ0 = (1, 0.1); μ1 = (0, 1) + ((1, 0.2) − (0, 1))/2 = (0.5, 0.6)
    close(p.state(0)!.centroids!, [1, 0.1, 0.5, 0.6], 6);
  });

  it('is online: earlier tokens move the centroids and change later decisions; state per layer; reset', () => {
    // h_b = (0.9, 1) alone: cos(μ0) = 0.9/√1.81 = 0.668965 < cos(μ1) = 1/√1.81 = 0.743294 → e1
    expect(step(km(), [0.9, 1]).sel).toEqual([[1]]);
    // after h_a = (1, 0.9) (→ e0, μ0 = (1, 0.45)): cos(h_b, μ0) = 1.35/(√1.2025·√1.81) = 0.915065 → e0
    expect(step(km(), [1, 0.9, 0.9, 1]).sel).toEqual([[0], [0]]);
    // the same across two calls: the state persists on the layer
    const p = km();
    expect(step(p, [1, 0.9]).sel).toEqual([[0]]);
    close(p.state(0)!.centroids!, [1, 0.45, 0, 1], 6);
    expect(step(p, [0.9, 1]).sel).toEqual([[0]]);
    // another layer starts from the router rows
    expect(p.state(1)).toBeUndefined();
    expect(step(p, [0.9, 1], 1).sel).toEqual([[1]]);
    // reset forgets every layer
    p.reset();
    expect(p.state(0)).toBeUndefined();
    expect(p.state(1)).toBeUndefined();
    expect(step(p, [0.9, 1]).sel).toEqual([[1]]);
  });

  it('honours masks', () => {
    const p = km();
    const r = lists(p.route(input([[NI, 0]], { hidden: Float32Array.from([1, 0]), D: 2, routerWeights: W })));
    expect(r.sel).toEqual([[1]]); // e0 would win by cosine but is masked
  });
});
