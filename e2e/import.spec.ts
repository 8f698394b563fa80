import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

// Traces captured elsewhere open in the page: a vLLM routed_experts .npy (written by np.save) with
// its token ids picked through the file chooser, and a trace JSON from ?trace=<url>.
const npy = readFileSync('src/models/importers/__fixtures__/routed_experts_i4.npy');
const tokens = Buffer.from(
  JSON.stringify([
    { id: 101, text: 'Hal' },
    { id: 102, text: 'lo' },
    { id: 103, text: '!' },
  ]),
);

test('a vLLM capture picked with its token ids: the map shows its experts, model-only views say why they are off', async ({
  page,
}) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('./?backend=wasm');
  const chooser = page.waitForEvent('filechooser');
  await page.getByText('Open trace…').click();
  await (
    await chooser
  ).setFiles([
    { name: 'routed_experts.npy', mimeType: 'application/octet-stream', buffer: npy },
    { name: 'tokens.json', mimeType: 'application/json', buffer: tokens },
  ]);
  await expect(page.getByTestId('imported-trace')).toContainText(
    'routed_experts.npy + tokens.json',
  );
  const map = page.getByTestId('routing-map');
  const cell = (layer: number, token: number) =>
    map.locator(`[data-testid="routing-cell"][data-layer="${layer}"][data-token="${token}"]`);
  await expect(map.getByTestId('routing-cell')).toHaveCount(6); // 2 layers × 3 tokens
  await expect(cell(0, 0)).toHaveAttribute('data-experts', '1,3');
  await expect(cell(0, 1)).toHaveAttribute('data-experts', '2,1');
  await expect(cell(0, 2)).toHaveAttribute('data-experts', '3,0');
  await expect(cell(1, 0)).toHaveAttribute('data-experts', ''); // all-zero layer → dense
  await expect(map.getByRole('columnheader', { name: 'lo' })).toBeVisible();
  // Routing-only views draw the trace…
  await expect(page.getByTestId('expert-load').getByRole('img')).toHaveAttribute(
    'aria-label',
    /tokens per expert in layer 0: 1, 2, 1, 2;/,
  );
  // …the ones that need the model or logits say why, in one line.
  await expect(page.getByTestId('next-token').getByTestId('disabled-reason')).toHaveText(
    'Needs the model itself: the imported vllm trace holds routing only (run a prompt to go back to the model).',
  );
  await expect(page.getByTestId('router-scores').getByTestId('disabled-reason')).toHaveText(
    'This vllm trace has no router logits: it records only the experts each token was sent to.',
  );
  await expect(page.getByTestId('router-panel').getByTestId('disabled-reason')).toBeVisible();
  // The model finishing its load underneath does not replace the trace.
  await expect(page.getByTestId('backend-badge')).toHaveText('wasm', { timeout: 60_000 });
  await expect(cell(0, 0)).toHaveAttribute('data-experts', '1,3');
  expect(problems).toEqual([]);
});

test('?trace=<url> opens a trace JSON; with router logits the score bars show but model controls do not', async ({
  page,
}) => {
  const trace = {
    model: { id: 'hf-import', numLayers: 1, numExperts: 4 },
    backend: 'transformers',
    tokens: [
      { id: 7, text: 'Hal' },
      { id: 8, text: 'lo' },
    ],
    layers: [
      {
        index: 0,
        kind: 'moe',
        routerLogits: [
          [1, 2, 3, 0],
          [0, 0, 0, 5],
        ],
        selected: [
          [2, 1],
          [3, 0],
        ],
        gates: [
          [0.731, 0.269],
          [0.9933, 0.0067],
        ],
      },
    ],
  };
  await page.route('**/traces/hf.json', (r) =>
    r.fulfill({ contentType: 'application/json', body: JSON.stringify(trace) }),
  );
  await page.goto('./?backend=wasm&trace=traces/hf.json');
  await expect(page.getByTestId('imported-trace')).toContainText('hf.json');
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', '2,1');
  await expect(page.getByTestId('router-scores').getByRole('img')).toHaveAttribute(
    'aria-label',
    /selected experts 2, 1/,
  );
  await expect(page.getByTestId('mask-0')).toHaveCount(0);
  await expect(page.getByTestId('next-token').getByTestId('disabled-reason')).toContainText(
    'Needs the model itself',
  );
  expect(new URL(page.url()).searchParams.getAll('trace')).toEqual(['traces/hf.json']);
});

test('a bad ?trace= link: the banner names the field, the link’s model and prompt still run, and the notice stays', async ({
  page,
}) => {
  const deep = `{"model":{"id":"m"},"tokens":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  await page.route('**/traces/deep.json', (r) =>
    r.fulfill({ contentType: 'application/json', body: deep }),
  );
  await page.goto('./?backend=wasm&trace=traces/deep.json&q=Hi');
  const why =
    'Could not open the trace: deep.json: tokens[0][0][0][0][0][0][0]…[0]: nested deeper than 64 levels of arrays/objects (the JSON depth limit)';
  await expect(page.getByTestId('page-notice')).toContainText(
    `ignored URL field trace="traces/deep.json": ${why}`,
  );
  await expect(page.getByTestId('imported-trace')).toHaveCount(0);
  // The model the link names loads after the trace and runs its prompt; the notice outlives that run.
  await expect(page.getByTestId('backend-badge')).toHaveText('wasm', { timeout: 60_000 });
  await expect(page.getByTestId('routing-cell').first()).toHaveAttribute('data-experts', /\d/);
  await expect(page.getByTestId('page-notice')).toContainText(
    'ignored URL field trace="traces/deep.json"',
  );
});
