// Expert parallelism: E experts placed on N devices; a device's load = the tokens its experts
// serve. expertLoads: [E] tokens routed to each expert (e.g. loadMetrics(...).counts).
// placement: [E] device id of each expert (its "native" device).

/** Contiguous blocks: expert e on device floor(e·N/E) (block sizes differ by at most one). */
export function contiguousPlacement(E: number, N: number): number[] {
  if (!(Number.isInteger(N) && N >= 1))
    throw new Error(`devices must be a positive integer, got ${N}`);
  return Array.from({ length: E }, (_, e) => Math.floor((e * N) / E));
}

export interface DeviceLoads {
  /** [N] tokens served per device */
  loads: number[];
  /** max device load / mean device load (0 when there is no load) */
  maxOverMean: number;
}

const ratio = (loads: number[]) => {
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  let max = -Infinity;
  for (const x of loads) max = Math.max(max, x);
  return mean > 0 ? max / mean : 0;
};

/** Plain EP: every expert's tokens run on its native device. */
export function deviceLoads(expertLoads: number[], placement: number[], N: number): DeviceLoads {
  if (placement.length !== expertLoads.length)
    throw new Error(`placement lists ${placement.length} experts, loads ${expertLoads.length}`);
  const loads = new Array<number>(N).fill(0);
  expertLoads.forEach((c, e) => {
    if (!(Number.isInteger(placement[e]) && placement[e] >= 0 && placement[e] < N))
      throw new Error(`expert ${e} placed on device ${placement[e]}, outside 0..${N - 1}`);
    loads[placement[e]] += c;
  });
  return { loads, maxOverMean: ratio(loads) };
}

export interface LlepPart {
  device: number;
  tokens: number;
}

export interface LlepPlan extends DeviceLoads {
  /** true when the imbalance was below the threshold and plain EP was kept */
  plainEP: boolean;
  /** the plain-EP loads the plan started from */
  ep: DeviceLoads;
  /** [E] by expert id: where its tokens run, native device first when it keeps any */
  plan: { expert: number; parts: LlepPart[] }[];
  /** expert weight copies to non-native devices (one per extra device an expert runs on) */
  transfers: number;
}

/**
 * LLEP (least-loaded expert parallelism). If plain EP's max/mean < `threshold` (1.3), keep plain EP.
 * Else, with mean = total tokens / N and cap = `capFactor` (1.1) × mean: take experts by
 * descending load (ties: lower id); put as many of its tokens as fit under the cap on its native
 * device; spill the rest, chunk by chunk, to the currently least-loaded device (ties: lower id), up
 * to the cap each time, or all of it when every device is already at the cap. Token counts may be
 * split fractionally (the cap is fractional); round for display.
 */
export function llep(
  expertLoads: number[],
  placement: number[],
  N: number,
  capFactor = 1.1,
  threshold = 1.3,
): LlepPlan {
  const ep = deviceLoads(expertLoads, placement, N);
  if (ep.maxOverMean < threshold)
    return {
      ...ep,
      loads: ep.loads.slice(),
      ep,
      plainEP: true,
      plan: expertLoads.map((c, e) => ({
        expert: e,
        parts: [{ device: placement[e], tokens: c }],
      })),
      transfers: 0,
    };
  const total = expertLoads.reduce((a, b) => a + b, 0);
  const cap = (capFactor * total) / N;
  const tiny = 1e-9 * Math.max(1, cap); // float dust below this is no room
  const loads = new Array<number>(N).fill(0);
  const order = expertLoads
    .map((_, e) => e)
    .sort((a, b) => expertLoads[b] - expertLoads[a] || a - b);
  const plan: LlepPlan['plan'] = [];
  let transfers = 0;
  for (const e of order) {
    let rest = expertLoads[e];
    const parts: LlepPart[] = [];
    const native = placement[e];
    const room = cap - loads[native];
    const first = room > tiny ? Math.min(rest, room) : 0;
    if (first > 0 || rest === 0) {
      parts.push({ device: native, tokens: first });
      loads[native] += first;
      rest -= first;
    }
    while (rest > tiny) {
      let d = 0;
      for (let i = 1; i < N; i++) if (loads[i] < loads[d]) d = i;
      const space = cap - loads[d];
      const take = space > tiny ? Math.min(rest, space) : rest;
      const existing = parts.find((p) => p.device === d);
      if (existing) existing.tokens += take;
      else {
        parts.push({ device: d, tokens: take });
        if (d !== native) transfers++;
      }
      loads[d] += take;
      rest -= take;
    }
    plan.push({ expert: e, parts });
  }
  plan.sort((a, b) => a.expert - b.expert);
  return { loads, maxOverMean: ratio(loads), ep, plainEP: false, plan, transfers };
}
