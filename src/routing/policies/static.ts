// Routers that ignore the hidden state: a function of the token id only.
import type { RouteInput, Routing } from '../types';
import { createRng, mixSeed } from '../rng';
import { isMasked, routingFrom, softmaxRows, type Choice } from './build';

/** 32-bit integer mix (murmur3 finaliser): the hash of Hash Layers, a function of the id only. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function needIds(inp: RouteInput, name: string): Int32Array {
  if (!inp.tokenIds) throw new Error(`${name} routing needs token ids`);
  return inp.tokenIds;
}

/** first unmasked expert at or after e (cyclically), or −1 when all are masked */
function unmasked(inp: RouteInput, t: number, e: number, taken: number[] = []): number {
  for (let i = 0; i < inp.E; i++) {
    const c = (e + i) % inp.E;
    if (!isMasked(inp.logits, inp.E, t, c) && !taken.includes(c)) return c;
  }
  return -1;
}

/** Hash layers: e = hash(token id) mod E, one expert with gate 1. */
export function hashRoute(inp: RouteInput): Routing {
  const ids = needIds(inp, 'hash');
  const choices: Choice[] = [];
  for (let t = 0; t < inp.T; t++) {
    const e = unmasked(inp, t, hash32(ids[t]) % inp.E);
    choices.push(e < 0 ? { experts: [], gates: [] } : { experts: [e], gates: [1] });
  }
  return routingFrom(inp.T, inp.E, softmaxRows(inp.logits, inp.T, inp.E), choices);
}

/** A fixed random token-id → k-expert table drawn from the seed; uniform gates 1/k. */
export function randomRoute(inp: RouteInput, k: number, seed: number): Routing {
  const ids = needIds(inp, 'random');
  const choices: Choice[] = [];
  for (let t = 0; t < inp.T; t++) {
    const rng = createRng(mixSeed(seed, ids[t]));
    const experts: number[] = [];
    for (let j = 0; j < Math.min(k, inp.E); j++) {
      const e = unmasked(inp, t, Math.floor(rng.next() * inp.E), experts);
      if (e >= 0) experts.push(e);
    }
    choices.push({ experts, gates: experts.map(() => 1 / experts.length) });
  }
  return routingFrom(inp.T, inp.E, softmaxRows(inp.logits, inp.T, inp.E), choices);
}
