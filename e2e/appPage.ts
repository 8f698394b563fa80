// Shared helpers for browser tests that drive the app page (prompt box, routing map).
import { expect, type Page } from '@playwright/test';

/** The model is loaded: the badge names the backend that runs it. */
export async function ready(page: Page) {
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
}

export async function runPrompt(page: Page, text: string) {
  await page.getByTestId('prompt-input').fill(text);
  await page.getByTestId('prompt-input').press('Enter');
}

/** The routing map's expert lists, [layer][token]. */
export async function mapExperts(page: Page): Promise<string[][]> {
  return page.getByTestId('routing-cell').evaluateAll((cells) => {
    const out: string[][] = [];
    for (const c of cells as HTMLElement[]) (out[Number(c.dataset.layer)] ??= [])[Number(c.dataset.token)] = c.dataset.experts ?? '';
    return out;
  });
}
