import { test, expect, type Page } from '@playwright/test';
import { GLOSSARY, explanationText } from '../src/components/glossary';

// Every control and metric label of the lab and of the training playground has a one-line
// explanation with its source (src/components/glossary.ts), read on hover and on keyboard focus.

/** What a person can operate: form controls, disclosure summaries, focusable figures, mode links. */
const CONTROLS =
  'button, select, input, textarea, summary, [tabindex="0"], a.mode-link, a[data-testid="mode-lab"]';

interface Found {
  what: string;
  term: string | null;
  description: string | null;
  control: boolean;
}

/** Every visible control, and every element marked with an explanation (the metric labels). */
async function audit(page: Page): Promise<Found[]> {
  return page.evaluate((controls) => {
    const visible = (el: Element) =>
      el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const describe = (el: Element) =>
      `<${el.tagName.toLowerCase()} ${['data-testid', 'aria-label', 'type']
        .map((a) => (el.hasAttribute(a) ? `${a}="${el.getAttribute(a)}"` : ''))
        .join(' ')
        .trim()}> “${(el.textContent ?? '').trim().slice(0, 30)}”`;
    const out: Found[] = [];
    const seen = new Set<Element>();
    for (const el of document.querySelectorAll(controls)) {
      if (!visible(el)) continue;
      seen.add(el);
      out.push({
        what: describe(el),
        term: el.getAttribute('data-explain'),
        description: el.getAttribute('aria-description'),
        control: true,
      });
    }
    for (const el of document.querySelectorAll('[data-explain]')) {
      if (seen.has(el) || !visible(el)) continue;
      out.push({
        what: describe(el),
        term: el.getAttribute('data-explain'),
        description: el.getAttribute('aria-description'),
        control: false,
      });
    }
    return out;
  }, CONTROLS);
}

function expectExplained(found: Found[]) {
  const missing = found.filter((f) => !f.term).map((f) => f.what);
  expect(missing, 'controls without an explanation').toEqual([]);
  for (const f of found) {
    const g = GLOSSARY[f.term!];
    expect(g, `${f.what}: "${f.term}" is not in the glossary`).toBeDefined();
    expect(g.text.trim(), f.what).not.toBe('');
    expect(g.source.trim(), f.what).not.toBe('');
    // what a screen reader reads: the same line, with its source
    expect(f.description, f.what).toBe(explanationText(f.term!));
  }
}

/** Keyboard focus on the element shows its explanation in the page's tooltip; Esc hides it. */
async function expectTipOnFocus(page: Page, term: string) {
  const tip = page.getByTestId('explain-tip');
  await expect(tip).toBeVisible();
  await expect(tip).toHaveAttribute('data-term', term);
  await expect(tip).toContainText(GLOSSARY[term].text);
  await expect(tip.locator('cite')).toContainText(GLOSSARY[term].source);
  await page.keyboard.press('Escape');
  await expect(tip).toHaveCount(0);
}

test('the lab after the first visit: every control and metric label is explained, with its source', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('./');
  await expect(page.getByTestId('routing-cell').last()).toHaveAttribute(
    'data-experts',
    /^\d+,\d+$/,
    { timeout: 120_000 },
  );
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/);
  // (the control for the playground test below: the lab does fetch ORT's WebAssembly)
  expect(requests.some((u) => /ort-wasm[^/]*\.wasm$/.test(u))).toBe(true);

  const found = await audit(page);
  expectExplained(found);
  // The run filled the views: their controls and metric labels are among those checked.
  const terms = new Set(found.map((f) => f.term));
  for (const t of [
    'prompt',
    'run',
    'routing-cell',
    'mask-expert',
    'bias-sliders',
    'router-select',
    'iv-kind',
    'load-maxvio',
    'load-cv',
    'entropy-H',
    'entropy-margin',
    'next-loss',
    'coact-matrix',
    'mode-train',
    'tour',
  ])
    expect(terms, t).toContain(t);
  expect(found.filter((f) => f.control).length).toBeGreaterThan(100);

  // Keyboard: from the prompt, Tab reaches Run, and its explanation shows.
  await page.getByTestId('prompt-input').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('run')).toBeFocused();
  await expectTipOnFocus(page, 'run');
  // The router scores figure takes focus too.
  await page.getByTestId('router-select').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('router-select')).toBeFocused();
  await expectTipOnFocus(page, 'router-select');

  // Hover: a metric name shows its formula and paper.
  await page.locator('[data-metric="MaxVio"]').hover();
  await expect(page.getByTestId('explain-tip')).toHaveAttribute('data-term', 'load-maxvio');
  await expect(page.getByTestId('explain-tip')).toContainText('(max load − mean load) / mean load');
  await expect(page.getByTestId('explain-tip')).toContainText(
    'Wang et al. 2024, Auxiliary-Loss-Free Load Balancing',
  );

  // The Corpus view shows most of its controls and metric labels only after a run: route the
  // bundle's probe texts (one article per language) twice (the second run adds the table against
  // the previous one), open an expert, and start an ablation (its Cancel shows while it runs);
  // then check the view's controls and labels too. (The ablation's result table is checked in
  // CorpusView.test.tsx: a full ablation of every probe language takes minutes here.)
  const view = page.getByTestId('corpus-view');
  await view.scrollIntoViewIfNeeded();
  await expect(view).toHaveAttribute('data-open', 'true');
  await view.getByTestId('corpus-probes').check();
  await view.getByTestId('corpus-articles').fill('1');
  await view.getByTestId('corpus-run').click();
  await expect(view.getByTestId('corpus-heatmap')).toBeVisible({ timeout: 60_000 });
  await view.getByTestId('corpus-run').click();
  await expect(view.getByTestId('corpus-drift')).toBeVisible({ timeout: 60_000 });
  await view.getByTestId('corpus-cell').first().click();
  await expect(view.getByTestId('corpus-expert')).toBeVisible();
  await view.getByTestId('ablate-n').fill('1');
  await view.getByTestId('ablate-seeds').fill('1');
  await view.getByTestId('ablate-run').click();
  await expect(view.getByTestId('ablate-cancel')).toBeVisible();
  const inCorpus = await audit(page);
  expectExplained(inCorpus);
  const corpusTerms = new Set(inCorpus.map((f) => f.term));
  for (const t of [
    'corpus-files',
    'corpus-probes',
    'corpus-articles',
    'corpus-run',
    'corpus-layer',
    'corpus-heatmap',
    'corpus-load',
    'corpus-share',
    'corpus-uniform',
    'corpus-top-tokens',
    'corpus-contexts',
    'corpus-load-drift',
    'corpus-share-change',
    'ablate-source',
    'ablate-n',
    'ablate-seeds',
    'ablate-run',
    'ablate-cancel',
  ])
    expect(corpusTerms, t).toContain(t);
  await view.getByTestId('ablate-cancel').click();
  await expect(view.getByTestId('ablate-cancel')).toHaveCount(0);
  // Keyboard focus on the layer menu shows its explanation.
  await view.getByTestId('corpus-layer').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(view.getByTestId('corpus-layer')).toBeFocused();
  await expectTipOnFocus(page, 'corpus-layer');
});

test('the training playground: every control and metric label is explained, and no inference engine is loaded', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('./?mode=train');
  await expect(page.getByTestId('train-step')).toHaveText('0');
  await page.getByTestId('train-step-button').click();
  await expect(page.getByTestId('train-step')).toHaveText('1');
  await expect(page.getByTestId('train-loss')).toHaveText(/^\d+\.\d{4}$/);

  const found = await audit(page);
  expectExplained(found);
  const terms = new Set(found.map((f) => f.term));
  for (const t of [
    'train-preset',
    'train-play',
    'train-upcycle',
    'train-experts',
    'train-balance',
    'train-capacity',
    'train-renorm',
    'train-maxvio',
    'train-loss',
    'train-dropped',
    'train-entropy',
    'train-regions-router',
    'mode-lab',
  ])
    expect(terms, t).toContain(t);

  // Keyboard: Tab from the experiment picker reaches Play, and its explanation shows.
  await page.getByTestId('train-preset').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('train-play')).toBeFocused();
  await expectTipOnFocus(page, 'train-play');
  // A balancing weight names its formula and paper.
  await page.getByTestId('train-balance').selectOption('lossfree');
  await page.getByTestId('train-balance').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('train-weight')).toBeFocused();
  await expectTipOnFocus(page, 'train-weight-lossfree');

  // The sequence task draws the lab's own views: their controls are explained there too.
  await page.goto('./?mode=train&train=task:languages');
  await page.getByTestId('train-step-button').click();
  await expect(page.getByTestId('routing-cell').first()).toBeVisible();
  expectExplained(await audit(page));

  // Train mode starts no inference worker: no ORT WebAssembly, no worker script, no model.
  const engine = requests.filter((u) =>
    /ort-wasm|\/assets\/worker\.js|\.onnx|manifest\.json/.test(u),
  );
  expect(engine).toEqual([]);
});
