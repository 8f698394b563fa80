// Multilingual routing steering (Bandarkar et al. 2025): Δ_e = routing frequency of expert e on
// English probe text − on the target language; soft-steer (z_e += λ·std(z)) the experts with
// Δ_e > τ in a layer range, and measure the per-token loss change on the target-language probes.
// Running the same outside the middle layers lets users test the paper's claim on this model.
import type { Lab } from './lab';
import type { ProbeFile } from './align';
import type { AlignResult, SteerArm, SteerResult } from '../routing/run';
import { Cancelled } from './engine';

/** Experts with Δ_e > τ per layer, as steer specs. frequency: lang → [L][E]. */
export function steeringInterventions(align: AlignResult, target: string, layers: number[], tau: number, lambda: number): string[] {
  const ref = align.frequency[align.ref];
  const tgt = align.frequency[target];
  if (!tgt) throw new Error(`no routing frequencies for "${target}" (aligned languages: ${align.languages.join(', ')})`);
  const out: string[] = [];
  for (const l of layers) {
    const experts = ref[l].map((f, e) => ({ e, d: f - tgt[l][e] })).filter((x) => x.d > tau).map((x) => x.e);
    if (experts.length) out.push(`steer:layers=${l},experts=${experts.join('+')},lambda=${lambda}`);
  }
  return out;
}

async function meanLoss(lab: Lab, probe: ProbeFile, articles: string[], ivs: string[], signal?: { aborted: boolean }): Promise<number> {
  let total = 0;
  let n = 0;
  for (const id of articles) {
    if (signal?.aborted) throw new Cancelled();
    const text = probe.articles.find((a) => a.id === id)!.text;
    const { ids } = lab.encode(text);
    const p = await lab.pass(ids, 'native', ivs, 'steer', {});
    total += p.summary.loss.reduce((a, b) => a + b, 0);
    n += p.summary.loss.length;
  }
  return total / Math.max(1, n);
}

/** Middle layers = the central half of the stack (L/4 ≤ l < 3L/4). */
export function middleLayers(L: number): number[] {
  return Array.from({ length: L }, (_, l) => l).filter((l) => l >= Math.floor(L / 4) && l < Math.ceil((3 * L) / 4));
}

export async function steeringExperiment(
  lab: Lab,
  align: AlignResult,
  target: string,
  opts: { tau?: number; lambda?: number; middle?: number[]; signal?: { aborted: boolean } } = {},
): Promise<SteerResult> {
  const L = lab.manifest.numLayers;
  const tau = opts.tau ?? 0.05;
  const lambda = opts.lambda ?? 0.5;
  const mid = opts.middle ?? middleLayers(L);
  const outside = Array.from({ length: L }, (_, l) => l).filter((l) => !mid.includes(l));
  const probe = lab.probes.find((p) => p.lang === target);
  if (!probe) throw new Error(`no probe text for "${target}"`);
  const base = await meanLoss(lab, probe, align.articles, [], opts.signal);
  const arm = async (layers: number[]): Promise<SteerArm> => {
    const ivs = steeringInterventions(align, target, layers, tau, lambda);
    const after = ivs.length ? await meanLoss(lab, probe, align.articles, ivs, opts.signal) : base;
    return { layers, interventions: ivs, lossBefore: base, lossAfter: after, delta: after - base };
  };
  return { target, ref: align.ref, tau, lambda, middle: await arm(mid), outside: await arm(outside) };
}
