// Spec strings: `name:key=value,key=value` for router policies and
// `<kind>:layers=<i|i-j|*>,experts=<a+b+…>,<param>=<v>` for interventions (DESIGN.md §3).
// Every error names the spec and the problem.
import type { Intervention, InterventionKind, LayerRange } from './types';
import { InputError } from './safeJson';

export class SpecError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

export interface ParsedSpec {
  name: string;
  params: Map<string, string>;
}

/** Longest router or intervention spec accepted (256 expert ids joined by + take ~1 000). */
export const MAX_SPEC_LENGTH = 4096;

export function splitSpec(spec: string): ParsedSpec {
  if (spec.length > MAX_SPEC_LENGTH) throw new SpecError(`spec "${spec.slice(0, 40)}…" is ${spec.length} characters long, over the limit of ${MAX_SPEC_LENGTH}`);
  const s = spec.trim();
  if (!s) throw new SpecError('empty spec');
  const colon = s.indexOf(':');
  const name = (colon < 0 ? s : s.slice(0, colon)).trim();
  const params = new Map<string, string>();
  if (colon >= 0 && s.slice(colon + 1).trim()) {
    for (const part of s.slice(colon + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new SpecError(`bad parameter "${part}" in "${spec}": write key=value`);
      const k = part.slice(0, eq).trim();
      if (params.has(k)) throw new SpecError(`parameter "${k}" given twice in "${spec}"`);
      params.set(k, part.slice(eq + 1).trim());
    }
  }
  return { name, params };
}

export const INTERVENTION_KINDS: InterventionKind[] = ['bias', 'steer', 'force', 'mask', 'temp', 'upcycle', 'skip', 'repeat', 'rewire'];

/** Parameters each intervention kind accepts (besides layers and experts), with defaults. */
export const INTERVENTION_PARAMS: Record<InterventionKind, Record<string, number>> = {
  bias: { value: 1 },
  steer: { lambda: 1 },
  force: { eps: 1e-3 },
  mask: {},
  temp: { t: 1 },
  upcycle: { noise: 0.01, seed: 0 },
  skip: {},
  repeat: { n: 2 },
  rewire: { steps: 8, lr: 0.5, c: 0.1, seed: 0 },
};

/** kinds that act on listed experts and need at least one */
const NEEDS_EXPERTS: InterventionKind[] = ['bias', 'steer', 'force', 'mask', 'upcycle'];

function parseLayers(v: string, spec: string): LayerRange {
  if (v === '*') return '*';
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw new SpecError(`bad intervention "${spec}": layers must be an index, a range i-j or *`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new SpecError(`bad intervention "${spec}": layer range ${from}-${to} is empty`);
  return { from, to };
}

export function parseIntervention(spec: string): Intervention {
  const { name, params } = splitSpec(spec);
  const kind = name as InterventionKind;
  if (!INTERVENTION_KINDS.includes(kind)) throw new SpecError(`unknown intervention "${name}" (known: ${INTERVENTION_KINDS.join(', ')})`);
  const allowed = INTERVENTION_PARAMS[kind];
  let layers: LayerRange = '*';
  let experts: number[] = [];
  const out: Record<string, number> = { ...allowed };
  for (const [k, v] of params) {
    if (k === 'layers') layers = parseLayers(v, spec);
    else if (k === 'experts') {
      experts = v.split('+').map((x) => {
        if (!/^\d+$/.test(x.trim())) throw new SpecError(`bad intervention "${spec}": experts must be ids joined by +, e.g. 1+4`);
        return Number(x);
      });
      if (new Set(experts).size !== experts.length) throw new SpecError(`bad intervention "${spec}": an expert is listed twice`);
    } else if (k in allowed) {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw new SpecError(`bad intervention "${spec}": ${k} must be a number, got "${v}"`);
      out[k] = n;
    } else {
      const known = ['layers', 'experts', ...Object.keys(allowed)];
      throw new SpecError(`bad intervention "${spec}": ${kind} has no parameter "${k}" (known: ${known.join(', ')})`);
    }
  }
  if (NEEDS_EXPERTS.includes(kind) && experts.length === 0) throw new SpecError(`bad intervention "${spec}": ${kind} needs experts=<a+b+…>`);
  if (kind === 'temp' && !(out.t > 0)) throw new SpecError(`bad intervention "${spec}": t must be > 0`);
  if (kind === 'repeat' && !(Number.isInteger(out.n) && out.n >= 0 && out.n <= 8)) throw new SpecError(`bad intervention "${spec}": n must be an integer in 0..8`);
  if (kind === 'rewire' && !(Number.isInteger(out.steps) && out.steps >= 1 && out.steps <= 100)) throw new SpecError(`bad intervention "${spec}": steps must be an integer in 1..100`);
  return { kind, layers, experts, params: out };
}

/**
 * An intervention against the model it runs on: its layers must exist and its experts must be
 * experts of those layers (`expertsAt(l)` = E of layer l, 0 for a dense layer).
 */
export function checkInterventionFits(iv: Intervention, numLayers: number, expertsAt: (layer: number) => number): void {
  const spec = formatIntervention(iv);
  if (iv.layers !== '*' && iv.layers.to >= numLayers)
    throw new SpecError(`bad intervention "${spec}": layer ${iv.layers.to} is outside the model's layers 0..${numLayers - 1}`);
  if (iv.experts.length === 0) return;
  const from = iv.layers === '*' ? 0 : iv.layers.from;
  const to = iv.layers === '*' ? numLayers - 1 : iv.layers.to;
  let E = 0;
  for (let l = from; l <= to; l++) E = Math.max(E, expertsAt(l));
  const where = from === to ? `layer ${from}` : `layers ${from}-${to}`;
  if (E === 0) throw new SpecError(`bad intervention "${spec}": ${where} ${from === to ? 'is' : 'are'} dense (no experts to act on)`);
  const bad = iv.experts.find((e) => e >= E);
  if (bad !== undefined) throw new SpecError(`bad intervention "${spec}": expert ${bad} is outside the experts 0..${E - 1} of ${where}`);
}

export function formatIntervention(iv: Intervention): string {
  const parts = [`layers=${iv.layers === '*' ? '*' : iv.layers.from === iv.layers.to ? iv.layers.from : `${iv.layers.from}-${iv.layers.to}`}`];
  if (iv.experts.length) parts.push(`experts=${iv.experts.join('+')}`);
  for (const [k, v] of Object.entries(iv.params)) parts.push(`${k}=${v}`);
  return `${iv.kind}:${parts.join(',')}`;
}

export function layerInRange(layer: number, range: LayerRange): boolean {
  return range === '*' || (layer >= range.from && layer <= range.to);
}

export function interventionsAt(layer: number, list: Intervention[]): Intervention[] {
  return list.filter((iv) => layerInRange(layer, iv.layers));
}
