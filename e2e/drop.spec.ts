import { test, expect, type Page } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeTrace } from './engineHarness';
import { mapExperts, ready, runPrompt } from './appPage';

// Files dropped on the page, as a person drags them from a file manager: the drop carries the
// files (a synthetic DataTransfer holds flat files, so a dropped folder is its files here).
async function dropFiles(page: Page, files: { name: string; bytes: Buffer }[]) {
  const payload = files.map((f) => ({ name: f.name, b64: f.bytes.toString('base64') }));
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

const folder = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => ({ name: e.name, bytes: readFileSync(join(dir, e.name)) }));
const TEXT = 'Hello world, the router.';

test('a bundle dropped on the page loads and runs; the drag shows what the page accepts', async ({ page }) => {
  await page.goto('./?backend=wasm');
  await ready(page);
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'x.json'));
    window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId('drop-overlay')).toContainText('Drop a bundle folder or .zip, a Hugging Face checkpoint folder, or a trace');
  await dropFiles(page, folder('public/models/tiny-mixtral'));
  await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText('tiny-mixtral (test fixture, random weights)');
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect(page.getByTestId('routing-cell')).toHaveCount(ref.tokens.length * 3);
  await expect.poll(async () => (await mapExperts(page))[2]).toEqual(ref.layers[2].selected.map((s) => s.join(',')));
});

test('a dropped HF checkpoint is converted in the worker; files the page cannot open are named and nothing is lost', async ({ page }) => {
  await page.goto('./?backend=wasm&model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect.poll(async () => (await mapExperts(page))[2]).toEqual(ref.layers[2].selected.map((s) => s.join(',')));
  await dropFiles(page, [{ name: 'photo.png', bytes: Buffer.from([137, 80, 78, 71]) }]);
  await expect(page.getByTestId('error-banner')).toContainText(
    'Nothing opened: the dropped files (photo.png) are not a bundle folder (no manifest.json), a bundle .zip, a Hugging Face checkpoint (config.json + *.safetensors) or a trace (.json, .jsonl, .npy)',
  );
  expect((await mapExperts(page))[2]).toEqual(ref.layers[2].selected.map((s) => s.join(','))); // the map stayed
  // The fixture checkpoint (the same weights as the shipped tiny-mixtral bundle) converts and runs.
  await dropFiles(page, folder('training/fixtures/tiny-mixtral/hf'));
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText(/\(mixtral, fp32\)/, { timeout: 60_000 });
  await runPrompt(page, TEXT);
  await expect.poll(async () => (await mapExperts(page))[2]).toEqual(ref.layers[2].selected.map((s) => s.join(',')));
});
