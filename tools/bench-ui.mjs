#!/usr/bin/env node
/* global document, performance, URLSearchParams */
// Browser benchmark (not a test): in Debian's Chromium against the production build, measure
// (1) page load → first routing map, and (2) router swap → all views updated, for a 128-token
// prompt, from the page's own performance marks. Prints one JSON object.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import os from 'node:os';

const PORT = Number(process.env.BENCH_PORT ?? 4181);
const MODEL = process.env.BENCH_MODEL ?? '';
const ITERS = Number(process.env.BENCH_ITERS ?? 20);
const server = spawn('node', ['tools/start.mjs'], { env: { ...process.env, PORT: String(PORT) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.on('data', (d) => String(d).includes('serving') && ok()));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // A 128-token prompt: repeat a sentence, the page truncates to the model's context if needed.
  const text = 'All human beings are born free and equal in dignity and rights. '.repeat(9);
  const q = new URLSearchParams({ q: text, ...(MODEL ? { model: MODEL } : {}) });
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${PORT}/?${q}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="routing-cell"][data-experts]:not([data-experts=""])').length > 0, null, { timeout: 120_000 });
  const firstMapMs = Date.now() - t0;
  const backend = await page.getByTestId('backend-badge').textContent();
  const tokens = await page.locator('.map-token').count();
  const routers = ['topk', 'native'];
  const times = [];
  for (let i = 0; i < ITERS; i++) {
    const before = await page.evaluate(() => performance.getEntriesByName('moe-run').length);
    await page.getByTestId('router-select').selectOption(routers[i % 2]);
    await page.waitForFunction((n) => performance.getEntriesByName('moe-run').length > n, before);
    times.push(await page.evaluate(() => performance.getEntriesByName('moe-run').at(-1).duration));
  }
  times.sort((a, b) => a - b);
  const q50 = times[Math.floor(0.5 * times.length)];
  const q95 = times[Math.min(times.length - 1, Math.floor(0.95 * times.length))];
  console.log(
    JSON.stringify({
      what: 'browser: page load → first routing map; router swap → all views updated (request → store → next frame)',
      backend,
      tokens: tokens - 1,
      machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Chromium (Debian), headless`,
      firstMapMs,
      routerSwapMs: { p50: Math.round(q50 * 10) / 10, p95: Math.round(q95 * 10) / 10, iterations: ITERS },
    }),
  );
} finally {
  await browser.close();
  server.kill();
}
