// The production static server: isolation headers, wasm MIME type, revalidation, no escape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { request } from 'node:http';
// @ts-expect-error plain ESM module without types
import { serveStatic } from './serve.mjs';

let server: Server;
let base: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'serve-'));
  writeFileSync(join(root, 'index.html'), '<p>lab</p>');
  mkdirSync(join(root, 'ort'));
  writeFileSync(join(root, 'ort', 'x.wasm'), Buffer.from([0, 97, 115, 109]));
  server = await serveStatic(root, { port: 0 });
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(() => server.close());

describe('serveStatic', () => {
  it('serves index.html for / with the cross-origin isolation headers', async () => {
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('<p>lab</p>');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('sends wasm as application/wasm and answers a matching ETag with 304', async () => {
    const r = await fetch(`${base}/ort/x.wasm`);
    expect(r.headers.get('content-type')).toBe('application/wasm');
    expect(r.headers.get('content-length')).toBe('4');
    const again = await fetch(`${base}/ort/x.wasm`, { headers: { 'If-None-Match': r.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers 404 for a missing file and 403 for a path outside the folder', async () => {
    expect((await fetch(`${base}/models/none/manifest.json`)).status).toBe(404);
    // an encoded "/" survives URL parsing and decodes to ../../ only after it
    const status = await new Promise<number>((ok) => request(`${base}/..%2f..%2f..%2fetc%2fpasswd`, (res) => ok(res.statusCode ?? 0)).end());
    expect(status).toBe(403);
  });
});
