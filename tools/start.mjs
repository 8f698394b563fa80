#!/usr/bin/env node
// `npm start`: build the app when the build is missing or older than its sources, then serve the
// production build with the COOP/COEP headers on http://127.0.0.1:4173 (PORT overrides).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { serveStatic } from './serve.mjs';

const port = Number(process.env.PORT ?? 4173);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`moe-lab start: PORT must be a TCP port number, got "${process.env.PORT}"`);
  process.exit(2);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const f of readdirSync(path)) m = Math.max(m, newestMtime(join(path, f)));
  return m;
}

// MOE_LAB_DIST: build and serve another folder (engineers testing two branches of work at once).
const dist = process.env.MOE_LAB_DIST ?? 'dist';
const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
const sources = Math.max(
  ...['src', 'index.html', 'public/models', 'vite.config.ts', 'package.json'].map(newestMtime),
);
if (built < sources || process.env.MOE_LAB_REBUILD) {
  console.log('moe-lab start: building the app …');
  await build({ logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
}
try {
  await serveStatic(dist, { port });
} catch (e) {
  console.error(
    `moe-lab start: cannot serve on 127.0.0.1:${port} (${e.code === 'EADDRINUSE' ? 'the port is in use; set PORT to another one' : e.message})`,
  );
  process.exit(1);
}
console.log(`MoE Routing Lab is serving the production build at http://127.0.0.1:${port}/`);
