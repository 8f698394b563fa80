import { test, expect } from '@playwright/test';

// The first visit: the bare address runs the shipped model on an example sentence at once, with a
// caption, and keeps the address bare until the user changes something.
test('the bare address shows the shipped model routing an example; the URL stays bare until a change', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.goto('./');
  await expect(page.getByTestId('first-visit-caption')).toContainText(
    'routing an example sentence',
  );
  await expect(page.getByTestId('prompt-input')).toHaveValue(
    'All human beings are born free and equal in dignity and rights.',
  );
  // babel-moe is top-2: every cell of the last layer names two experts once the pass is through.
  await expect(page.getByTestId('routing-cell').last()).toHaveAttribute(
    'data-experts',
    /^\d+,\d+$/,
    { timeout: 120_000 },
  );
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
  expect(new URL(page.url()).search).toBe('');
  await page.getByTestId('prompt-input').fill('Hallo Welt');
  await expect(page.getByTestId('first-visit-caption')).toHaveCount(0);
  await expect(page).toHaveURL(/\?q=Hallo\+Welt$/);
});
