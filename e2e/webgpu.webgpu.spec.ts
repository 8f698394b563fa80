import { test, expect } from '@playwright/test';

test('Chromium with --enable-unsafe-webgpu exposes a WebGPU adapter (SwiftShader here)', async ({ page }) => {
  await page.goto('./');
  const info = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return { hasGpu: false, adapter: false };
    const adapter = (await gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string } } | null;
    return { hasGpu: true, adapter: adapter !== null, vendor: adapter?.info?.vendor ?? '', arch: adapter?.info?.architecture ?? '' };
  });
  expect(info.hasGpu).toBe(true);
  expect(info.adapter).toBe(true);
});
