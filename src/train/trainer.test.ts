// Seeded training runs of the playground: what each balancing method does to the load, that a
// preset replays exactly, upcycling, and the URL form of the settings.
import { describe, expect, it } from 'vitest';
import { formatTrainSpec, parseTrainSpec, TRAIN_DEFAULTS, type TrainConfig } from './config';
import { presetById, PRESETS } from './presets';
import { LANGUAGES_ENTROPY, LETTERS } from './data';
import { maxVio, Trainer, type StepStats } from './trainer';

/** Run `steps` steps; the mean MaxVio and mean load per expert over the last 100. */
function run(c: TrainConfig, steps = 400) {
  const t = new Trainer(c);
  const stats: StepStats[] = [];
  for (let s = 0; s < steps; s++) stats.push(t.train());
  const tail = stats.slice(-100);
  const load = tail[0].load.map((_, i) => tail.reduce((a, s) => a + s.load[i], 0) / tail.length);
  return {
    t,
    stats,
    maxVio: tail.reduce((a, s) => a + s.maxVio, 0) / tail.length,
    load,
    task: tail.reduce((a, s) => a + s.task, 0) / tail.length,
  };
}

describe('balancing methods on a seeded run (xor, seed 2, E = 4, k = 1, 400 steps)', () => {
  // Measured: mean MaxVio over the last 100 steps 1.22 (none), 0.40 (aux α = 0.1), 0.40 (loss-free
  // u = 0.01); 0.4 is about the floor that sampling 32 points into 4 experts leaves.
  const none = run(presetById('dead-experts')!.config);
  it('without balancing two experts (nearly) die and MaxVio is above 1', () => {
    // measured mean loads: 0.51, 0.47, 0.023, 0.005
    expect(none.load.filter((l) => l < 0.03)).toHaveLength(2);
    expect(none.maxVio).toBeGreaterThan(1.1);
  });
  it('loss-free bias balancing revives them and cuts MaxVio by more than 0.6', () => {
    const lf = run(presetById('loss-free')!.config);
    expect(Math.min(...lf.load)).toBeGreaterThan(0.1);
    expect(lf.maxVio).toBeLessThan(none.maxVio - 0.6);
    expect(lf.t.bias.some((b) => b !== 0)).toBe(true);
  });
  it('the auxiliary loss does the same through the gradient', () => {
    const aux = run(presetById('aux-loss')!.config);
    expect(Math.min(...aux.load)).toBeGreaterThan(0.1);
    expect(aux.maxVio).toBeLessThan(none.maxVio - 0.6);
  });
  it('every run learns the task: the loss falls from its start', () => {
    expect(none.stats[0].task).toBeGreaterThan(0.5);
    expect(none.task).toBeLessThan(0.1);
  });
});

describe('other routers on seeded runs', () => {
  it('expert choice keeps the load flat (MaxVio 0) and some points unrouted', () => {
    const ec = run(presetById('expert-choice')!.config, 200);
    expect(ec.stats.every((s) => s.maxVio === 0)).toBe(true);
    expect(ec.stats.some((s) => s.dropped > 0)).toBe(true);
  });
  it('capacity factor 1 drops assignments; unlimited capacity drops none', () => {
    const cap = run(presetById('capacity')!.config, 200);
    expect(cap.stats.some((s) => s.dropped > 0.1)).toBe(true);
    const free = run({ ...presetById('capacity')!.config, capacity: 0 }, 200);
    expect(free.stats.every((s) => s.dropped === 0)).toBe(true);
  });
  it('hash routing: regions do not move while training', () => {
    const t = new Trainer(presetById('hash')!.config);
    const before = t.regions(12).experts;
    for (let s = 0; s < 50; s++) t.train();
    expect(Array.from(t.regions(12).experts)).toEqual(Array.from(before));
    expect(new Set(before).size).toBe(4);
  });
});

describe('the sequence task (three synthetic languages, next-token prediction)', () => {
  /** Per language, the experts its 8 tokens are routed to, as a string. */
  const rows = (t: Trainer) => {
    const e = Array.from(t.tokenRouting().experts);
    return [0, 1, 2].map((l) => e.slice(l * LETTERS, (l + 1) * LETTERS).join(''));
  };
  it('the preset ends with one expert per language and the loss near the bigram entropy', () => {
    // measured at step 1500: loss 1.240 (mean of the last 100 steps) against the floor 1.171
    const r = run(presetById('languages')!.config, 1500);
    expect(rows(r.t)).toEqual(['00000000', '22222222', '11111111']);
    expect(LANGUAGES_ENTROPY).toBeCloseTo(1.171, 3);
    expect(r.task).toBeLessThan(LANGUAGES_ENTROPY + 0.1);
    expect(r.stats[0].task).toBeGreaterThan(3); // ≈ log 24 at the start
  });
  it('hash routing mixes the languages: no row is one expert', () => {
    const r = run({ ...presetById('languages')!.config, router: 'hash', balance: 'none' }, 10);
    for (const row of rows(r.t)) expect(new Set(row).size).toBeGreaterThan(1);
  });
});

describe('presets', () => {
  it('every preset replays exactly with its seed (same statistics, same parameters)', () => {
    for (const p of PRESETS) {
      const a = run(p.config, 30);
      const b = run(p.config, 30);
      expect(b.stats).toEqual(a.stats);
      expect(b.t.snapshotParams()).toEqual(a.t.snapshotParams());
    }
  });
  it('a different seed gives a different run', () => {
    const c = presetById('dead-experts')!.config;
    expect(run({ ...c, seed: 3 }, 5).stats).not.toEqual(run(c, 5).stats);
  });
});

describe('upcycling', () => {
  it('doubles the experts at the given step; the copies start as their parents and then diverge', () => {
    const t = new Trainer({ ...TRAIN_DEFAULTS, task: 'spirals', experts: 2, upcycleAt: 5 });
    for (let s = 0; s < 5; s++) t.train();
    expect(t.experts).toBe(2);
    const parent = t.snapshotParams();
    t.train(); // step 6 upcycles first, then trains
    expect(t.experts).toBe(4);
    expect(t.train().load).toHaveLength(4);
    for (let s = 0; s < 100; s++) t.train();
    const p = t.snapshotParams();
    const diff = (a: Float64Array, b: Float64Array) =>
      Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(parent.experts[0].length).toBe(p.experts[2].length);
    expect(diff(p.experts[0], p.experts[2])).toBeGreaterThan(1e-3);
  });
  it('stops at 32 experts', () => {
    const t = new Trainer({ ...TRAIN_DEFAULTS, experts: 16 });
    expect(t.upcycle()).toBe(true);
    expect(t.upcycle()).toBe(false);
    expect(t.experts).toBe(32);
  });
});

describe('MaxVio', () => {
  it('is (max − mean) / mean of the counts', () => {
    expect(maxVio([8, 8, 8, 8])).toBe(0);
    expect(maxVio([16, 16, 0, 0])).toBe(1);
    expect(maxVio([32, 0, 0, 0])).toBe(3);
    expect(maxVio([0, 0])).toBe(0);
  });
});

describe('train= URL spec', () => {
  it('writes only what differs from the defaults and reads it back', () => {
    expect(formatTrainSpec(TRAIN_DEFAULTS)).toBe('');
    const c: TrainConfig = {
      ...TRAIN_DEFAULTS,
      task: 'xor',
      experts: 6,
      topk: 2,
      router: 'sigmoid',
      balance: 'aux',
      weight: 0.05,
      renorm: true,
      upcycleAt: 300,
    };
    const spec = formatTrainSpec(c);
    expect(spec).toBe('task:xor,E:6,k:2,router:sigmoid,bal:aux,wt:0.05,renorm:1,up:300');
    expect(parseTrainSpec(spec)).toEqual(c);
    for (const p of PRESETS) expect(parseTrainSpec(formatTrainSpec(p.config))).toEqual(p.config);
  });
  it('names each bad part and keeps the rest', () => {
    const warnings: string[] = [];
    const c = parseTrainSpec('task:moons,E:6,lr:fast,zz:1,k:9', (m) => warnings.push(m));
    expect(warnings).toEqual([
      'task must be one of clusters, spirals, checkerboard, xor, languages, got "moons"',
      'lr must be a number in [0, 10], got "fast"',
      'unknown setting "zz:1" (settings: task, seed, E, k, w, router, bal, wt, cf, lr, B, noise, opt, renorm, up)',
      'k must be an integer in [1, 8], got "9"',
    ]);
    expect(c).toEqual({ ...TRAIN_DEFAULTS, experts: 6 });
    const w2: string[] = [];
    expect(parseTrainSpec('E:2,k:3', (m) => w2.push(m)).topk).toBe(2);
    expect(w2).toEqual(['k must be ≤ E (2), got 3']);
  });
});
