import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';

test('the shipped model opens by default; its alignment view matches `moe-lab align`', async ({ page }) => {
  test.setTimeout(180_000);
  const cli = JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', 'align', '--model', 'public/models/babel-moe', '--articles', '2', '--langs', 'en,de,ja,zh'], { encoding: 'utf8' }));
  await page.goto('./');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, { timeout: 60_000 });
  await expect(page.getByTestId('model-select')).toHaveValue('babel-moe');
  await page.getByTestId('align-articles').fill('2');
  await page.getByTestId('run-align').click();
  for (const lang of ['de', 'ja', 'zh']) {
    const mean = cli.languages[lang].reduce((a: number, b: number) => a + b, 0) / cli.languages[lang].length;
    // The page averages unrounded per-layer values; the CLI rounds each to 1e-4.
    const shown = Number(await page.getByTestId(`align-mean-${lang}`).textContent({ timeout: 120_000 }));
    expect(Math.abs(shown - mean)).toBeLessThan(2e-4);
  }
  // The steering experiment gives the CLI's loss changes.
  const steer = JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', 'align', '--model', 'public/models/babel-moe', '--articles', '2', '--langs', 'en,de', '--steer', 'de', '--tau', '0.02', '--lambda', '0.5'], { encoding: 'utf8' })).steering;
  await page.getByTestId('steering').getByRole('combobox').selectOption('de');
  await page.getByTestId('steer-run').click();
  const fmt = (d: number) => `${d >= 0 ? '+' : ''}${d.toFixed(4)}`;
  await expect(page.getByTestId('steer-result')).toContainText(`middle layers ${steer.middle.layers.join(',')} ${fmt(steer.middle.delta)}`, { timeout: 120_000 });
  await expect(page.getByTestId('steer-result')).toContainText(`outside ${steer.outside.layers.join(',')} ${fmt(steer.outside.delta)}`);
  await page.getByTestId('alignment-view').screenshot({ path: 'docs/screenshot-alignment.png' });
});
