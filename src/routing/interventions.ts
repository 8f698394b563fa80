// Logit interventions (DESIGN.md §5), applied to one layer's router logits before the policy, in
// list order. Engine-level kinds (skip, repeat, rewire) are parsed here but applied by the engine.
import type { Intervention, Routing } from './types';
import { interventionsAt } from './spec';
import { createRng, mixSeed } from './rng';

export interface IntervenedLogits {
  /** [T × E'] logits; E' ≥ E when upcycling appended slots */
  logits: Float32Array;
  E: number;
  /** [E'] the real expert behind each column */
  slotToExpert: Int32Array;
}

function checkExperts(iv: Intervention, E: number): void {
  for (const e of iv.experts) if (e >= E) throw new Error(`${iv.kind}: expert ${e} out of range 0..${E - 1}`);
}

/** population std of row t */
function rowStd(z: Float32Array, E: number, t: number): number {
  let n = 0;
  let mean = 0;
  for (let e = 0; e < E; e++) {
    if (!Number.isFinite(z[t * E + e])) continue;
    mean += z[t * E + e];
    n++;
  }
  if (n === 0) return 0;
  mean /= n;
  let v = 0;
  for (let e = 0; e < E; e++) if (Number.isFinite(z[t * E + e])) v += (z[t * E + e] - mean) ** 2;
  return Math.sqrt(v / n);
}

export function applyLogitInterventions(logits: Float32Array, T: number, E: number, layer: number, interventions: Intervention[]): IntervenedLogits {
  let z = logits.slice();
  let width = E;
  let slots = Int32Array.from({ length: E }, (_, e) => e);
  for (const iv of interventionsAt(layer, interventions)) {
    checkExperts(iv, E);
    switch (iv.kind) {
      case 'bias':
        for (let t = 0; t < T; t++) for (const e of iv.experts) z[t * width + e] += iv.params.value;
        break;
      case 'steer':
        // z_e += λ·std(z_t), the std taken before the steer (Multilingual Routing's soft steering).
        for (let t = 0; t < T; t++) {
          const s = rowStd(z, width, t);
          for (const e of iv.experts) z[t * width + e] += iv.params.lambda * s;
        }
        break;
      case 'force':
        for (let t = 0; t < T; t++) {
          // z_e = max(z) + ε over the whole row (DESIGN §5): an expert already on top is raised, never lowered.
          let max = -Infinity;
          for (let e = 0; e < width; e++) max = Math.max(max, z[t * width + e]);
          if (max === -Infinity) max = 0;
          for (const e of iv.experts) z[t * width + e] = max + iv.params.eps;
        }
        break;
      case 'mask':
        for (let t = 0; t < T; t++) for (let s = 0; s < width; s++) if (iv.experts.includes(slots[s])) z[t * width + s] = -Infinity;
        break;
      case 'temp':
        for (let i = 0; i < z.length; i++) z[i] /= iv.params.t;
        break;
      case 'upcycle': {
        // A new router slot per listed expert: a noisy copy of its logit column, served by the same expert.
        const rng = createRng(mixSeed(iv.params.seed, layer));
        const add = iv.experts.length;
        const next = new Float32Array(T * (width + add));
        for (let t = 0; t < T; t++) {
          next.set(z.subarray(t * width, (t + 1) * width), t * (width + add));
          iv.experts.forEach((e, j) => (next[t * (width + add) + width + j] = z[t * width + e] + iv.params.noise * rng.normal()));
        }
        slots = Int32Array.from([...slots, ...iv.experts]);
        z = next;
        width += add;
        break;
      }
      default:
        break; // skip, repeat, rewire: engine-level
    }
  }
  return { logits: z, E: width, slotToExpert: slots };
}

/**
 * Map a routing over slots back to real experts: gates of slots of the same expert add up. A
 * token whose slots merged is re-sorted by its summed gates (stable), so experts stay best first.
 */
export function foldSlots(r: Routing, slotToExpert: Int32Array, E: number): Routing {
  const probs = new Float32Array(r.T * E);
  for (let t = 0; t < r.T; t++) for (let s = 0; s < r.E; s++) probs[t * E + slotToExpert[s]] += r.probs[t * r.E + s];
  const offsets = new Int32Array(r.T + 1);
  const experts: number[] = [];
  const gates: number[] = [];
  for (let t = 0; t < r.T; t++) {
    const seen = new Map<number, number>();
    const start = experts.length;
    let merged = false;
    for (let i = r.offsets[t]; i < r.offsets[t + 1]; i++) {
      const e = slotToExpert[r.experts[i]];
      if (seen.has(e)) {
        gates[seen.get(e)!] += r.gates[i];
        merged = true;
      } else {
        seen.set(e, experts.length);
        experts.push(e);
        gates.push(r.gates[i]);
      }
    }
    if (merged) {
      const order = experts.slice(start).map((e, j) => ({ e, g: gates[start + j] })).sort((a, b) => b.g - a.g);
      order.forEach((x, j) => {
        experts[start + j] = x.e;
        gates[start + j] = x.g;
      });
    }
    offsets[t + 1] = experts.length;
  }
  return { T: r.T, E, probs, offsets, experts: Int32Array.from(experts), gates: Float32Array.from(gates), dropped: r.dropped };
}

/** [T × E] dense gate matrix (0 = not selected) for the MoE graph. */
export function denseGates(r: Routing, E: number): Float32Array {
  const g = new Float32Array(r.T * E);
  for (let t = 0; t < r.T; t++) for (let i = r.offsets[t]; i < r.offsets[t + 1]; i++) g[t * E + r.experts[i]] += r.gates[i];
  return g;
}
