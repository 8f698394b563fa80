import { test, expect, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nodeTrace } from './engineHarness';
import { mapExperts, ready, runPrompt } from './appPage';
import { HF, writeConvertFixtures, type ConvertFixtures } from './convertFixtures';
import { unzipBundle } from '../src/models/bundleZip';
import { filesFetcher, loadBundle } from '../src/models/loader';

// An HF checkpoint folder picked in the page is converted in the worker, opened, and runs; its
// bundle saved as a .zip opens again. The routing map must equal the CLI's trace of the shipped
// tiny-mixtral bundle (converted from the very same checkpoint).

const TEXT = 'Hello world, the router.';
let fx: ConvertFixtures;
const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
};
test.beforeAll(() => {
  fx = writeConvertFixtures();
  scratch.push(dirname(fx.big));
});
test.afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The map equals the CLI trace of the shipped bundle, layer by layer. */
async function expectReferenceMap(page: Page) {
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect(page.getByTestId('routing-cell')).toHaveCount(ref.tokens.length * ref.layers.length);
  const map = await mapExperts(page);
  expect(map).toHaveLength(ref.layers.length);
  ref.layers.forEach((l) => expect(map[l.index]).toEqual(l.selected.map((s) => s.join(','))));
}

/** Pick a checkpoint folder through the file chooser, as a person would. */
async function pickCheckpoint(page: Page, dir: string, dtype = 'fp32') {
  await page.getByText('Convert HF…').click(); // the menu closes again once a conversion starts
  await page.getByTestId('convert-dtype').selectOption(dtype);
  const chooser = page.waitForEvent('filechooser');
  await page.getByText('Checkpoint folder…').click();
  await (await chooser).setFiles(dir);
}

/** Record every progress label the page shows while converting. */
async function watchProgress(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { __convertLabels: string[] }).__convertLabels = []);
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid="convert-progress"]')?.textContent;
      if (t && seen[seen.length - 1] !== t) seen.push(t);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

const labels = (page: Page) => page.evaluate(() => (window as unknown as { __convertLabels: string[] }).__convertLabels);

test('an HF checkpoint folder converts in the page, runs, saves as a .zip and reopens', async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await page.getByTestId('prompt-input').fill(TEXT);
  await watchProgress(page);

  await pickCheckpoint(page, HF);
  // The prompt is kept and re-run on the converted model.
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText('hf (mixtral, fp32)');
  await expect(page.getByTestId('model-select')).toHaveValue('');
  await expect(page.getByTestId('prompt-input')).toHaveValue(TEXT);
  await expectReferenceMap(page);
  const seen = await labels(page);
  expect(seen.length).toBeGreaterThan(0);
  for (const l of seen) expect(l).toMatch(/^(Reading the checkpoint|Converting: (embed|layer[0-2]\.(attn|moe)|head)\.onnx \([1-9] of 9\)|Converting: routers\.bin \(9 of 9\)|Creating session .*)$/);
  expect(seen.some((l) => l.startsWith('Converting: '))).toBe(true);

  // Save bundle → one .zip holding a valid bundle (every sha256 checked) of the converted model.
  const download = page.waitForEvent('download');
  await page.getByTestId('save-bundle').click();
  const d = await download;
  expect(d.suggestedFilename()).toBe('hf.zip');
  const zipPath = join(tempDir('moe-zip-'), 'hf.zip');
  await d.saveAs(zipPath);
  const files = unzipBundle(new Uint8Array(readFileSync(zipPath)), 'hf.zip');
  const bundle = await loadBundle(filesFetcher(files));
  expect(bundle.manifest).toMatchObject({ id: 'hf', name: 'hf (mixtral, fp32)', architecture: 'mixtral', dtype: 'fp32', numLayers: 3 });
  // The saved bundle, unzipped on disk, gives the CLI the same routing as the shipped one.
  const unzipped = tempDir('moe-unzipped-');
  for (const f of files) {
    mkdirSync(dirname(join(unzipped, f.name)), { recursive: true });
    writeFileSync(join(unzipped, f.name), new Uint8Array(f.data));
  }
  expect(nodeTrace(join(unzipped, 'hf'), TEXT).layers.map((l) => l.selected)).toEqual(nodeTrace('public/models/tiny-mixtral', TEXT).layers.map((l) => l.selected));

  // Back to the shipped model, then reopen the saved .zip through the bundle picker.
  await page.getByTestId('model-select').selectOption('tiny-mixtral');
  await expect(page.getByTestId('model-select')).toHaveValue('tiny-mixtral');
  await expect(page.getByTestId('save-bundle')).toHaveCount(0);
  await page.getByTestId('model-zip').setInputFiles(zipPath);
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText('hf (mixtral, fp32)');
  await expectReferenceMap(page);
  // A bundle opened from disk was not converted here: nothing to save.
  await expect(page.getByTestId('save-bundle')).toHaveCount(0);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test("a broken checkpoint shows the converter's message and the previous model keeps running", async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);

  await pickCheckpoint(page, fx.noModelType);
  await expect(page.getByTestId('error-banner')).toContainText('config.json: no "model_type" field (supported: mixtral, qwen3_moe, olmoe, granitemoe, qwen2_moe, phimoe, gpt_oss, deepseek_v3, deepseek_v2)');
  await expect(page.getByTestId('convert-cancel')).toHaveCount(0);

  await pickCheckpoint(page, fx.missingTensor);
  await expect(page.getByTestId('error-banner')).toContainText('tensor "model.layers.1.block_sparse_moe.experts.3.w2.weight" not found in the checkpoint');
  await expect(page.getByTestId('model-select')).toHaveValue('tiny-mixtral');
  await expect(page.getByTestId('save-bundle')).toHaveCount(0);

  await runPrompt(page, TEXT);
  await expectReferenceMap(page);
});

test('cancelling mid-conversion leaves the old model', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  // Click Cancel from inside the page as soon as layer 1 is being converted (a 12-layer q4
  // conversion plus its sessions takes far longer than the one frame this needs).
  await page.evaluate(() => {
    const w = window as unknown as { __cancelledAt?: string };
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid="convert-progress"]')?.textContent ?? '';
      if (!w.__cancelledAt && /^Converting: layer1\./.test(t)) {
        w.__cancelledAt = t;
        (document.querySelector('[data-testid="convert-cancel"]') as HTMLButtonElement).click();
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await pickCheckpoint(page, fx.big, 'q4');
  await expect.poll(() => page.evaluate(() => (window as unknown as { __cancelledAt?: string }).__cancelledAt)).toMatch(/^Converting: layer1\.(attn|moe)\.onnx \(\d+ of 27\)$/);
  await expect(page.getByTestId('convert-cancel')).toHaveCount(0);
  await expect(page.getByTestId('progress')).toBeHidden();
  await expect(page.getByTestId('model-select')).toHaveValue('tiny-mixtral');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  await expect(page.getByTestId('save-bundle')).toHaveCount(0);
  // The old 3-layer model answers (the 12-layer one would give 12 rows).
  await runPrompt(page, TEXT);
  await expectReferenceMap(page);
});

test('a checkpoint URL prefix (index + shards) converts in the page too', async ({ page, context }) => {
  // A server holding the sharded v5 copy of the fixture under ./ck/tiny-fused/.
  const served = 'training/fixtures/tiny-mixtral/hf-fused';
  const asked: string[] = [];
  await context.route('**/ck/tiny-fused/*', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    asked.push(name);
    try {
      const body = readFileSync(join(served, name));
      // A server that honours Range (as the hub's does): the converter reads tensors by parts.
      const range = /^bytes=(\d+)-(\d*)$/.exec(route.request().headers()['range'] ?? '');
      if (!range) return route.fulfill({ body, contentType: 'application/octet-stream' });
      const from = Number(range[1]);
      const to = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      return route.fulfill({ status: 206, body: body.subarray(from, to + 1), headers: { 'Content-Range': `bytes ${from}-${to}/${body.length}` }, contentType: 'application/octet-stream' });
    } catch {
      return route.fulfill({ status: 404, body: 'not found', contentType: 'text/plain' });
    }
  });
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await page.getByTestId('prompt-input').fill(TEXT);
  await page.getByText('Convert HF…').click();
  await page.getByTestId('convert-dtype').selectOption('fp16');
  await page.getByTestId('convert-url').fill('ck/tiny-fused');
  await page.getByTestId('convert-url-go').click();
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText('tiny-fused (mixtral, fp16)');
  // each shard is read by parts (its header, then its tensors), never downloaded whole
  expect([...new Set(asked)]).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  // fp16 weights: the fixture's routing margins (> 1e-3) keep every top-2 set of the fp32 reference.
  await expectReferenceMap(page);
});
