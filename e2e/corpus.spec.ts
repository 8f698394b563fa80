// The corpus view clicked like a person: pick two .txt files, route them, read the heatmap, click an
// expert and see its top tokens; the share shown equals `moe-lab corpus` on the same files.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ready } from './appPage';

const MODEL = 'public/models/babel-moe';
const FILES = {
  'en.txt':
    'All human beings are born free and equal in dignity and rights.\nEveryone has the right to life, liberty and security of person.\n',
  'de.txt':
    'Alle Menschen sind frei und gleich an Würde und Rechten geboren.\nJeder hat das Recht auf Leben, Freiheit und Sicherheit der Person.\n',
};

interface Report {
  layers: {
    index: number;
    kind: string;
    numExperts: number;
    experts: { id: number; sources: Record<string, number>; topTokens: { text: string }[] }[];
  }[];
}

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'corpus-e2e-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('corpus view: two files → heatmap → an expert’s shares and top tokens, equal to `moe-lab corpus`', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const paths = Object.keys(FILES).map((n) => join(dir, n));
  const cli = JSON.parse(
    execFileSync('node', ['tools/moe-lab.mjs', 'corpus', ...paths, '--model', MODEL], {
      encoding: 'utf8',
    }),
  ) as Report;
  const layer = cli.layers.find((l) => l.kind === 'moe')!;
  // the expert German prefers most in the first MoE layer
  const expert = layer.experts.reduce((a, b) => (b.sources.de > a.sources.de ? b : a));

  await page.goto('./');
  await expect(page.getByTestId('backend-badge')).toHaveText(/^(wasm|webgpu)$/, {
    timeout: 60_000,
  });
  await ready(page);
  const view = page.getByTestId('corpus-view');
  await view.scrollIntoViewIfNeeded();
  await view.getByTestId('corpus-files').setInputFiles(paths);
  await expect(view.getByTestId('corpus-file-list')).toContainText('en.txt, de.txt');
  await view.getByTestId('corpus-run').click();
  await expect(view.getByTestId('corpus-heatmap')).toBeVisible({ timeout: 60_000 });
  await expect(view.getByTestId('corpus-cell')).toHaveCount(2 * layer.numExperts);
  await expect(view.getByTestId('corpus-layer')).toHaveValue(String(layer.index));
  await view
    .locator(`[data-testid="corpus-cell"][data-source="de"][data-expert="${expert.id}"]`)
    .click();
  await expect(view.getByTestId('corpus-expert').locator('h3')).toContainText(
    `Layer ${layer.index} · expert ${expert.id}`,
  );
  await expect(view.getByTestId('corpus-share-de')).toHaveText(expert.sources.de.toFixed(4));
  await expect(view.getByTestId('corpus-share-en')).toHaveText(expert.sources.en.toFixed(4));
  await expect(view.getByTestId('corpus-top-tokens').locator('code').first()).toHaveText(
    expert.topTokens[0].text.trim() === '' ? /.+/ : expert.topTokens[0].text,
  );
  await expect(view.getByTestId('atlas-point')).toHaveCount(
    cli.layers.filter((l) => l.kind === 'moe').reduce((a, l) => a + l.numExperts, 0),
  );

  // the atlas point of that expert names it; a click on it keeps it selected
  await view
    .locator(`[data-testid="atlas-point"][data-layer="${layer.index}"][data-expert="${expert.id}"]`)
    .click();
  await expect(view.getByTestId('corpus-share-de')).toHaveText(expert.sources.de.toFixed(4));

  // Ablate: German's 2 preferred experts per layer are `moe-lab ablate`'s
  const abl = JSON.parse(
    execFileSync(
      'node',
      [
        'tools/moe-lab.mjs',
        'ablate',
        ...paths,
        '--model',
        MODEL,
        '--source',
        'de',
        '--n',
        '2',
        '--seeds',
        '2',
      ],
      { encoding: 'utf8' },
    ),
  ) as { layers: number[]; preferred: { experts: Record<string, number[]> } };
  await view.getByTestId('ablate-source').selectOption('de');
  await view.getByTestId('ablate-n').fill('2');
  await view.getByTestId('ablate-seeds').fill('2');
  await view.getByTestId('ablate-run').click();
  await expect(view.getByTestId('ablate-table').locator('caption')).toContainText(
    `(${abl.layers.map((l) => `L${l}: ${abl.preferred.experts[String(l)].join('+')}`).join('; ')})`,
    { timeout: 60_000 },
  );
  await expect(view.getByTestId('ablate-random-target')).toHaveText(/^[+-]\d\.\d{3} ± \d\.\d{3}$/);
});
