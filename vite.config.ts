import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { copyOrtAssets } from './tools/vite-ort-assets.ts';

// COOP/COEP make the page cross-origin isolated, which ORT's threaded WASM needs
// (SharedArrayBuffer). Both the dev and the preview server send them.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  base: './',
  plugins: [react(), copyOrtAssets()],
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: isolationHeaders, host: '127.0.0.1', port: 4173, strictPort: true },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // harness.html is the engine test page (browser tests and benchmarks drive the worker through it).
    rollupOptions: { input: { main: 'index.html', harness: 'harness.html' } },
  },
});
