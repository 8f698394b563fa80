#!/usr/bin/env node
/* global performance */
// Benchmark (not a test) of the training playground's maths in Node: optimiser steps per second
// of the default 2-D setup (E = 4, k = 1, experts 2×8 hidden, batch 32, softmax router, Adam),
// plus a heavier setup and the cost of one snapshot's decision-region grid. Prints one JSON object.
// BENCH_TRAIN_STEPS sets the measured steps (default 2000, after 200 warm-up steps).
import { register } from 'tsx/esm/api';
import os from 'node:os';

register();
const { Trainer } = await import('../src/train/trainer.ts');
const { TRAIN_DEFAULTS } = await import('../src/train/config.ts');
const { REGION_GRID } = await import('../src/train/session.ts');

const STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 2000);

function stepsPerSecond(config) {
  const t = new Trainer(config);
  for (let i = 0; i < 200; i++) t.train();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) t.train();
  return Math.round((STEPS / (performance.now() - t0)) * 1000);
}

const regionsMs = (() => {
  const t = new Trainer(TRAIN_DEFAULTS);
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) t.regions(REGION_GRID);
  return +((performance.now() - t0) / 50).toFixed(2);
})();

console.log(
  JSON.stringify(
    {
      machine: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}`,
      default_2d: {
        config: 'E=4 k=1 w=8 B=32 softmax adam',
        steps_per_s: stepsPerSecond(TRAIN_DEFAULTS),
        target: 30,
      },
      heavier: {
        config: 'E=8 k=2 w=16 B=128 sigmoid lossfree',
        steps_per_s: stepsPerSecond({
          ...TRAIN_DEFAULTS,
          experts: 8,
          topk: 2,
          width: 16,
          batch: 128,
          router: 'sigmoid',
          balance: 'lossfree',
          weight: 0.01,
        }),
      },
      regions_grid_ms: { grid: `${REGION_GRID}×${REGION_GRID}`, ms: regionsMs },
    },
    null,
    2,
  ),
);
