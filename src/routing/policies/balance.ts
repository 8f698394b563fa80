// Loss-Free Balancing (Wang et al. 2024; DeepSeek-V3): a per-expert bias steers selection only.
import type { PolicyState, RouteInput, Routing } from '../types';
import { routingFrom, softmaxRows, topkRow, type Choice } from './build';

/**
 * Select TopK(z + b); gate with the unbiased softmax(z) of the chosen, renormalised. Tokens are
 * taken in blocks of `block`; after each block b_e += u·sign(mean load − load_e). The bias lives
 * per layer across calls (visible through state(), cleared by reset()).
 */
export class BalanceBiasState {
  private bias = new Map<number, Float32Array>();

  route(inp: RouteInput, u: number, k: number, block: number): Routing {
    const { T, E, logits } = inp;
    let b = this.bias.get(inp.layer);
    if (!b || b.length !== E) {
      b = new Float32Array(E);
      this.bias.set(inp.layer, b);
    }
    const p = softmaxRows(logits, T, E);
    const choices: Choice[] = [];
    for (let start = 0; start < T; start += block) {
      const end = Math.min(T, start + block);
      const load = new Float32Array(E);
      for (let t = start; t < end; t++) {
        const biased = Float32Array.from(logits.subarray(t * E, (t + 1) * E), (z, e) => z + b[e]);
        const ex = topkRow(biased, E, 0, k);
        const g = ex.map((e) => p[t * E + e]);
        const s = g.reduce((x, y) => x + y, 0);
        choices.push({ experts: ex, gates: s > 0 ? g.map((x) => x / s) : g });
        for (const e of ex) load[e]++;
      }
      const mean = load.reduce((x, y) => x + y, 0) / E;
      for (let e = 0; e < E; e++) b[e] += u * Math.sign(mean - load[e]);
    }
    return routingFrom(T, E, p, choices);
  }

  state(layer: number): PolicyState | undefined {
    const b = this.bias.get(layer);
    return b ? { bias: b.slice() } : undefined;
  }

  reset(): void {
    this.bias.clear();
  }
}
