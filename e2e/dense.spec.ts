// A model with dense layers (tiny-qwen2_moe: decoder_sparse_step 2, so layers 0 and 2 are plain
// MLPs with no router), converted by the CLI and opened through the folder picker: the map labels
// the dense rows, the MoE rows match the CLI, and the load view says the layer is dense.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { nodeTrace } from './engineHarness';

const DIR = 'test-results/dense-fixture/tiny-qwen2_moe';
const TEXT = 'Hello world, the router.';

test.beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  execFileSync('node', ['tools/moe-lab.mjs', 'convert', 'training/fixtures/tiny-qwen2_moe/hf', DIR, '--no-fused'], { encoding: 'utf8' });
});

test('dense layers: labelled rows in the map, MoE rows as the CLI, the load view says dense', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
  await page.getByTestId('model-folder').setInputFiles(DIR);
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText(/tiny-qwen2_moe/);
  await page.getByTestId('prompt-input').fill(TEXT);
  await page.getByTestId('prompt-input').press('Enter');
  const ref = nodeTrace(DIR, TEXT);
  const T = ref.tokens.length;
  const cell = (l: number, t: number) => page.locator(`[data-testid="routing-cell"][data-layer="${l}"][data-token="${t}"]`);
  await expect(page.getByTestId('routing-cell')).toHaveCount(4 * T);
  await expect(cell(3, T - 1)).toHaveAttribute('data-experts', /\d/);

  // Rows 0 and 2 are dense: labelled, cells with no experts and an aria-label that says why.
  const denseRows = page.locator('.map-row[data-kind="dense"] [role="rowheader"]');
  await expect(denseRows).toHaveText(['L0 dense', 'L2 dense']);
  await expect(cell(0, 1)).toHaveAttribute('data-experts', '');
  await expect(cell(0, 1)).toHaveAttribute('aria-label', /dense MLP layer \(no router, no experts\)$/);
  for (const l of [1, 3]) {
    const shown = await page.locator(`[data-testid="routing-cell"][data-layer="${l}"]`).evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.experts));
    expect(shown).toEqual(ref.layers[l].selected.map((s) => s.join(',')));
  }

  // Focus a dense cell: the load view (and router scores) say the layer is dense, no "dropped" bar.
  await cell(0, 1).click();
  await expect(page.getByTestId('expert-load').getByTestId('dense-note')).toHaveText(/^Layer 0 is dense \(no router\): every token goes through the same MLP\./);
  await expect(page.getByTestId('expert-load').locator('[data-metric="dropped"]')).toHaveCount(0);
  await expect(page.getByTestId('router-scores').getByTestId('dense-note')).toContainText('Layer 0 is dense (no router)');
  // An MoE layer draws its six experts' load as before.
  await cell(1, 1).click();
  await expect(page.getByTestId('expert-load').locator('rect.bar')).toHaveCount(6);
  await expect(page.getByTestId('expert-load').locator('[data-metric="dropped"] dd')).toHaveText('0.0%');
});
