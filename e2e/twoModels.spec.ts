// The two shipped router designs on the same prompt: babel-moe (softmax top-2 of 8, aux loss) and deepseek-moe
// (dense layer 0, sigmoid top-4 of 32 + 1 shared, loss-free bias). A person picks the other model in the picker;
// the prompt re-runs on it, the map shows its shape and routes as `moe-lab trace` does, and back again.
import { test, expect } from '@playwright/test';
import { ready, runPrompt, mapExperts } from './appPage';
import { nodeTrace } from './engineHarness';

const TEXT = 'Everyone has the right to education.';

test('switching between babel-moe and deepseek-moe keeps the prompt and routes it as the CLI does on each', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('./?backend=wasm');
  await ready(page);
  await runPrompt(page, TEXT);
  const babel = nodeTrace('public/models/babel-moe', TEXT);
  const deepseek = nodeTrace('public/models/deepseek-moe', TEXT);
  const T = babel.tokens.length;
  expect(deepseek.tokens.map((t) => t.id)).toEqual(babel.tokens.map((t) => t.id)); // one tokenizer
  const rows = (t: typeof babel) => t.layers.map((l) => l.selected.map((s) => s.join(',')));
  await expect(page.getByTestId('run-shape')).toHaveText(
    new RegExp(`^babel-moe \\(.*\\): 6 layers × 8 experts, top-2 · ${T} tokens$`),
  );
  await expect.poll(() => mapExperts(page)).toEqual(rows(babel));

  const picker = page.getByTestId('model-select');
  await picker.selectOption('deepseek-moe');
  await ready(page);
  await expect(page.getByTestId('run-shape')).toHaveText(
    new RegExp(`^deepseek-moe \\(.*\\): 6 layers \\(layer 0 dense\\) × 32 experts, top-4 · ${T} tokens$`),
  );
  await expect(page).toHaveURL(/model=deepseek-moe/);
  await expect(page.getByTestId('prompt-input')).toHaveValue(TEXT);
  // Layer 0 is dense (labelled, no experts); layers 1–5 route as the CLI, four experts per token.
  await expect(page.locator('.map-row[data-kind="dense"] [role="rowheader"]')).toHaveText([
    'L0 dense',
  ]);
  await expect.poll(() => mapExperts(page)).toEqual(rows(deepseek));
  expect(deepseek.layers[1].selected.every((s) => s.length === 4)).toBe(true);

  await picker.selectOption('babel-moe');
  await ready(page);
  await expect(page.getByTestId('run-shape')).toHaveText(
    new RegExp(`^babel-moe \\(.*\\): 6 layers × 8 experts, top-2 · ${T} tokens$`),
  );
  await expect.poll(() => mapExperts(page)).toEqual(rows(babel));
  expect(errors).toEqual([]);
});
