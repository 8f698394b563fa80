// The one seeded RNG of the routing core (mulberry32). Every random choice — noise, sampling,
// tie-breaks, random tables — goes through it so a seed in the URL replays a run exactly.
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** standard normal (Box–Muller) */
  normal(): number;
  /** standard Gumbel: −log(−log U) */
  gumbel(): number;
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal() {
      const u = Math.max(next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    gumbel() {
      return -Math.log(-Math.log(Math.min(Math.max(next(), 1e-12), 1 - 1e-12)));
    },
  };
}

/** Derive a seed from a base seed and integers (e.g. layer), so streams are independent. */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h ^= x >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}
