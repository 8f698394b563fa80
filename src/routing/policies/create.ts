// Spec string → RouterPolicy, with parameter checking against the catalogue.
import type { NativeRouter, PolicyState, RouteInput, RouterPolicy, Routing } from '../types';
import { SpecError, splitSpec } from '../spec';
import { POLICY_CATALOGUE, POLICY_NAMES, type ParamSpec } from './catalogue';
import { routeNative } from './native';
import { dense, nullExperts, sample, topk, topp, tsallis } from './basic';
import { capacity, expertChoice } from './capacity';
import { hashRoute, randomRoute } from './static';
import { cosineRoute, KMeansState } from './geometric';
import { BalanceBiasState } from './balance';

export interface PolicyContext {
  native: NativeRouter;
  numExperts: number;
}

function checkParam(policy: string, p: ParamSpec, raw: string): number {
  const v = Number(raw);
  const range = `${p.exclusiveMin ? '(' : '['}${p.min}, ${p.max}]`;
  if (raw === '' || !Number.isFinite(v)) throw new SpecError(`${policy}: ${p.name} must be a number, got "${raw}"`);
  if (p.integer && !Number.isInteger(v)) throw new SpecError(`${policy}: ${p.name} must be an integer, got ${raw}`);
  if (v > p.max || v < p.min || (p.exclusiveMin && v === p.min)) throw new SpecError(`${policy}: ${p.name} must be in ${range}, got ${raw}`);
  return v;
}

export function parsePolicySpec(spec: string): { name: string; params: Record<string, number>; spec: string } {
  const { name, params } = splitSpec(spec);
  const info = POLICY_CATALOGUE.find((p) => p.name === name);
  if (!info) throw new SpecError(`unknown router "${name}" (known: ${POLICY_NAMES.join(', ')})`);
  const out: Record<string, number> = {};
  for (const p of info.params) out[p.name] = p.default;
  for (const [k, raw] of params) {
    const p = info.params.find((x) => x.name === k);
    if (!p) throw new SpecError(`${name}: unknown parameter "${k}" (${info.params.length ? `known: ${info.params.map((x) => x.name).join(', ')}` : 'it takes none'})`);
    out[k] = checkParam(name, p, raw);
  }
  const canonical = info.params.length ? `${name}:${info.params.map((p) => `${p.name}=${out[p.name]}`).join(',')}` : name;
  return { name, params: out, spec: canonical };
}

export function createPolicy(spec: string, ctx: PolicyContext): RouterPolicy {
  const { name, params: a, spec: canonical } = parsePolicySpec(spec);
  const info = POLICY_CATALOGUE.find((p) => p.name === name)!;
  let route: (inp: RouteInput) => Routing;
  let state: (layer: number) => PolicyState | undefined = () => undefined;
  let reset = () => {};
  const needs: RouterPolicy['needs'] = {};
  if ('k' in a && a.k > ctx.numExperts && name !== 'null') throw new SpecError(`${name}: k = ${a.k} exceeds the model's ${ctx.numExperts} experts`);
  switch (name) {
    case 'native':
      route = (i) => routeNative(i, ctx.native);
      break;
    case 'topk':
      route = (i) => topk(i, a.k, a.renorm === 1);
      break;
    case 'capacity':
      route = (i) => capacity(i, a.k, a.cf);
      break;
    case 'expert-choice':
      route = (i) => expertChoice(i, a.c);
      break;
    case 'topp':
      route = (i) => topp(i, a.p);
      break;
    case 'null':
      route = (i) => nullExperts(i, a.m, a.k, a.offset);
      break;
    case 'kmeans': {
      const km = new KMeansState();
      route = (i) => km.route(i, a.tau, a.k);
      state = (l) => km.state(l);
      reset = () => km.reset();
      needs.hidden = needs.routerWeights = true;
      break;
    }
    case 'cosine':
      route = (i) => cosineRoute(i, a.tau, a.k);
      needs.hidden = needs.routerWeights = true;
      break;
    case 'hash':
      route = hashRoute;
      needs.tokenIds = true;
      break;
    case 'random':
      route = (i) => randomRoute(i, a.k, a.seed);
      needs.tokenIds = true;
      break;
    case 'balance-bias': {
      const bb = new BalanceBiasState();
      route = (i) => bb.route(i, a.u, a.k, a.block);
      state = (l) => bb.state(l);
      reset = () => bb.reset();
      break;
    }
    case 'sample':
      route = (i) => sample(i, a.T, a.k, a.seed);
      break;
    case 'tsallis':
      route = (i) => tsallis(i, a.q, a.threshold, a.k);
      break;
    default:
      route = dense;
  }
  return { spec: canonical, name, causal: info.causal, needs, route, reset, state };
}
