import { test, expect } from '@playwright/test';
import { FIXTURE_TEXT, expectLayersMatch, forward, load, nodeTrace, openHarness } from './engineHarness';

test('the fixture bundle runs on the WebGPU EP (SwiftShader here) and matches Node within 1e-3', async ({ page }) => {
  await openHarness(page);
  const loaded = await load(page, 'models/tiny-mixtral/');
  expect(loaded.type).toBe('loaded');
  if (loaded.type !== 'loaded') return;
  // The backend that really ran, not the one asked for.
  expect(loaded.backend, loaded.backendNote ?? '').toBe('webgpu');
  const ref = nodeTrace('public/models/tiny-mixtral', FIXTURE_TEXT);
  const run = await forward(page, FIXTURE_TEXT);
  expect(run.final.type).toBe('forwarded');
  expectLayersMatch(run.layers, ref, 1e-3);
});

test('the page’s backend badge says webgpu when the WebGPU EP really ran', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral&q=Hello');
  await expect(page.getByTestId('backend-badge')).toHaveText('webgpu', { timeout: 60_000 });
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
});
