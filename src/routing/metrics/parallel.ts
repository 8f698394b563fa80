// Expert parallelism: experts placed on N devices; device load = tokens its experts serve.

/** Contiguous placement: expert e on device floor(e·N/E). */
export function contiguousPlacement(E: number, N: number): number[] {
  return Array.from({ length: E }, (_, e) => Math.floor((e * N) / E));
}

export interface DeviceLoads {
  loads: number[];
  maxOverMean: number;
}

export function deviceLoads(expertLoads: number[], placement: number[], N: number): DeviceLoads {
  if (placement.length !== expertLoads.length) throw new Error(`placement lists ${placement.length} experts, loads ${expertLoads.length}`);
  const loads = new Array<number>(N).fill(0);
  expertLoads.forEach((c, e) => {
    if (!(placement[e] >= 0 && placement[e] < N)) throw new Error(`expert ${e} placed on device ${placement[e]}, outside 0..${N - 1}`);
    loads[placement[e]] += c;
  });
  const mean = loads.reduce((a, b) => a + b, 0) / N;
  return { loads, maxOverMean: mean > 0 ? Math.max(...loads) / mean : 0 };
}

export interface LlepPlan extends DeviceLoads {
  /** true when the imbalance was below the threshold and plain EP was kept */
  plainEP: boolean;
  /** expert → [(device, tokens)] */
  plan: { expert: number; parts: { device: number; tokens: number }[] }[];
  /** expert weight copies to non-native devices */
  transfers: number;
}

/**
 * LLEP (least-loaded expert parallelism): if max/mean < `threshold` (1.3) keep plain EP. Else take
 * experts by descending load; each fills its native device up to cap = `capFactor` (1.1) × mean
 * device load; the rest spills, chunk by chunk, to the currently least-loaded device (up to the
 * cap, or all of it when every device is at the cap). Each extra device an expert runs on costs
 * one weight transfer.
 */
export function llep(expertLoads: number[], placement: number[], N: number, capFactor = 1.1, threshold = 1.3): LlepPlan {
  const ep = deviceLoads(expertLoads, placement, N);
  const plain = (): LlepPlan => ({ ...ep, plainEP: true, plan: expertLoads.map((c, e) => ({ expert: e, parts: [{ device: placement[e], tokens: c }] })), transfers: 0 });
  if (ep.maxOverMean < threshold) return plain();
  const total = expertLoads.reduce((a, b) => a + b, 0);
  const cap = (capFactor * total) / N;
  const loads = new Array<number>(N).fill(0);
  const order = expertLoads.map((c, e) => e).sort((a, b) => expertLoads[b] - expertLoads[a] || a - b);
  const plan: LlepPlan['plan'] = [];
  let transfers = 0;
  for (const e of order) {
    let rest = expertLoads[e];
    const parts: { device: number; tokens: number }[] = [];
    const native = placement[e];
    const first = Math.min(rest, Math.max(0, cap - loads[native]));
    if (first > 0 || rest === 0) {
      parts.push({ device: native, tokens: first });
      loads[native] += first;
      rest -= first;
    }
    while (rest > 0) {
      let d = 0;
      for (let i = 1; i < N; i++) if (loads[i] < loads[d]) d = i;
      const room = cap - loads[d];
      const take = room > 0 ? Math.min(rest, room) : rest;
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
  const mean = total / N;
  return { loads, maxOverMean: mean > 0 ? Math.max(...loads) / mean : 0, plainEP: false, plan, transfers };
}
