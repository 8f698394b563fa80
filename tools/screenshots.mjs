#!/usr/bin/env node
/* global performance, URLSearchParams */
// `npm run screenshots` (not a test): one PNG per main view into docs/views/, on the shipped model,
// for the README. German UDHR text, the native router, then expert 3 masked in layer 2 so the
// diff views have something to show; the analysis views are run by clicking their buttons.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const PORT = Number(process.env.SHOT_PORT ?? 4185);
const OUT = 'docs/views';
mkdirSync(OUT, { recursive: true });
const server = spawn('node', ['tools/start.mjs'], { env: { ...process.env, PORT: String(PORT) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.on('data', (d) => String(d).includes('serving') && ok()));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const runs = (page) => page.evaluate(() => performance.getEntriesByName('moe-run').length);
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  const text = 'Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt.';
  const q = new URLSearchParams({ q: text, iv: 'mask:layers=2,experts=3', t: '6', l: '2' });
  await page.goto(`http://127.0.0.1:${PORT}/?${q}`);
  await page.waitForFunction(() => performance.getEntriesByName('moe-run').length > 0, null, { timeout: 120_000 });
  const shots = ['routing-map', 'router-panel', 'router-scores', 'expert-load', 'flow-view', 'coactivation-view', 'cache-view', 'entropy-view', 'next-token'];
  // Analyses that run on request.
  await page.getByTestId('coupling-run').click();
  await page.getByTestId('row-dominance').waitFor();
  shots.push('coupling-view');
  const before = await runs(page);
  for (const id of shots) {
    await page.getByTestId(id).scrollIntoViewIfNeeded();
    await page.waitForTimeout(150); // views redraw when scrolled into sight
    await page.getByTestId(id).screenshot({ path: `${OUT}/${id}.png` });
    console.log(`${OUT}/${id}.png`);
  }
  if ((await runs(page)) !== before) throw new Error('a run happened while taking screenshots');
} finally {
  await browser.close();
  server.kill();
}
