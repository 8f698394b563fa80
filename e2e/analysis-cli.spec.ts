// The attribution, coupling and entropy views on the shipped model show the numbers that
// `moe-lab attribute`, `moe-lab coupling` and `moe-lab trace` + `analyze` print for the same inputs.
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeTrace } from './engineHarness';
import { tokenRouting } from '../src/routing/metrics/routing';

const MODEL = 'public/models/babel-moe';
const TEXT = 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.';
const cli = (...args: string[]) =>
  JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8' }));

async function openAndRun(page: Page, text: string) {
  await page.goto('./');
  await expect(page.getByTestId('model-select')).toHaveValue('babel-moe');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, {
    timeout: 60_000,
  });
  await page.getByTestId('prompt-input').fill(text);
  await page.getByTestId('prompt-input').press('Enter');
  await expect(page.getByTestId('routing-cell').last()).toHaveAttribute('data-experts', /\d/);
}

/** The attribution table has its 6 rows and each layer's “towards A” list reads as the CLI's. */
async function expectTowardsA(
  page: Page,
  out: { layers: { index: number; towardsA: { expert: number; delta: number }[] }[] },
  timeout: number,
) {
  await expect(page.getByTestId('attr-table').locator('tbody tr')).toHaveCount(6, { timeout });
  const fmt = (r: { expert: number; delta: number }) =>
    `${r.expert} (${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(2)})`;
  for (const l of out.layers)
    await expect(page.getByTestId(`attr-top-a-${l.index}`)).toHaveText(
      l.towardsA.map(fmt).join(', '),
    );
}

/** The browser computes in float32 on WASM, the CLI on onnxruntime-node: 3-decimal displays agree within this. */
const near = async (page: Page, testId: string, value: number) => {
  const shown = Number(await page.getByTestId(testId).textContent());
  expect(Math.abs(shown - value), `${testId}: page ${shown}, CLI ${value}`).toBeLessThan(6e-4);
};

test('attribution: the per-layer ranking and the “steer towards A” specs equal `moe-lab attribute`', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const A = [
    'All human beings are born free and equal in dignity and rights.',
    'Everyone has the right to life, liberty and security of person.',
  ];
  const B = [
    'Alle Menschen sind frei und gleich an Würde und Rechten geboren.',
    'Jeder hat das Recht auf Leben, Freiheit und Sicherheit der Person.',
  ];
  const out = cli(
    'attribute',
    '--model',
    MODEL,
    '--a',
    A.join('\n'),
    '--b',
    B.join('\n'),
    '--top',
    '2',
  );
  await openAndRun(page, TEXT);
  await page.getByTestId('attr-a').fill(A.join('\n'));
  await page.getByTestId('attr-b').fill(B.join('\n'));
  await page.getByTestId('attr-run').click();
  await expectTowardsA(page, out, 60_000);
  // One click adds exactly the CLI's specs (same τ = 0.1, λ = 0.5 defaults).
  expect(out.interventions.steerTowardsA.length).toBeGreaterThan(0);
  await page.getByTestId('attr-towards-a').click();
  await expect(page.getByTestId('intervention').locator('code')).toHaveText(
    out.interventions.steerTowardsA,
  );
  await expect(page.getByTestId('next-kl')).toBeVisible({ timeout: 60_000 });
});

test('attribution from the probe picker equals `moe-lab attribute --a-probe en --b-probe de --articles 2`', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const out = cli('attribute', '--model', MODEL, '--a-probe', 'en', '--b-probe', 'de', '--articles', '2', '--top', '2');
  await openAndRun(page, TEXT);
  await page.getByTestId('attr-a-probe').selectOption('en');
  await page.getByTestId('attr-b-probe').selectOption('de');
  await page.getByTestId('attr-articles').fill('2');
  await expect(page.getByTestId('attr-a')).toBeDisabled();
  await page.getByTestId('attr-run').click();
  await expectTowardsA(page, out, 90_000);
});

test('coupling: dominance, router-row cosine and score–norm correlation equal `moe-lab coupling`', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const layer = 2;
  const [out] = cli('coupling', '--model', MODEL, '--layers', String(layer), '--text', TEXT).layers;
  await openAndRun(page, TEXT);
  await page.locator(`[data-testid="routing-cell"][data-layer="${layer}"][data-token="0"]`).click();
  await page.getByTestId('coupling-run').click();
  await expect(page.getByTestId('coupling-view').locator('rect.cell')).toHaveCount(64);
  await expect(page.getByTestId('row-dominance')).toHaveText(out.rowDominance.toFixed(3));
  await expect(page.getByTestId('col-dominance')).toHaveText(out.columnDominance.toFixed(3));
  // Router rows come straight from routers.bin: the same digits on both sides.
  await expect(page.getByTestId('router-cosine')).toHaveText(out.routerRowCosine.toFixed(3));
  await near(page, 'score-norm-corr', out.scoreNormCorrelation);
});

test('entropy view: the focused token and the per-layer means equal the metric on the CLI trace and `analyze --metrics entropy`', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const trace = nodeTrace(MODEL, TEXT);
  const f = join(mkdtempSync(join(tmpdir(), 'ent-')), 'trace.json');
  writeFileSync(f, JSON.stringify(trace));
  const analysis = cli('analyze', f, '--metrics', 'entropy');
  await openAndRun(page, TEXT);
  const [layer, token] = [3, 4];
  await page
    .locator(`[data-testid="routing-cell"][data-layer="${layer}"][data-token="${token}"]`)
    .click();
  const r = tokenRouting(trace.layers[layer].routerLogits);
  await expect(page.getByTestId('entropy-token')).toContainText(
    `token ${token} “${trace.tokens[token].text}”, layer ${layer}`,
  );
  await near(page, 'entropy-h', r.entropy[token]);
  await near(page, 'entropy-hnorm', r.normalisedEntropy[token]);
  await near(page, 'entropy-conf', r.confidence[token]);
  await near(page, 'entropy-margin', r.margin[token]);
  await expect(page.getByTestId('entropy-view').locator('rect.ent-cell')).toHaveCount(
    6 * trace.tokens.length,
  );
  for (const l of analysis.layers) {
    const cells = await page
      .locator(`[data-testid="entropy-table"] tr[data-layer="${l.index}"] td`)
      .allTextContents();
    const e = l.entropy;
    [e.meanEntropy, e.meanNormalisedEntropy, e.meanConfidence, e.meanMargin].forEach(
      (v: number, i: number) =>
        expect(Math.abs(Number(cells[i + 1]) - v), `layer ${l.index} column ${i + 1}`).toBeLessThan(
          6e-4,
        ),
    );
  }
  await page.getByTestId('entropy-view').screenshot({ path: 'docs/screenshot-entropy.png' });
});
