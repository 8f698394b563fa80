// Open and closed view panels live in the URL (`views=`): a closed view stays closed in a fresh
// page opened from the copied URL.
import { test, expect } from '@playwright/test';

test('a closed view stays closed when the URL is opened in a fresh page', async ({ page, context }) => {
  await page.goto('./?model=tiny-mixtral');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
  await page.getByTestId('prompt-input').fill('Hello world, the router.');
  await page.getByTestId('prompt-input').press('Enter');
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);

  const flow = page.getByTestId('flow-view');
  await expect(flow.locator('svg.chart')).toBeVisible();
  await flow.getByTestId('panel-toggle').click();
  await expect(flow).toHaveAttribute('data-open', 'false');
  await expect(flow.getByTestId('panel-toggle')).toHaveAttribute('aria-expanded', 'false');
  await expect(flow.locator('svg.chart')).toBeHidden();
  await expect(page).toHaveURL(/[?&]views=/);
  const url = page.url();
  expect(new URL(url).searchParams.get('views')!.split(',')).not.toContain('flow-view');

  const fresh = await context.newPage();
  await fresh.goto(url);
  await expect(fresh.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
  await expect(fresh.getByTestId('flow-view')).toHaveAttribute('data-open', 'false');
  await expect(fresh.getByTestId('routing-map')).toHaveAttribute('data-open', 'true');
  await expect(fresh.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  // Expanding it again draws it and drops the field from the URL (all open is the default).
  await fresh.getByTestId('flow-view').getByTestId('panel-toggle').click();
  await expect(fresh.getByTestId('flow-view').locator('svg.chart')).toBeVisible();
  await expect(fresh.getByTestId('flow-view').locator('rect.node').first()).toBeAttached();
  await expect(fresh).not.toHaveURL(/views=/);
});

test('an unknown view name in the URL is ignored with a notice', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral&views=routing-map,sankey');
  await expect(page.getByTestId('notices')).toContainText('ignored part of URL field views="routing-map,sankey": unknown view "sankey"');
  await expect(page.getByTestId('routing-map')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('expert-load')).toHaveAttribute('data-open', 'false');
});
