// Analyses are part of a shared link: what one person computed (attribution, coupling, alignment,
// steering) is computed again when another opens the URL, with the same numbers.
import { test, expect } from '@playwright/test';
import { ready, runPrompt } from './appPage';

test('attribution and coupling computed by hand come back from the shared URL without a click', async ({ page, browser }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, 'Hello world, the router.');
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await page.getByTestId('attr-a').fill('Hello world, the router.\nHello again.');
  await page.getByTestId('attr-b').fill('Grüße aus Köln.');
  await page.getByTestId('attr-run').click();
  await expect(page.getByTestId('attr-table')).toBeVisible();
  await page.getByTestId('coupling-run').click();
  await expect(page.getByTestId('row-dominance')).toHaveText(/^\d\.\d{3}$/);
  const top = await page.getByTestId('attr-top-a-0').textContent();
  const dominance = await page.getByTestId('row-dominance').textContent();
  const url = page.url();
  expect(new URL(url).searchParams.get('attrB')).toBe('Grüße aus Köln.');
  expect(new URL(url).searchParams.get('coupling')).toBe('0');

  const other = await browser.newPage();
  await other.goto(url);
  await expect(other.getByTestId('attr-table')).toBeVisible();
  await expect(other.getByTestId('attr-top-a-0')).toHaveText(top!);
  await expect(other.getByTestId('attr-b')).toHaveValue('Grüße aus Köln.');
  await expect(other.getByTestId('row-dominance')).toHaveText(dominance!);
  await expect(other.getByTestId('coupling-view').locator('rect.cell')).toHaveCount(64);
  await other.close();
});

test('a link with the alignment and a steering run recomputes both after the model loads', async ({ page }) => {
  await page.goto('./?align=2&steer=de,0.02,0.5');
  await expect(page.locator('[data-testid="alignment-view"] rect.cell[data-lang="de"]')).toHaveCount(6);
  await expect(page.getByTestId('steer-result')).toContainText(/^de probe loss: middle layers 1,2,3,4 [+-]\d\.\d{4}/);
  await expect(page.getByTestId('steering').getByRole('combobox')).toHaveValue('de');
  // The URL still names both, so the link can be passed on.
  expect(new URL(page.url()).searchParams.get('steer')).toBe('de,0.02,0.5');
  expect(new URL(page.url()).searchParams.get('align')).toBe('2');
});
