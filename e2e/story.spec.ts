import { test, expect, type Page } from '@playwright/test';

// The newcomer's story: the default model, a sentence in Japanese and the same in German, then
// mask expert 3 in layer 2 and see what changes.
async function map(page: Page): Promise<string[][]> {
  return page.getByTestId('routing-cell').evaluateAll((cells) => {
    const out: string[][] = [];
    for (const c of cells as HTMLElement[]) (out[Number(c.dataset.layer)] ??= [])[Number(c.dataset.token)] = c.dataset.experts ?? '';
    return out;
  });
}

test('Japanese, then German, then mask expert 3 in layer 2 on the shipped model', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('./');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, { timeout: 60_000 });
  const L = 6;
  for (const text of ['すべての人間は、生まれながらにして自由である。', 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.']) {
    await page.getByTestId('prompt-input').fill(text);
    await page.getByTestId('prompt-input').press('Enter');
    await expect(page.locator('.map-token').first()).toHaveText('<s>');
    await expect.poll(async () => (await map(page)).length).toBe(L);
    await expect.poll(async () => (await map(page))[L - 1].every((s) => s.split(',').length === 2)).toBe(true);
  }
  const before = await map(page);
  await page.getByTestId('iv-kind').selectOption('mask');
  await page.getByTestId('iv-layers').fill('2');
  await page.getByTestId('iv-experts').fill('3');
  await page.getByTestId('iv-add').click();
  await expect(page.getByTestId('next-kl')).toBeVisible();
  const after = await map(page);
  expect(after[0]).toEqual(before[0]);
  expect(after[1]).toEqual(before[1]);
  expect(after[2].every((s) => !s.split(',').includes('3'))).toBe(true);
  await page.locator('[data-testid="routing-cell"][data-layer="2"][data-token="1"]').click();
  await page.screenshot({ path: 'docs/screenshot-story.png', fullPage: false });
});
