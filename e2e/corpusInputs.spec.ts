// The corpus view takes the CLI's inputs, dropped like a person drops files: a .jsonl with two
// sources becomes two heatmap rows whose shares equal `moe-lab corpus` on the same file; a bad
// .jsonl dropped next is refused by file and line and the result stays.
import { test, expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ready } from './appPage';

const MODEL = 'public/models/babel-moe';
const JSONL = [
  { text: 'All human beings are born free and equal in dignity and rights.', source: 'en' },
  { text: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.', source: 'de' },
  { text: 'Everyone has the right to life, liberty and security of person.', source: 'en' },
]
  .map((r) => JSON.stringify(r))
  .join('\n');

interface Report {
  sources: { name: string }[];
  layers: {
    index: number;
    kind: string;
    numExperts: number;
    experts: { id: number; sources: Record<string, number> }[];
  }[];
}

/** Drop files on a target as a person drags them from the desktop. */
async function drop(page: Page, target: Locator, files: { name: string; text: string }[]) {
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) d.items.add(new File([f.text], f.name, { type: 'application/json' }));
    return d;
  }, files);
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  await target.dispatchEvent('drop', { dataTransfer: dt });
}

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'corpus-inputs-e2e-'));
  writeFileSync(join(dir, 'udhr.jsonl'), JSONL);
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('corpus view: a dropped .jsonl with two sources gives the CLI’s shares; a bad one is named and refused', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const cli = JSON.parse(
    execFileSync(
      'node',
      ['tools/moe-lab.mjs', 'corpus', join(dir, 'udhr.jsonl'), '--model', MODEL],
      {
        encoding: 'utf8',
      },
    ),
  ) as Report;
  expect(cli.sources.map((s) => s.name)).toEqual(['en', 'de']);
  const layer = cli.layers.find((l) => l.kind === 'moe')!;
  const expert = layer.experts.reduce((a, b) => (b.sources.en > a.sources.en ? b : a));

  await page.goto('./');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, {
    timeout: 60_000,
  });
  await ready(page);
  const view = page.getByTestId('corpus-view');
  await view.scrollIntoViewIfNeeded();
  await drop(page, view.getByTestId('corpus-drop'), [{ name: 'udhr.jsonl', text: JSONL }]);
  await expect(view.getByTestId('corpus-file-list')).toContainText('udhr.jsonl');
  await view.getByTestId('corpus-run').click();
  await expect(view.getByTestId('corpus-heatmap')).toBeVisible({ timeout: 60_000 });
  await expect(view.getByTestId('corpus-summary')).toContainText('en: 2 seq');
  await expect(view.getByTestId('corpus-summary')).toContainText('de: 1 seq');
  // the heatmap's rows are the file's two sources, in the CLI's order
  const rows = await view
    .getByTestId('corpus-cell')
    .evaluateAll((cells) => [...new Set(cells.map((c) => (c as HTMLElement).dataset.source))]);
  expect(rows).toEqual(['en', 'de']);
  await view
    .locator(`[data-testid="corpus-cell"][data-source="en"][data-expert="${expert.id}"]`)
    .click();
  await expect(view.getByTestId('corpus-share-en')).toHaveText(expert.sources.en.toFixed(4));
  await expect(view.getByTestId('corpus-share-de')).toHaveText(expert.sources.de.toFixed(4));

  // a bad line: named by file and line; the file list and the result stay
  await drop(page, view.getByTestId('corpus-drop'), [
    { name: 'bad.jsonl', text: `${JSON.stringify({ text: 'ok' })}\n{"text": 5}\n` },
  ]);
  await expect(view.getByTestId('corpus-file-error')).toHaveText(
    'bad.jsonl:2: "text" must be a string, got 5',
  );
  await expect(view.getByTestId('corpus-file-list')).not.toContainText('bad.jsonl');
  await expect(view.getByTestId('corpus-file-list')).toContainText('udhr.jsonl');
  await expect(view.getByTestId('corpus-share-en')).toHaveText(expert.sources.en.toFixed(4));
});
