#!/usr/bin/env node
/* global performance, window, PerformanceObserver, document */
// Browser benchmark (not a test) of the views at real models' shapes: generated vLLM captures
// (tools/make-captures.mjs: OLMoE, Qwen3-30B-A3B, DeepSeek-V3) opened with ?trace= in Debian's
// Chromium against the production build. Per shape and token count, over BENCH_SCALE_RUNS fresh
// pages: navigation → first routing map (the page's `moe-first-map` mark), the longest
// main-thread task until the page is quiet, and the DOM node count once every view has drawn.
// Prints one JSON object. BENCH_SCALE=olmoe:512,deepseek:4096 picks the cases; BENCH_VIEWS=a,b opens
// only those views (the page's ?views=), to see what each view costs.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import os from 'node:os';

const PORT = Number(process.env.BENCH_PORT ?? 4182);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);
const CASES = (process.env.BENCH_SCALE ?? 'olmoe:512,olmoe:2048,qwen3:512,qwen3:2048,deepseek:512,deepseek:2048,deepseek:4096').split(',');
const dir = mkdtempSync(join(tmpdir(), 'moe-captures-'));
execFileSync('node', ['tools/make-captures.mjs', dir, ...CASES], { stdio: ['ignore', 'ignore', 'inherit'] });

const server = spawn('node', ['tools/start.mjs'], { env: { ...process.env, PORT: String(PORT) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.on('data', (d) => String(d).includes('serving') && ok()));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

/** One fresh page: open the capture, wait for the first map, then for 2 s without a long task. */
async function once(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.route('**/captures/*', (route) => route.fulfill({ body: readFileSync(join(dir, route.request().url().split('/').pop())) }));
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  const views = process.env.BENCH_VIEWS !== undefined ? `&views=${process.env.BENCH_VIEWS}` : '';
  await page.goto(`http://127.0.0.1:${PORT}/?backend=wasm&trace=captures/${name}.npy&trace=captures/${name}.ids.json${views}`);
  const POLL = { polling: 200, timeout: 300_000 };
  await page.waitForFunction(() => performance.getEntriesByName('moe-first-map').length > 0, null, POLL);
  const firstMapMs = await page.evaluate(() => Math.round(performance.getEntriesByName('moe-first-map')[0].startTime));
  // Quiet: no new long task for 2 s (the secondary views have drawn), at most 5 min.
  let seen = -1;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 2000 && Date.now() - t0 < 300_000) {
    const n = await page.evaluate(() => window.__longTasks.length);
    if (n !== seen) [seen, quietSince] = [n, Date.now()];
    await page.waitForTimeout(250);
  }
  const r = await page.evaluate(() => ({ longestTaskMs: Math.round(Math.max(0, ...window.__longTasks)), longTasks: window.__longTasks.length, domNodes: document.querySelectorAll('*').length }));
  const shape = await page.getByTestId('run-shape').textContent().catch(() => null);
  await context.close();
  return { firstMapMs, ...r, shape };
}

const results = [];
try {
  for (const c of CASES) {
    const [key, T = '512'] = c.split(':');
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(`${key}-${T}`));
    results.push({
      case: c,
      shape: runs[0].shape,
      firstMapMsP50: median(runs.map((r) => r.firstMapMs)),
      longestTaskMsP50: median(runs.map((r) => r.longestTaskMs)),
      domNodesP50: median(runs.map((r) => r.domNodes)),
      runs: runs.map(({ firstMapMs, longestTaskMs, longTasks, domNodes }) => ({ firstMapMs, longestTaskMs, longTasks, domNodes })),
    });
    console.error(`bench-scale: ${c} done`);
  }
  console.log(
    JSON.stringify({
      what: 'browser: a generated vLLM capture opened with ?trace= → first routing map (navigation start), longest main-thread task until quiet, DOM nodes after all views drew',
      machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Chromium (Debian), headless`,
      runsPerCase: RUNS,
      targets: { firstMapMs: '≤ 1000 at 2048 tokens', longestTaskMs: '≤ 100', domNodes: '≤ 20000' },
      results,
    }),
  );
} finally {
  await browser.close();
  server.kill();
}
