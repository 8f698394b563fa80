#!/usr/bin/env node
/* global performance, window, PerformanceObserver */
// Browser benchmark (not a test) of a 1B-class model in the page: the granite-3.0-1b-a400m-shaped
// random checkpoint (tools/make-checkpoint.mjs --shape granite-1b-a400m, 2.67 GB of bf16) converted
// to q4 by `moe-lab convert`, served with the production build, opened in Debian's Chromium (WASM).
// Measures navigation → model loaded, → first routing map, → full map (the first run painted) for
// a 128-token prompt, the longest main-thread task meanwhile, generation tokens/s, and the tab's
// memory (performance.measureUserAgentSpecificMemory: page + workers, the page is cross-origin
// isolated). Writes GBs under BENCH_BIG_DIR (default /tmp/moe-big-bench; reused when present), so
// `npm run bench` runs it only with BENCH_BIG=1. Prints one JSON object.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import os from 'node:os';

if (!process.env.BENCH_BIG) {
  console.error('bench-big-model: skipped (set BENCH_BIG=1: it writes ~4 GB under /tmp)');
  process.exit(0);
}
const DIR = resolve(process.env.BENCH_BIG_DIR ?? '/tmp/moe-big-bench');
const PORT = Number(process.env.BENCH_PORT ?? 4184);
const GEN = Number(process.env.BENCH_GEN_TOKENS ?? 16);
const ck = join(DIR, 'ck');
const bundle = join(DIR, 'granite-1b-q4');
if (!existsSync(join(ck, 'config.json'))) execFileSync('node', ['tools/make-checkpoint.mjs', '--shape', 'granite-1b-a400m', ck], { stdio: 'inherit' });
if (!existsSync(join(bundle, 'manifest.json'))) execFileSync('node', ['tools/moe-lab.mjs', 'convert', ck, bundle, '--dtype', 'q4'], { stdio: 'inherit' });
const bundleBytes = readdirSync(bundle).reduce((n, f) => n + statSync(join(bundle, f)).size, 0);

// The production build, with the bundle linked in under models/ (same origin: the page is
// cross-origin isolated).
execFileSync('node', ['-e', "import('vite').then((v) => v.build({ logLevel: 'warn' }))"], { stdio: 'inherit' });
const link = resolve('dist/models/granite-1b-q4');
rmSync(link, { force: true });
symlinkSync(bundle, link);
const { serveStatic } = await import('./serve.mjs');
const server = await serveStatic('dist', { port: PORT });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const text = 'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood. ';
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const POLL = { polling: 250, timeout: 600_000 };
  await page.goto(`http://127.0.0.1:${PORT}/?backend=wasm&model=models/granite-1b-q4/&q=${encodeURIComponent(text)}`);
  await page.waitForFunction(() => performance.getEntriesByName('moe-run').length > 0, null, POLL);
  const marks = await page.evaluate(() => {
    const at = (n) => Math.round(performance.getEntriesByName(n)[0]?.startTime ?? NaN);
    const load = performance.getEntriesByName('moe-load')[0];
    const run = performance.getEntriesByName('moe-run')[0];
    return { loadedMs: Math.round(load.startTime + load.duration), firstMapMs: at('moe-first-map'), fullMapMs: Math.round(run.startTime + run.duration), longestTaskMs: Math.round(Math.max(0, ...window.__longTasks)) };
  });
  const shape = await page.getByTestId('run-shape').textContent();
  // Generation: GEN tokens, greedy, timed from the click to the last token shown.
  await page.getByLabel('tokens', { exact: true }).fill(String(GEN));
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.locator('.gen-tok').nth(GEN - 1).waitFor({ timeout: 600_000 });
  const genTokensPerS = Math.round((GEN / ((Date.now() - t0) / 1000)) * 100) / 100;
  const memory = await page.evaluate(async () => (await performance.measureUserAgentSpecificMemory()).bytes);
  console.log(
    JSON.stringify({
      what: 'browser (WASM): granite-3.0-1b-a400m-shaped random checkpoint, q4 bundle, served with the build; a 33-word prompt (UDHR article 1)',
      machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Chromium (Debian), headless, no GPU`,
      bundleMB: Math.round(bundleBytes / 2 ** 20),
      shape,
      ...marks,
      genTokensPerS,
      tabMemoryMB: Math.round(memory / 2 ** 20),
      targets: { fullMapMs: '≤ 15000', longestTaskMs: 'nothing freezes' },
    }),
  );
} finally {
  await browser.close();
  server.close?.();
  rmSync(link, { force: true });
}
