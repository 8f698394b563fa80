// Real models' shapes in the page: generated vLLM captures shaped like OLMoE, Qwen3-30B-A3B and
// DeepSeek-V3 (tools/make-captures.mjs; skewed loads, DeepSeek's dense leading layers) opened
// from a shared link, checked as a person sees them: the shape line, the focus on the first MoE
// layer, the expert named on hover, the keyboard reaching the last token, a bounded page.
import { test, expect, type Page } from '@playwright/test';
import { vllmCapture } from '../tools/captures/vllmCapture';
import { CAPTURE_SHAPES } from '../tools/captures/shapes';

async function openCapture(page: Page, key: string, T: number) {
  const { npy, ids } = vllmCapture(CAPTURE_SHAPES[key], T);
  await page.route('**/captures/*', (r) =>
    r.fulfill({
      body: r.request().url().endsWith('.npy') ? Buffer.from(npy) : JSON.stringify(ids),
    }),
  );
  await page.goto(`./?backend=wasm&trace=captures/${key}.npy&trace=captures/${key}.ids.json`);
}

/** The map's focused cell: the one the keyboard reaches (roving tabindex). */
const focused = (page: Page) => page.locator('[data-testid="routing-cell"][tabindex="0"]');

const CASES = [
  { key: 'olmoe', T: 512, shape: '16 layers × 64 experts, top-8 · 512 tokens', firstMoe: 0 },
  { key: 'qwen3', T: 512, shape: '48 layers × 128 experts, top-8 · 512 tokens', firstMoe: 0 },
  {
    key: 'deepseek',
    T: 512,
    shape: '61 layers (layers 0–2 dense) × 256 experts, top-8 · 512 tokens',
    firstMoe: 3,
  },
];

for (const c of CASES) {
  test(`a ${CAPTURE_SHAPES[c.key].name}-shaped capture of ${c.T} tokens opens focused, navigable and bounded`, async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openCapture(page, c.key, c.T);
    await expect(page.getByTestId('run-shape')).toHaveText(
      `Trace ${c.key}.npy + ${c.key}.ids.json: ${c.shape}`,
    );
    // Per-layer views open on the first layer with a router.
    await expect(focused(page)).toHaveAttribute('data-layer', String(c.firstMoe));
    await expect(focused(page)).toHaveAttribute('data-token', '0');
    await expect(focused(page)).toHaveAttribute('data-experts', /^\d+(,\d+){7}$/);
    // Hover names the expert under the pointer.
    await focused(page).hover({ position: { x: 2, y: 3 } });
    await expect(page.getByTestId('map-tooltip')).toContainText(
      new RegExp(`^L${c.firstMoe} · token 0 .*: expert \\d+ \\(gate`),
    );
    // The keyboard reaches the last token (the map scrolls; the cell exists and has focus).
    await focused(page).focus();
    await page.keyboard.press('End');
    await expect(focused(page)).toHaveAttribute('data-token', String(c.T - 1));
    await expect(focused(page)).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(focused(page)).toHaveAttribute('data-layer', String(c.firstMoe + 1));
    // Once every view has drawn, the page stays far below one element per cell.
    await expect(page.getByTestId('progress')).toBeHidden();
    const nodes = await page.evaluate(() => document.querySelectorAll('*').length);
    expect(nodes).toBeLessThan(20_000);
    expect(errors).toEqual([]);
  });
}

test('the map colouring picked for a 64-expert capture is part of the shared link', async ({
  page,
}) => {
  const { npy, ids } = vllmCapture(CAPTURE_SHAPES.olmoe, 64);
  await page.route('**/captures/*', (r) =>
    r.fulfill({
      body: r.request().url().endsWith('.npy') ? Buffer.from(npy) : JSON.stringify(ids),
    }),
  );
  await page.goto(
    './?backend=wasm&trace=captures/olmoe.npy&trace=captures/olmoe.ids.json&colour=rank',
  );
  await expect(page.getByTestId('map-colour-by')).toHaveValue('rank');
  await page.getByTestId('map-colour-by').selectOption('gate');
  await expect(page).toHaveURL(/[?&]colour=gate(&|$)/);
  await page.reload();
  await expect(page.getByTestId('map-colour-by')).toHaveValue('gate');
});
