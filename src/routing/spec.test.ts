// Spec strings: router policies (`name:key=value,…`) and interventions
// (`kind:layers=…,experts=…,param=…`): canonical forms, round trips and every error message.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkInterventionFits, formatIntervention, interventionsAt, INTERVENTION_KINDS, INTERVENTION_PARAMS, layerInRange, parseIntervention, SpecError, splitSpec } from './spec';
import { createPolicy, parsePolicySpec } from './policies/create';
import { POLICY_CATALOGUE, POLICY_NAMES } from './policies/catalogue';
import { MIXTRAL } from './testing';
import type { Intervention } from './types';

describe('splitSpec', () => {
  it('splits name and key=value pairs, trimming spaces', () => {
    const s = splitSpec(' topk : k = 2 , renorm=0 ');
    expect(s.name).toBe('topk');
    expect([...s.params]).toEqual([
      ['k', '2'],
      ['renorm', '0'],
    ]);
    expect(splitSpec('hash').params.size).toBe(0);
    expect(splitSpec('hash:').params.size).toBe(0);
  });
});

describe('router policy specs', () => {
  it('canonical spec of each policy with its defaults', () => {
    const canonical: Record<string, string> = {
      native: 'native',
      topk: 'topk:k=2,renorm=1',
      capacity: 'capacity:k=1,cf=1',
      'expert-choice': 'expert-choice:c=1',
      topp: 'topp:p=0.4',
      null: 'null:m=8,k=4,offset=0',
      kmeans: 'kmeans:k=2,tau=10',
      cosine: 'cosine:k=2,tau=10',
      hash: 'hash',
      random: 'random:k=2,seed=0',
      'balance-bias': 'balance-bias:k=2,u=0.001,block=16',
      sample: 'sample:k=2,T=1,seed=0',
      tsallis: 'tsallis:k=2,q=2,threshold=0.9',
      dense: 'dense',
    };
    expect(Object.keys(canonical).sort()).toEqual([...POLICY_NAMES].sort());
    for (const [name, spec] of Object.entries(canonical)) {
      expect(parsePolicySpec(name).spec).toBe(spec);
      expect(parsePolicySpec(spec).spec).toBe(spec); // round trip
      const p = createPolicy(name, { native: MIXTRAL, numExperts: 8 });
      expect(p.spec).toBe(spec);
      expect(p.name).toBe(name);
    }
  });

  it('fills defaults, orders parameters as the catalogue does, keeps given values', () => {
    expect(parsePolicySpec('topk:renorm=0,k=3')).toEqual({ name: 'topk', params: { k: 3, renorm: 0 }, spec: 'topk:k=3,renorm=0' });
    expect(parsePolicySpec('capacity:cf=1.5').spec).toBe('capacity:k=1,cf=1.5');
    expect(parsePolicySpec('null:offset=-2.5,m=1').spec).toBe('null:m=1,k=4,offset=-2.5');
    expect(parsePolicySpec('balance-bias:u=1e-4').params.u).toBe(0.0001);
    expect(parsePolicySpec('topp:p=1').params.p).toBe(1); // max is inclusive
    expect(parsePolicySpec('balance-bias:u=0').params.u).toBe(0); // min inclusive where not marked exclusive
  });

  it('round-trips random valid parameter values through the canonical spec', () => {
    fc.assert(
      fc.property(fc.constantFrom(...POLICY_CATALOGUE.filter((p) => p.params.length)), fc.nat(), (info, seed) => {
        const values = info.params.map((p, i) => {
          const span = p.max - p.min;
          const u = ((seed * (i + 7919)) % 1000) / 1000;
          const v = p.min + (p.exclusiveMin ? 0.001 + u * 0.998 : u) * span;
          return p.integer ? Math.max(p.exclusiveMin ? p.min + 1 : p.min, Math.round(v)) : v;
        });
        const spec = `${info.name}:${info.params.map((p, i) => `${p.name}=${values[i]}`).join(',')}`;
        const parsed = parsePolicySpec(spec);
        expect(parsed.spec).toBe(spec);
        info.params.forEach((p, i) => expect(parsed.params[p.name]).toBe(values[i]));
      }),
      { numRuns: 200 },
    );
  });

  it('names the problem in every bad spec', () => {
    const bad: [string, string][] = [
      ['', 'empty spec'],
      ['topq', 'unknown router "topq" (known: native, topk, capacity, expert-choice, topp, null, kmeans, cosine, hash, random, balance-bias, sample, tsallis, dense)'],
      ['topp:p=1.5', 'topp: p must be in (0, 1], got 1.5'],
      ['topp:p=0', 'topp: p must be in (0, 1], got 0'],
      ['sample:T=0', 'sample: T must be in (0, 100], got 0'],
      ['capacity:cf=17', 'capacity: cf must be in (0, 16], got 17'],
      ['topk:k=0', 'topk: k must be in [1, 64], got 0'],
      ['topk:renorm=2', 'topk: renorm must be in [0, 1], got 2'],
      ['balance-bias:block=0', 'balance-bias: block must be in [1, 4096], got 0'],
      ['null:offset=-21', 'null: offset must be in [-20, 20], got -21'],
      ['topk:k=1.5', 'topk: k must be an integer, got 1.5'],
      ['topk:k=abc', 'topk: k must be a number, got "abc"'],
      ['topk:k=', 'topk: k must be a number, got ""'],
      ['topp:p=Infinity', 'topp: p must be a number, got "Infinity"'],
      ['topk:q=1', 'topk: unknown parameter "q" (known: k, renorm)'],
      ['hash:k=1', 'hash: unknown parameter "k" (it takes none)'],
      ['topk:k', 'bad parameter "k" in "topk:k": write key=value'],
      ['topk:=2', 'bad parameter "=2" in "topk:=2": write key=value'],
      ['topk:k=2,k=3', 'parameter "k" given twice in "topk:k=2,k=3"'],
    ];
    for (const [spec, msg] of bad) {
      expect(() => parsePolicySpec(spec), spec).toThrow(SpecError);
      expect(() => parsePolicySpec(spec), spec).toThrow(msg);
    }
  });

  it('rejects k above the model’s expert count (except null, whose k counts null slots)', () => {
    expect(() => createPolicy('topk:k=9', { native: MIXTRAL, numExperts: 8 })).toThrow("topk: k = 9 exceeds the model's 8 experts");
    expect(() => createPolicy('capacity:k=3', { native: MIXTRAL, numExperts: 2 })).toThrow("capacity: k = 3 exceeds the model's 2 experts");
    expect(() => createPolicy('null:m=8,k=6', { native: MIXTRAL, numExperts: 2 })).not.toThrow();
  });
});

describe('intervention specs', () => {
  it('parses layers, experts and parameters with their defaults', () => {
    expect(parseIntervention('steer:layers=1-3,experts=1+4,lambda=0.5')).toEqual({ kind: 'steer', layers: { from: 1, to: 3 }, experts: [1, 4], params: { lambda: 0.5 } });
    expect(parseIntervention('bias:experts=2')).toEqual({ kind: 'bias', layers: '*', experts: [2], params: { value: 1 } });
    expect(parseIntervention('skip:layers=4')).toEqual({ kind: 'skip', layers: { from: 4, to: 4 }, experts: [], params: {} });
    expect(parseIntervention('rewire:layers=*').params).toEqual({ steps: 8, lr: 0.5, c: 0.1, seed: 0 });
    expect(parseIntervention('upcycle:experts=3').params).toEqual({ noise: 0.01, seed: 0 });
    expect(parseIntervention('repeat:layers=2').params).toEqual({ n: 2 });
  });

  it('round-trips canonical strings of every kind', () => {
    const canonical = [
      'bias:layers=0,experts=1,value=1',
      'bias:layers=2-5,experts=0+3,value=-0.5',
      'steer:layers=1-3,experts=1+4,lambda=0.5',
      'force:layers=*,experts=2,eps=0.001',
      'mask:layers=2,experts=3',
      'temp:layers=*,t=2',
      'upcycle:layers=0,experts=1,noise=0.01,seed=0',
      'skip:layers=4',
      'repeat:layers=0,n=3',
      'rewire:layers=*,steps=8,lr=0.5,c=0.1,seed=0',
    ];
    expect(new Set(canonical.map((s) => s.split(':')[0]))).toEqual(new Set(INTERVENTION_KINDS));
    for (const s of canonical) expect(formatIntervention(parseIntervention(s))).toBe(s);
  });

  it('canonicalises: defaults written out, parameter order fixed, 1-1 written as 1, spaces dropped', () => {
    expect(formatIntervention(parseIntervention('bias:experts=1'))).toBe('bias:layers=*,experts=1,value=1');
    expect(formatIntervention(parseIntervention(' mask : layers = 1-1 , experts = 2 '))).toBe('mask:layers=1,experts=2');
    expect(formatIntervention(parseIntervention('upcycle:seed=3,experts=2,noise=0'))).toBe('upcycle:layers=*,experts=2,noise=0,seed=3');
    expect(formatIntervention(parseIntervention('mask:experts=4+1,layers=0'))).toBe('mask:layers=0,experts=4+1'); // expert order kept
  });

  it('parse(format(iv)) gives back iv for random interventions', () => {
    const layersArb = fc.oneof(fc.constant('*' as const), fc.tuple(fc.nat(40), fc.nat(40)).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })));
    const ivArb = fc.constantFrom(...INTERVENTION_KINDS).chain((kind) =>
      fc.record({
        kind: fc.constant(kind),
        layers: layersArb,
        experts: fc.uniqueArray(fc.nat(63), { minLength: 1, maxLength: 4 }),
        params: fc.record(
          Object.fromEntries(
            Object.keys(INTERVENTION_PARAMS[kind]).map((k) => [
              k,
              k === 'n' ? fc.integer({ min: 0, max: 8 }) : k === 'steps' ? fc.integer({ min: 1, max: 100 }) : k === 't' ? fc.double({ min: 0.01, max: 10, noNaN: true }) : fc.double({ min: -100, max: 100, noNaN: true }),
            ]),
          ),
        ),
      }),
    );
    fc.assert(
      fc.property(ivArb, (iv) => {
        const norm: Intervention = { ...iv, params: Object.fromEntries(Object.entries(iv.params).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])) };
        expect(parseIntervention(formatIntervention(norm))).toEqual(norm);
      }),
      { numRuns: 300 },
    );
  });

  it('names the problem in every bad intervention', () => {
    const bad: [string, string][] = [
      ['nuke:layers=1', 'unknown intervention "nuke" (known: bias, steer, force, mask, temp, upcycle, skip, repeat, rewire)'],
      ['mask:layers=x,experts=1', 'bad intervention "mask:layers=x,experts=1": layers must be an index, a range i-j or *'],
      ['mask:layers=1-,experts=1', 'layers must be an index, a range i-j or *'],
      ['mask:layers=-1,experts=1', 'layers must be an index, a range i-j or *'],
      ['mask:layers=,experts=1', 'layers must be an index, a range i-j or *'],
      ['mask:layers=3-1,experts=1', 'bad intervention "mask:layers=3-1,experts=1": layer range 3-1 is empty'],
      ['mask:layers=1', 'bad intervention "mask:layers=1": mask needs experts=<a+b+…>'],
      ['bias:layers=1', 'bias needs experts=<a+b+…>'],
      ['steer:layers=1', 'steer needs experts=<a+b+…>'],
      ['force:layers=1', 'force needs experts=<a+b+…>'],
      ['upcycle:layers=1', 'upcycle needs experts=<a+b+…>'],
      ['mask:layers=1,experts=2+2', 'bad intervention "mask:layers=1,experts=2+2": an expert is listed twice'],
      ['mask:layers=1,experts=a', 'experts must be ids joined by +, e.g. 1+4'],
      ['mask:layers=1,experts=1+', 'experts must be ids joined by +, e.g. 1+4'],
      ['mask:layers=1,experts=-1', 'experts must be ids joined by +, e.g. 1+4'],
      ['steer:layers=1,experts=2,lambda=x', 'bad intervention "steer:layers=1,experts=2,lambda=x": lambda must be a number, got "x"'],
      ['bias:layers=1,experts=2,value=', 'value must be a number, got ""'],
      ['steer:layers=1,experts=2,lamda=1', 'steer has no parameter "lamda" (known: layers, experts, lambda)'],
      ['mask:layers=1,experts=1,value=1', 'mask has no parameter "value" (known: layers, experts)'],
      ['temp:layers=1,t=0', 'bad intervention "temp:layers=1,t=0": t must be > 0'],
      ['temp:layers=1,t=-1', 't must be > 0'],
      ['repeat:layers=1,n=9', 'n must be an integer in 0..8'],
      ['repeat:layers=1,n=1.5', 'n must be an integer in 0..8'],
      ['rewire:layers=1,steps=0', 'steps must be an integer in 1..100'],
      ['rewire:layers=1,steps=101', 'steps must be an integer in 1..100'],
      ['mask:layers=1,layers=2,experts=1', 'parameter "layers" given twice'],
      ['', 'empty spec'],
    ];
    for (const [spec, msg] of bad) {
      expect(() => parseIntervention(spec), spec).toThrow(SpecError);
      expect(() => parseIntervention(spec), spec).toThrow(msg);
    }
  });
});

describe('layer selection', () => {
  it('layerInRange and interventionsAt', () => {
    expect(layerInRange(7, '*')).toBe(true);
    expect([0, 1, 2, 3, 4].map((l) => layerInRange(l, { from: 1, to: 3 }))).toEqual([false, true, true, true, false]);
    const list = ['mask:layers=0,experts=1', 'bias:layers=1-2,experts=0', 'temp:layers=*,t=2'].map(parseIntervention);
    expect(interventionsAt(0, list).map((iv) => iv.kind)).toEqual(['mask', 'temp']);
    expect(interventionsAt(2, list).map((iv) => iv.kind)).toEqual(['bias', 'temp']);
    expect(interventionsAt(3, list).map((iv) => iv.kind)).toEqual(['temp']);
  });
});

describe('checkInterventionFits (the model the spec runs on)', () => {
  // 4 layers: 0 dense, 1–3 with 8 experts
  const E = (l: number) => (l === 0 ? 0 : 8);
  const fits = (s: string) => () => checkInterventionFits(parseIntervention(s), 4, E);
  it('names the layer range, the expert range and dense layers', () => {
    expect(fits('mask:layers=1-3,experts=7')).not.toThrow();
    expect(fits('skip:layers=0')).not.toThrow();
    expect(fits('mask:layers=2-4,experts=1')).toThrow('bad intervention "mask:layers=2-4,experts=1": layer 4 is outside the model\'s layers 0..3');
    expect(fits('mask:layers=*,experts=8')).toThrow('bad intervention "mask:layers=*,experts=8": expert 8 is outside the experts 0..7 of layers 0-3');
    expect(fits('steer:layers=0,experts=1,lambda=0.5')).toThrow('bad intervention "steer:layers=0,experts=1,lambda=0.5": layer 0 is dense (no experts to act on)');
    expect(() => parseIntervention(`mask:layers=1,experts=${Array.from({ length: 2000 }, (_, i) => i).join('+')}`)).toThrow(/is 8\d{3} characters long, over the limit of 4096$/);
  });
});
