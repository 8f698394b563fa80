import { test, expect } from '@playwright/test';
import { FIXTURE_TEXT, expectLayersMatch, forward, load, nodeTrace, openHarness } from './engineHarness';

const MODEL = 'models/tiny-mixtral/';

test('the worker runs the fixture bundle on WASM and picks the same top-k experts as the Node CLI', async ({ page }) => {
  await openHarness(page);
  const loaded = await load(page, MODEL, 'wasm');
  expect(loaded.type).toBe('loaded');
  if (loaded.type !== 'loaded') return;
  expect(loaded.backend).toBe('wasm');
  expect(loaded.manifest.id).toBe('tiny-mixtral');

  const ref = nodeTrace('public/models/tiny-mixtral', FIXTURE_TEXT);
  const run = await forward(page, FIXTURE_TEXT);
  expect(run.final.type).toBe('forwarded');
  // One streamed event per layer, in order.
  expect(run.layers.map((l) => l.layer)).toEqual([0, 1, 2]);
  expectLayersMatch(run.layers, ref, 1e-4);
});

test('a broken bundle URL is reported with the file and the problem, and the loaded model keeps working', async ({ page }) => {
  await openHarness(page);
  expect((await load(page, MODEL, 'wasm')).type).toBe('loaded');
  const bad = await load(page, 'models/does-not-exist/', 'wasm');
  expect(bad.type).toBe('error');
  if (bad.type === 'error') expect(bad.message).toMatch(/^manifest\.json: cannot be read \((HTTP 404|not found at .*models\/does-not-exist\/manifest\.json)/);
  const run = await forward(page, FIXTURE_TEXT);
  expect(run.final.type).toBe('forwarded');
});
