import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { nodeTrace } from './engineHarness';
import { mapExperts, ready, runPrompt } from './appPage';

const TEXT = 'Hello world, the router.';

test('typing a sentence fills the map with the same experts as the CLI trace', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  const T = ref.tokens.length;
  await expect(page.getByTestId('routing-cell')).toHaveCount(T * ref.layers.length);
  await expect(page.getByTestId('next-token').locator('li')).toHaveCount(10);
  const map = await mapExperts(page);
  ref.layers.forEach((l) => expect(map[l.index]).toEqual(l.selected.map((s) => s.join(','))));
  // Clicking a cell focuses it: the scores panel follows.
  await page.locator('[data-testid="routing-cell"][data-layer="2"][data-token="3"]').click();
  await expect(page.getByTestId('router-scores').getByRole('heading')).toHaveText(
    'Router scores — layer 2, token 3',
  );
  await expect(page.getByTestId('router-scores').locator('rect.bar')).toHaveCount(8);
  await page.screenshot({ path: 'docs/screenshot-playground.png', fullPage: true });
});

test('switching to top-p gives variable expert counts; masking an expert removes it and outlines the diff', async ({
  page,
}) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await page.getByTestId('router-select').selectOption('topp');
  await expect(page.getByTestId('next-kl')).toBeVisible();
  const counts = new Set((await mapExperts(page)).flat().map((s) => s.split(',').length));
  expect(counts.size).toBeGreaterThan(1);

  await page.getByTestId('router-select').selectOption('native');
  await expect(page.getByTestId('next-kl')).toHaveCount(0);
  const before = await mapExperts(page);
  const victim = Number(before[1].find((s) => s)!.split(',')[0]);
  await page.locator(`[data-testid="routing-cell"][data-layer="1"][data-token="0"]`).click();
  await page.getByTestId(`mask-${victim}`).click();
  await expect(page.getByTestId('intervention')).toHaveText([
    new RegExp(`mask:layers=1,experts=${victim}`),
  ]);
  await expect(page.locator('.map-cell.is-changed').first()).toBeVisible();
  const after = await mapExperts(page);
  expect(after[1].every((s) => !s.split(',').includes(String(victim)))).toBe(true);
  expect(after[0]).toEqual(before[0]); // layers before the mask are untouched
  await expect(page.getByTestId('loss-delta')).toHaveText(/^[+-]\d/);
});

test('the URL reopens the exact view in a fresh page', async ({ page, context }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  await page.getByTestId('router-select').selectOption('topp');
  await page.locator('[data-testid="routing-cell"][data-layer="1"][data-token="2"]').click();
  await expect(page).toHaveURL(/router=topp/);
  const url = page.url();
  const map = await mapExperts(page);
  const fresh = await context.newPage();
  await fresh.goto(url);
  await ready(fresh);
  await expect(fresh.getByTestId('prompt-input')).toHaveValue(TEXT);
  await expect(fresh.getByTestId('router-select')).toHaveValue('topp');
  await expect(fresh.getByTestId('routing-cell')).toHaveCount(map.flat().length);
  expect(await mapExperts(fresh)).toEqual(map);
  await expect(fresh.getByTestId('router-scores').getByRole('heading')).toHaveText(
    'Router scores — layer 1, token 2',
  );
});

test('a bad URL field is ignored with a notice, not a blank page', async ({ page }) => {
  await page.goto('./?router=topq&iv=mask:layers=x&q=Hi');
  await expect(page.getByTestId('notices')).toContainText(
    'ignored URL field router="topq": unknown router "topq"',
  );
  await expect(page.getByTestId('notices')).toContainText('ignored URL field iv="mask:layers=x"');
  await expect(page.getByTestId('prompt-input')).toHaveValue('Hi');
  await expect(page.getByTestId('router-select')).toHaveValue('native');
  // The notices outlive the run of the prompt; each goes when dismissed.
  await ready(page);
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await expect(page.getByTestId('page-notice')).toHaveCount(2);
  await page
    .getByTestId('page-notice')
    .first()
    .getByRole('button', { name: 'Dismiss notice' })
    .click();
  await expect(page.getByTestId('page-notice')).toHaveCount(1);
  await expect(page.getByTestId('page-notice')).toContainText(
    'ignored URL field iv="mask:layers=x"',
  );
});

test('a broken bundle URL shows the banner and the old model keeps working', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await page.getByTestId('model-url').fill('models/nope/');
  await page.getByTestId('model-url').press('Enter');
  await expect(page.getByTestId('error-banner')).toContainText('manifest.json: cannot be read');
  await runPrompt(page, 'Another sentence.');
  await expect(page.locator('.map-token').nth(1)).not.toHaveText('');
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
});

test('a bundle whose later graph fails after it opened is named in the banner, and the page goes back to the previous model', async ({
  page,
}) => {
  // A copy of tiny-mixtral whose layer-1 MoE graph is not ONNX (its size and sha256 match the manifest,
  // so only building its session fails, after the first layer has already run).
  const dir = 'public/models/tiny-mixtral';
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
  const junk = Buffer.from('not an onnx graph');
  const entry = manifest.files.find((f: { path: string }) => f.path === 'layer1.moe.onnx');
  entry.bytes = junk.length;
  entry.sha256 = createHash('sha256').update(junk).digest('hex');
  manifest.id = 'late-broken';
  manifest.name = 'late-broken (layer 1 is junk)';
  await page.route('**/models/late-broken/**', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/models/late-broken/')[1];
    if (name === 'manifest.json')
      return route.fulfill({ body: JSON.stringify(manifest), contentType: 'application/json' });
    if (name === 'layer1.moe.onnx')
      return route.fulfill({ body: junk, contentType: 'application/octet-stream' });
    return route.fulfill({
      body: readFileSync(`${dir}/${name}`),
      contentType: 'application/octet-stream',
    });
  });
  await page.goto('./?model=tiny-mixtral&backend=wasm');
  await ready(page);
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  const want = ref.layers.map((l) => l.selected.map((s) => s.join(',')));
  await expect.poll(() => mapExperts(page)).toEqual(want);
  await page.getByTestId('model-url').fill('models/late-broken/');
  await page.getByTestId('model-url').press('Enter');
  await expect(page.getByTestId('error-banner')).toContainText(
    'layer1.moe.onnx: the wasm backend cannot load this graph',
  );
  await expect(page.getByTestId('error-banner')).toContainText('kept the previous model');
  // The previous model is back (its name in the picker) and the prompt re-ran on it: the same map.
  await expect(page.getByTestId('model-select').locator('option:checked')).toHaveText(
    'tiny-mixtral (test fixture, random weights)',
  );
  await expect.poll(() => mapExperts(page)).toEqual(want);
});

test('a corrupt file of a bundle is named with its checksum, the download stops and the old model keeps working', async ({
  page,
}) => {
  const dir = 'public/models/tiny-mixtral';
  await page.route('**/models/corrupt/**', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/models/corrupt/')[1];
    const body = readFileSync(`${dir}/${name}`);
    if (name === 'layer0.moe.onnx') body[body.length - 1] ^= 0xff; // one flipped byte, same size
    return route.fulfill({ body, contentType: 'application/octet-stream' });
  });
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await page.getByTestId('model-url').fill('models/corrupt/');
  await page.getByTestId('model-url').press('Enter');
  await expect(page.getByTestId('error-banner')).toContainText(
    /layer0\.moe\.onnx: sha256 [0-9a-f]{12}… does not match the manifest's [0-9a-f]{12}… \(corrupt or stale file\)/,
  );
  await expect(page.getByTestId('progress')).toBeHidden();
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect
    .poll(() => mapExperts(page))
    .toEqual(ref.layers.map((l) => l.selected.map((s) => s.join(','))));
});

test('picking another model while one is still downloading loads the newer one', async ({
  page,
}) => {
  // babel-moe's weights arrive slowly here; tiny-mixtral is picked again before they have.
  await page.route('**/models/babel-moe/*.onnx', async (route) => {
    await new Promise((ok) => setTimeout(ok, 1500));
    await route.fallback();
  });
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await page.getByTestId('model-select').selectOption('babel-moe');
  await page.getByTestId('model-select').selectOption('tiny-mixtral');
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect
    .poll(() => mapExperts(page))
    .toEqual(ref.layers.map((l) => l.selected.map((s) => s.join(','))));
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('token strings that look like HTML render as text', async ({ page }) => {
  const dir = 'public/models/tiny-mixtral';
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
  const tok = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8'));
  const evil = '<img src=x onerror="window.__xss=1">';
  tok.added_tokens.push({
    id: 298,
    content: evil,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: false,
  });
  const bytes = Buffer.from(JSON.stringify(tok));
  const entry = manifest.files.find((f: { path: string }) => f.path === 'tokenizer.json');
  entry.bytes = bytes.length;
  entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  await page.route('**/models/evil/**', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/models/evil/')[1];
    if (name === 'manifest.json')
      return route.fulfill({ body: JSON.stringify(manifest), contentType: 'application/json' });
    if (name === 'tokenizer.json')
      return route.fulfill({ body: bytes, contentType: 'application/json' });
    return route.fulfill({
      body: readFileSync(`${dir}/${name}`),
      contentType: 'application/octet-stream',
    });
  });
  await page.goto(`./?model=models/evil/&q=${encodeURIComponent(`a ${evil} b`)}`);
  await ready(page);
  await expect(page.locator('.map-token', { hasText: '<img' })).toHaveCount(1);
  await expect(page.locator('.map-token img')).toHaveCount(0);
  expect(
    await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
  ).toBeUndefined();
});

test('generation streams tokens with their routing; a logit-bias slider re-runs with a diff', async ({
  page,
}) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  await runPrompt(page, TEXT);
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await page.getByLabel('tokens', { exact: true }).fill('5');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('.gen-tok')).toHaveCount(5);
  // Each generated token carries the experts it visited in every layer (greedy, so reproducible).
  await expect(page.locator('.gen-tok').first()).toHaveAttribute(
    'title',
    /^L0: \d,\d\nL1: \d,\d\nL2: \d,\d$/,
  );

  await page.locator('[data-testid="routing-cell"][data-layer="0"][data-token="1"]').click();
  await page.getByText('Logit bias per expert (layer 0)').click();
  const slider = page.getByTestId('bias-6');
  await slider.focus();
  for (let i = 0; i < 10; i++) await slider.press('ArrowRight');
  await expect(page.getByTestId('intervention')).toHaveText(['bias:layers=0,experts=6,value=5×']);
  await expect(page.getByTestId('next-kl')).toBeVisible();
  const experts = await page
    .locator('[data-testid="routing-cell"][data-layer="0"]')
    .evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.experts));
  expect(experts.filter((e) => e!.split(',').includes('6')).length).toBeGreaterThan(
    experts.length / 2,
  );
});

test('a crashed worker is restarted with the last good model and the page keeps its state', async ({
  page,
}) => {
  await page.goto('./?model=tiny-mixtral&e2e=1');
  await ready(page);
  await runPrompt(page, TEXT);
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  const before = await mapExperts(page);
  await page.evaluate(() =>
    (window as unknown as { __moeLabTest: { crashWorker(): void } }).__moeLabTest.crashWorker(),
  );
  await expect(page.getByTestId('error-banner')).toContainText('the inference worker crashed');
  await expect(page.getByTestId('error-banner')).toContainText(
    'restarted it and reloaded the last good model',
  );
  expect(await mapExperts(page)).toEqual(before); // the map is still there
  await expect(page.getByTestId('prompt-input')).toHaveValue(TEXT);
  // The restarted worker answers: the reload re-runs the prompt and the map refills.
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await runPrompt(page, 'After the crash.');
  await expect(page.locator('.map-token').nth(1)).toHaveText('A');
});

test('a bundle folder opened from disk loads and runs', async ({ page }) => {
  await page.goto('./?model=tiny-mixtral');
  await ready(page);
  // Playwright uploads a directory to a webkitdirectory input, as a person picking a folder would.
  await page.getByTestId('model-folder').setInputFiles('public/models/tiny-mixtral');
  await expect(page.getByTestId('model-select')).toHaveValue('');
  await expect(page.getByTestId('model-select').locator('option').first()).toHaveText(
    'tiny-mixtral (test fixture, random weights)',
  );
  await runPrompt(page, TEXT);
  const ref = nodeTrace('public/models/tiny-mixtral', TEXT);
  await expect(page.getByTestId('routing-cell')).toHaveCount(ref.tokens.length * 3);
  expect((await mapExperts(page))[2]).toEqual(ref.layers[2].selected.map((s) => s.join(',')));
});
