import { test, expect } from '@playwright/test';

// The guided tour, by keyboard only: ?tour=1 opens it on the routing map, → walks the views (each
// outlined in turn), Tab + Enter work on its buttons, and finishing is remembered across reloads.
test('the tour steps through the views by keyboard and remembers it was finished', async ({
  page,
}) => {
  await page.goto('./?model=tiny-mixtral&q=All%20human%20beings%20are%20born%20free.&tour=1');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAccessibleName('Routing map');
  await expect(dialog).toBeFocused();
  await expect(page.locator('.tour-highlight')).toHaveAttribute('data-testid', 'routing-map');
  await expect(page.getByTestId('routing-cell').last()).toHaveAttribute('data-experts', /\d/);
  await page.screenshot({ path: 'docs/screenshot-tour.png' });
  await expect(dialog).toBeFocused();

  const titles = [
    'Router scores',
    'Router and interventions',
    'Next token',
    'Expert load',
    'Routing entropy',
    'Cross-lingual alignment',
    'Router–expert coupling',
  ];
  for (const t of titles) {
    await page.keyboard.press('ArrowRight');
    await expect(dialog).toHaveAccessibleName(t);
    await expect(page.locator('.tour-highlight')).toHaveCount(1);
  }
  await page.keyboard.press('ArrowLeft');
  await expect(dialog).toHaveAccessibleName('Cross-lingual alignment');
  await expect(page.locator('.tour-highlight')).toHaveAttribute('data-testid', 'alignment-view');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(dialog).toHaveAccessibleName('Train your own');
  await expect(page.locator('.tour-highlight')).toHaveAttribute('data-testid', 'mode-train');
  // Tab reaches the dialog's buttons: Back, then Finish; Enter presses it.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('tour-next')).toBeFocused();
  await expect(page.getByTestId('tour-next')).toHaveText('Finish');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('.tour-highlight')).toHaveCount(0);

  await page.goto('./?model=tiny-mixtral');
  await expect(page.getByTestId('tour-button')).toHaveText('Tour ✓');
  await page.getByTestId('tour-button').focus();
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveAccessibleName('Routing map');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});
