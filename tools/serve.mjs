// Static server for the production build (`npm start`). Vite's preview server streams files in
// 64 KiB pieces, and Chromium took 1.1 s to fetch the shipped model's 36 MB from it on localhost;
// answering each file in one write takes 0.24 s. It sends the cross-origin isolation headers
// (threads need SharedArrayBuffer), `application/wasm` (streaming compilation) and ETags, so a
// reload revalidates instead of downloading the model again.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.npy': 'application/octet-stream',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Serve `root` on host:port; resolves with the server once it listens. */
export function serveStatic(root, { port, host = '127.0.0.1' }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { ...ISOLATION_HEADERS, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', { Allow: 'GET, HEAD' });
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(400, 'bad path');
    }
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return send(403, 'outside the build folder');
    try {
      let st = await stat(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = await stat(file);
      }
      const etag = `W/"${st.size}-${Math.floor(st.mtimeMs)}"`;
      const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' };
      if (req.headers['if-none-match'] === etag) return send(304, undefined, headers);
      const body = await readFile(file);
      return send(200, body, { ...headers, 'Content-Length': body.length });
    } catch {
      return send(404, `not found: ${path}`, { 'Content-Type': 'text/plain; charset=utf-8' });
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}
