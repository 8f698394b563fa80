#!/usr/bin/env node
/* global performance, URLSearchParams, window, PerformanceObserver */
// Browser benchmark (not a test): in Debian's Chromium against the production build, measure
// (1) a cold page load → first routing map (fresh profile, nothing cached; its first row) and →
// the whole first run drawn, with where the worker spent the load; (2) router swap → all views
// updated for a 128-token prompt: the router alternates native ↔ topp (p = 0.5), which changes every layer's routing, so each swap
// recomputes the whole model (the unmodified baseline is cached after the first swap); the
// first BENCH_WARMUP swaps (WebAssembly still tiering up) are reported apart.
// Prints one JSON object. BENCH_THREADS=N sets the WASM threads (the page's ?threads=N);
// BENCH_VIEWS=a,b opens only those views (the page's ?views=), to see what each view costs.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import os from 'node:os';

const PORT = Number(process.env.BENCH_PORT ?? 4181);
const MODEL = process.env.BENCH_MODEL ?? '';
const ITERS = Number(process.env.BENCH_ITERS ?? 20);
// WebAssembly tiers up while it runs: the first swaps after a cold load are slower. They are
// reported apart (warmup), and the steady state is measured after them.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const THREADS = process.env.BENCH_THREADS ?? '';
const server = spawn('node', ['tools/start.mjs'], { env: { ...process.env, PORT: String(PORT) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.on('data', (d) => String(d).includes('serving') && ok()));

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'moe-bench-')), {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const quantiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10;
  return { p50: q(0.5), p95: q(0.95) };
};
try {
  const page = await browser.newPage();
  const base = `http://127.0.0.1:${PORT}/`;
  // A prompt of exactly TOKENS tokens: the page shows how many tokens a text has; trim words until it fits.
  let words = 'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood. '
    .repeat(6)
    .trim()
    .split(' ');
  const params = { ...(MODEL ? { model: MODEL } : {}), ...(THREADS ? { threads: THREADS } : {}), ...(process.env.BENCH_VIEWS !== undefined ? { views: process.env.BENCH_VIEWS } : {}) };
  // Waits poll on a timer, not every animation frame: rAF polling makes the page draw frames
  // throughout, which on 2 cores slowed the engine it measures by a third. Times come from the
  // page's own marks: the first map from navigation start, each swap from request to painted frame.
  const POLL = { polling: 100, timeout: 120_000 };
  const firstMap = async (p) => {
    await p.waitForFunction(() => performance.getEntriesByName('moe-first-map').length > 0, null, POLL);
    return p.evaluate(() => Math.round(performance.getEntriesByName('moe-first-map')[0].startTime));
  };
  await page.goto(`${base}?${new URLSearchParams({ q: words.join(' '), ...params })}`);
  const firstMapMs = await firstMap(page);
  // The first run finished: every layer, the next-token panel and the loss drawn (the map streams
  // in a layer at a time, so the first routing map above is its first row).
  await page.waitForFunction(() => performance.getEntriesByName('moe-run').length > 0, null, POLL);
  const firstRunDoneMs = await page.evaluate(() => {
    const e = performance.getEntriesByName('moe-run')[0];
    return Math.round(e.startTime + e.duration);
  });
  const load = await page.evaluate(() => {
    const e = performance.getEntriesByName('moe-load')[0];
    return { duration: e.duration, detail: e.detail };
  });
  const backend = await page.getByTestId('backend-badge').textContent();
  const countTokens = async () => {
    await page.waitForFunction(() => performance.getEntriesByName('moe-run').length > 0, null, POLL);
    return page.locator('.map-token').count();
  };
  // Shorten the prompt to TOKENS tokens (the map's token row counts them).
  for (let i = 0; i < 5; i++) {
    const n = (await countTokens()) - 1;
    if (n <= TOKENS) break;
    words = words.slice(0, Math.max(1, Math.floor(words.length * (TOKENS / n))));
    const before = await page.evaluate(() => performance.getEntriesByName('moe-run').length);
    await page.getByTestId('prompt-input').fill(words.join(' '));
    await page.getByTestId('prompt-input').press('Enter');
    await page.waitForFunction((k) => performance.getEntriesByName('moe-run').length > k, before, POLL);
  }
  const tokens = (await countTokens()) - 1;
  const routers = ['topp', 'native'];
  // Jank: the page's main-thread tasks over 50 ms (Long Tasks API) during the measured swaps.
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
  const total = [];
  const engine = [];
  const warm = [];
  for (let i = 0; i < ITERS + WARMUP + 2; i++) {
    const before = await page.evaluate(() => performance.getEntriesByName('moe-run').length);
    await page.getByTestId('router-select').selectOption(routers[i % 2]);
    await page.waitForFunction((n) => performance.getEntriesByName('moe-run').length > n, before, POLL);
    const m = await page.evaluate(() => {
      const e = performance.getEntriesByName('moe-run').at(-1);
      return { duration: e.duration, engineMs: e.detail?.engineMs ?? NaN };
    });
    // The first two swaps also compute (then cache) the unmodified baseline: not counted.
    if (i === 2 + WARMUP - 1) await page.evaluate(() => (window.__longTasks.length = 0));
    if (i >= 2 + WARMUP) {
      total.push(m.duration);
      engine.push(m.engineMs);
    } else if (i >= 2) warm.push(m.duration);
  }
  // A reload in the same profile: the model revalidates from the HTTP cache (ETag → 304) and
  // Chromium may reuse its compiled WebAssembly.
  const again = await browser.newPage();
  await again.goto(`${base}?${new URLSearchParams({ q: words.join(' '), ...params })}`);
  const reloadFirstMapMs = await firstMap(again);
  await again.close();
  console.log(
    JSON.stringify({
      what: 'browser: cold page load → first routing map; router swap (native ↔ topp) → all views updated (request → store → next frame)',
      backend,
      threads: THREADS || 'default (min(4, cores − 1))',
      tokens,
      machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Chromium (Debian), headless`,
      firstMapMs,
      firstRunDoneMs,
      reloadFirstMapMs,
      load: { ms: Math.round(load.duration), ...Object.fromEntries(Object.entries(load.detail ?? {}).map(([k, v]) => [k, Math.round(v)])) },
      routerSwapMs: { ...quantiles(total), iterations: total.length, afterWarmupSwaps: WARMUP },
      routerSwapWarmupMs: warm.length ? { ...quantiles(warm), iterations: warm.length } : null,
      engineMs: quantiles(engine),
      mainThreadLongTasksDuringSwaps: await page.evaluate(() => ({ count: window.__longTasks.length, maxMs: Math.round(Math.max(0, ...window.__longTasks)) })),
    }),
  );
} finally {
  await browser.close();
  server.kill();
}
