import { test, expect } from '@playwright/test';

test('the lab shell shows its landmarks and test hooks, isolated, with a clean console', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await page.goto('./');
  await expect(page.getByRole('banner')).toContainText('MoE Routing Lab');
  await expect(page.getByRole('main')).toBeVisible();
  await expect(page.getByRole('contentinfo')).toContainText(/v\d+\.\d+\.\d+/);
  for (const id of ['prompt-input', 'model-select', 'backend-badge', 'routing-map', 'router-scores', 'expert-load', 'next-token', 'alignment-view']) {
    await expect(page.getByTestId(id)).toBeVisible();
  }
  // Labels: the prompt and model picker are reachable by their accessible names.
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveAttribute('data-testid', 'prompt-input');
  await expect(page.getByLabel('Model', { exact: true })).toHaveAttribute('data-testid', 'model-select');
  // Keyboard: Tab from the top reaches the skip link and then the model picker.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the routing map' })).toBeFocused();

  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  const ortWasm = await page.request.get('ort/ort-wasm-simd-threaded.wasm');
  expect(ortWasm.status()).toBe(200);
  expect(ortWasm.headers()['content-type']).toContain('application/wasm');

  await page.screenshot({ path: 'docs/screenshot-shell.png' });
  expect(problems).toEqual([]);
});

test('the shell works on a narrow screen: panels stack in one column', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('./');
  const map = await page.getByTestId('routing-map').boundingBox();
  const scores = await page.getByTestId('router-scores').boundingBox();
  expect(map && scores).toBeTruthy();
  // Stacked: the side panel starts below the map and both fit the viewport's width.
  expect(scores!.y).toBeGreaterThan(map!.y + map!.height - 1);
  expect(map!.width).toBeLessThanOrEqual(390);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
