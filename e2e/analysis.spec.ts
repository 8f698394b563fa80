import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeTrace } from './engineHarness';

const TEXT = 'Hello world, the router. Hello again, router.';
const cli = (...args: string[]) => JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' }));

async function runPrompt(page: Page, text: string) {
  await page.getByTestId('prompt-input').fill(text);
  await page.getByTestId('prompt-input').press('Enter');
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
}

test('the cache and parallelism view shows the same numbers as `moe-lab analyze`', async ({ page }) => {
  const trace = nodeTrace('public/models/tiny-mixtral', TEXT);
  const f = join(mkdtempSync(join(tmpdir(), 'an-')), 'trace.json');
  writeFileSync(f, JSON.stringify(trace));
  const a = cli('analyze', f, '--m', '2,4,8', '--C', '1,2,4');
  await page.goto('./?model=tiny-mixtral');
  await runPrompt(page, TEXT);
  await page.locator('[data-testid="routing-cell"][data-layer="1"][data-token="0"]').click();
  const layer = a.layers[1];
  // (the view computes only while on screen: scroll to it as a person would)
  await page.getByTestId('cache-view').scrollIntoViewIfNeeded();
  await expect(page.getByTestId('srp')).toHaveText(['2', '4', '8'].map((m) => layer.srp[m].toFixed(3)).join(' / '));
  const cells = (name: string) => page.locator(`[data-testid="cache-table"] tr[data-policy="${name}"] td`);
  await expect(cells('Belady')).toHaveText(['Belady', ...['1', '2', '4'].map((C) => `${(layer.cache.belady[C] * 100).toFixed(1)}%`)]);
  await expect(cells('LRU')).toHaveText(['LRU', ...['1', '2', '4'].map((C) => `${(layer.cache.lru[C] * 100).toFixed(1)}%`)]);
  await expect(cells('SCH (m=4)')).toHaveText(['SCH (m=4)', ...['1', '2', '4'].map((C) => `${(layer.sch['4'][C] * 100).toFixed(1)}%`)]);
  // Expert load view: the same counts as analyze.
  const counts = await page.getByTestId('expert-load').locator('rect.bar').evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('data-count'))));
  expect(counts).toEqual(layer.counts);
  await expect(page.getByTestId('ep-view')).toContainText('LLEP');
});

test('contrastive attribution turns a ranking into a steering intervention; coupling shows its matrix', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await runPrompt(page, TEXT);
  await page.getByTestId('attr-a').fill('Hello world, the router.\nHello again.');
  await page.getByTestId('attr-b').fill('Grüße aus Köln.');
  await page.getByTestId('attr-run').click();
  await expect(page.getByTestId('attr-table').locator('tbody tr')).toHaveCount(3);
  // The CLI's traces of the same texts give the same top expert for A in layer 0.
  const a1 = nodeTrace('public/models/tiny-mixtral', 'Hello world, the router.');
  const a2 = nodeTrace('public/models/tiny-mixtral', 'Hello again.');
  const b = nodeTrace('public/models/tiny-mixtral', 'Grüße aus Köln.');
  const freq = (ts: typeof a1[], l: number) => {
    const c = new Array(8).fill(0);
    let T = 0;
    for (const t of ts) {
      T += t.tokens.length;
      t.layers[l].selected.forEach((s) => s.forEach((e) => c[e]++));
    }
    return c.map((x) => x / T);
  };
  const fa = freq([a1, a2], 0);
  const fb = freq([b], 0);
  const delta = fa.map((x, e) => x - fb[e]);
  const top = delta.indexOf(Math.max(...delta));
  await expect(page.getByTestId('attr-top-a-0')).toHaveText(new RegExp(`^${top} \\(\\+${delta[top].toFixed(2)}\\)`));
  await page.getByTestId('attr-towards-a').click();
  await expect(page.getByTestId('intervention').first()).toContainText('steer:layers=0,experts=');
  await expect(page.getByTestId('next-kl')).toBeVisible();

  await page.getByTestId('coupling-run').click();
  await expect(page.getByTestId('coupling-view').locator('rect.cell')).toHaveCount(64);
  await expect(page.getByTestId('row-dominance')).toHaveText(/^(0|1)\.\d{3}$/);
});
