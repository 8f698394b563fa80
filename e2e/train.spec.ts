import { test, expect } from '@playwright/test';

// The training playground in the browser: the header's Train link opens it, a preset trains in
// the worker, the loss falls and the plane's expert regions change; the settings stay in the URL.
test('the header links to the playground; a preset trains in the worker: loss falls, regions change', async ({
  page,
}) => {
  await page.goto('./?model=tiny-mixtral');
  await page.getByTestId('mode-train').click();
  await expect(page).toHaveURL(/\?mode=train$/);
  await expect(page.getByTestId('train-step')).toHaveText('0');

  await page.getByTestId('train-preset').selectOption('dead-experts');
  await expect(page.getByTestId('train-look')).toContainText('two of the four experts die');
  await expect(page).toHaveURL(/\?mode=train&train=task%3Axor%2Cseed%3A2$/);
  const regions = page.getByTestId('train-regions-experts');
  const before = await regions.getAttribute('data-shares');

  await page.getByTestId('train-step-button').click();
  await expect(page.getByTestId('train-step')).toHaveText('1');
  const first = Number(await page.getByTestId('train-loss').textContent());
  expect(first).toBeGreaterThan(0.5);

  await page.getByTestId('train-play').click();
  await expect
    .poll(async () => Number(await page.getByTestId('train-step').textContent()))
    .toBeGreaterThan(300);
  await page.getByTestId('train-pause').click();
  await expect(page.getByTestId('train-play')).toBeVisible();
  const loss = Number(await page.getByTestId('train-loss').textContent());
  expect(loss).toBeLessThan(first / 3);
  const after = await regions.getAttribute('data-shares');
  expect(after).not.toBe(before);
  // Without balancing two experts die: two shares of the plane are (nearly) empty.
  expect(after!.split(',').filter((s) => Number(s) < 0.05)).toHaveLength(2);
  await page.screenshot({ path: 'docs/screenshot-train.png', fullPage: true });

  // The sequence task draws each language's tokens by expert instead of the plane.
  await page.getByTestId('train-preset').selectOption('languages');
  await expect(page.getByTestId('train-tokens').locator('tr')).toHaveCount(3);
  await expect(page.getByTestId('train-regions-experts')).toHaveCount(0);
  // ... and its sample text in the lab's own routing map: one MoE layer, a cell per letter.
  await expect(page.getByTestId('routing-cell')).toHaveCount(30);
  await expect(page.getByTestId('expert-load')).toBeVisible();
  await page.getByTestId('train-preset').selectOption('dead-experts');
  await page.getByTestId('train-step-button').click();

  // Upcycling doubles the experts; reloading the address gives the same settings at step 0.
  await page.getByTestId('train-upcycle').click();
  await expect(page.getByTestId('train-expert-count')).toHaveText('8');
  await page.reload();
  await expect(page.getByTestId('train-step')).toHaveText('0');
  await expect(page.getByTestId('train-expert-count')).toHaveText('4');
  await expect(page.getByTestId('train-task')).toHaveValue('xor');
});
