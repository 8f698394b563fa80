import { test, expect, type Page } from '@playwright/test';
import { nodeTrace } from './engineHarness';
import { promptPairDivergence } from '../src/routing/metrics/alignment';
import { softmax } from '../src/routing/metrics/routing';

// The newcomer's story: the default model, a sentence in Japanese and the same in German, then
// mask expert 3 in layer 2 and see what changes.
async function map(page: Page): Promise<string[][]> {
  return page.getByTestId('routing-cell').evaluateAll((cells) => {
    const out: string[][] = [];
    for (const c of cells as HTMLElement[]) (out[Number(c.dataset.layer)] ??= [])[Number(c.dataset.token)] = c.dataset.experts ?? '';
    return out;
  });
}

const TEXTS = ['すべての人間は、生まれながらにして自由である。', 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.'];

test('Japanese, then German, then mask expert 3 in layer 2 on the shipped model', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('./');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, { timeout: 60_000 });
  const L = 6;
  for (const text of TEXTS) {
    await page.getByTestId('prompt-input').fill(text);
    await page.getByTestId('prompt-input').press('Enter');
    await expect(page.locator('.map-token').first()).toHaveText('<s>');
    await expect.poll(async () => (await map(page)).length).toBe(L);
    await expect.poll(async () => (await map(page))[L - 1].every((s) => s.split(',').length === 2)).toBe(true);
  }
  // How the layers line up across the two languages: the alignment view compares the last two
  // prompts per layer, the same JSD as the metric on the CLI's traces of the two sentences.
  const [ja, de] = TEXTS.map((t) => nodeTrace('public/models/babel-moe', t));
  const probsOf = (tr: ReturnType<typeof nodeTrace>) =>
    tr.layers.map((l) => ({ probs: (l.routerLogits ?? []).flatMap((row: number[]) => softmax(row)), T: tr.tokens.length, E: l.routerLogits?.[0]?.length ?? 0 }));
  const want = promptPairDivergence(probsOf(ja), probsOf(de));
  const pair = page.getByTestId('prompt-pair');
  await expect(pair).toContainText('Your last two prompts');
  for (let l = 0; l < L; l++) {
    const got = Number(await pair.locator(`td[data-layer="${l}"]`).getAttribute('data-jsd'));
    expect(Math.abs(got - want[l]!)).toBeLessThan(1e-3);
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
