// Quantised bundles (com.microsoft.MatMulNBits, 8 and 4 bits) in Chromium, on the WebGPU EP
// (SwiftShader here) and on WASM: the fixture is converted with --dtype q8/q4 into the served
// dist/ folder, run through the worker, and compared with onnxruntime-node's trace of it.
import { execFileSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { FIXTURE_TEXT, expectLayersMatch, forward, load, nodeTrace, openHarness } from './engineHarness';

for (const dtype of ['q4', 'q8'] as const) {
  const dir = `dist/models/tiny-mixtral-${dtype}`;
  test.beforeAll(() => {
    execFileSync('node', ['tools/moe-lab.mjs', 'convert', 'training/fixtures/tiny-mixtral/hf', dir, '--dtype', dtype, '--no-fused'], { stdio: 'ignore' });
  });

  for (const backend of ['webgpu', 'wasm'] as const) {
    test(`a ${dtype} bundle runs on ${backend} and matches onnxruntime-node`, async ({ page }) => {
      await openHarness(page);
      const loaded = await load(page, `models/tiny-mixtral-${dtype}/`, backend);
      expect(loaded.type, JSON.stringify(loaded).slice(0, 400)).toBe('loaded');
      if (loaded.type !== 'loaded') return;
      // The backend that really ran: no silent fallback from WebGPU to WASM.
      expect(loaded.backend, loaded.backendNote ?? '').toBe(backend);
      expect(loaded.manifest.dtype).toBe(dtype);
      const ref = nodeTrace(dir, FIXTURE_TEXT);
      const run = await forward(page, FIXTURE_TEXT);
      expect(run.final.type).toBe('forwarded');
      // router logits measured: webgpu ≤ 4.4e-4, wasm 2e-6
      expectLayersMatch(run.layers, ref, 1e-3);
    });
  }
}
