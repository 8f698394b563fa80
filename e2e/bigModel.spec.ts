// A big *model* in the page, not only a big trace: granite-3.0-1b-a400m's routing shape and
// vocabulary (24 layers × 32 experts, top-8, 49 155 tokens; hidden 64 so the test stays small),
// written by the seeded generator, converted by `moe-lab convert`, served as a bundle URL. What a
// person does with it must work as on the shipped model: the shape line, the next-token list,
// interventions from a compact set of ⊘/↑ buttons, generation — and the numbers equal the CLI's.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ready, runPrompt } from './appPage';
import { nodeTrace } from './engineHarness';

const TEXT = 'The router sends each token to eight experts.';
let bundle = '';

test.beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-big-model-'));
  execFileSync('node', ['tools/make-checkpoint.mjs', join(dir, 'ck')], { stdio: 'ignore' });
  execFileSync(
    'node',
    ['tools/moe-lab.mjs', 'convert', join(dir, 'ck'), join(dir, 'granite-shaped')],
    { stdio: 'ignore' },
  );
  bundle = join(dir, 'granite-shaped');
});

test('a 24-layer × 32-expert, top-8 model with a 49k vocabulary loads, routes, intervenes and generates', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/models/granite-shaped/**', (route) => {
    const name = new URL(route.request().url()).pathname.split('/models/granite-shaped/')[1];
    return route.fulfill({ body: readFileSync(join(bundle, name)) });
  });
  await page.goto('./?backend=wasm&model=models/granite-shaped/');
  await ready(page);
  await runPrompt(page, TEXT);
  const ref = nodeTrace(bundle, TEXT, ['--loss']) as ReturnType<typeof nodeTrace> & {
    loss: number[];
  };
  const T = ref.tokens.length;
  await expect(page.getByTestId('run-shape')).toHaveText(
    `granite-shaped: 24 layers × 32 experts, top-8 · ${T} tokens`,
  );

  // The map's first layer routes as the CLI does; the next-token list and loss are the model's.
  const first = page.locator('[data-testid="routing-cell"][data-layer="0"]');
  await expect(first.first()).toHaveAttribute('data-experts', ref.layers[0].selected[0].join(','));
  const meanLoss = ref.loss.reduce((a, b) => a + b, 0) / ref.loss.length;
  await expect(page.getByTestId('mean-loss')).toHaveText(meanLoss.toFixed(3));
  await expect(page.locator('.next-list li')).not.toHaveCount(0);

  // Router scores at E = 32: the top 16 bars with their ⊘/↑, not a wall of 64 buttons.
  const scores = page.getByTestId('router-scores');
  await expect(scores.locator('[data-testid^="mask-"]')).toHaveCount(16);
  await expect(scores.locator('[data-testid^="force-"]')).toHaveCount(16);
  await expect(scores.getByTestId('scores-rest')).toContainText('+16 others');
  // Mask the focused token's top expert in layer 0: the diff appears and the expert is gone.
  const top = ref.layers[0].selected[0][0];
  await scores.getByTestId(`mask-${top}`).click();
  await expect(page.getByTestId('intervention')).toHaveText([
    new RegExp(`^mask:layers=0,experts=${top}\\b`),
  ]);
  await expect(page.getByTestId('next-kl')).toBeVisible();
  await expect(first.first()).not.toHaveAttribute('data-experts', new RegExp(`(^|,)${top}(,|$)`));

  // Generation streams tokens, each carrying its experts in all 24 layers.
  await page.getByLabel('tokens', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('.gen-tok')).toHaveCount(3, { timeout: 60_000 });
  const title = await page.locator('.gen-tok').first().getAttribute('title');
  expect(title!.split('\n')).toHaveLength(24);
  expect(title!.split('\n')[23]).toMatch(/^L23: \d+(,\d+){7}$/);
  expect(errors).toEqual([]);
});
