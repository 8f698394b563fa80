import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { copyOrtAssets } from './tools/vite-ort-assets.ts';

// COOP/COEP make the page cross-origin isolated, which ORT's threaded WASM needs
// (SharedArrayBuffer). Both the dev and the preview server send them.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// The built page starts the inference worker from an inline script in <head>, before the app's
// bundle (React, D3, the views) is fetched and evaluated: ORT's WebAssembly and the model then
// load ~150 ms sooner. state/engine/workerBridge.ts adopts that worker. The worker's file keeps a fixed name
// so the inline script can name it (the server revalidates it by ETag).
const WORKER_FILE = 'assets/worker.js';
function bootWorker(): Plugin {
  // ?threads=N is read as in urlState.ts engineOptionsFromUrl. A worker that fails before the app adopts
  // it is dropped, and the app starts its own. The training playground (?mode=train) starts none
  // (as src/state/boot.ts startsEngine decides for the app).
  const script = `(function(){try{var q=new URLSearchParams(location.search);if(q.get('mode')==='train')return;var t=Number(q.get('threads'));var w=new Worker('./${WORKER_FILE}',{type:'module'});w.onerror=function(){window.__moeBootWorker=undefined};w.postMessage({type:'init',requestId:0,ortBase:new URL('ort/',document.baseURI).href,threads:Number.isInteger(t)&&t>=1&&t<=16?t:undefined});window.__moeBootWorker=w}catch(e){}})();`;
  return {
    name: 'moe-boot-worker',
    apply: 'build',
    transformIndexHtml: (html, ctx) => (ctx.filename.endsWith('index.html') ? html.replace('</title>', `</title>\n    <script>${script}</script>`) : html),
  };
}

export default defineConfig({
  base: './',
  plugins: [react(), copyOrtAssets(), bootWorker()],
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: isolationHeaders, host: '127.0.0.1', port: 4173, strictPort: true },
  // (the inference worker keeps its fixed name; the trace-import worker is hashed as usual)
  worker: { format: 'es', rollupOptions: { output: { entryFileNames: (chunk) => (chunk.name === 'worker' ? WORKER_FILE : 'assets/[name]-[hash].js') } } },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // harness.html is the engine test page (browser tests and benchmarks drive the worker through it).
    rollupOptions: { input: { main: 'index.html', harness: 'harness.html' } },
  },
});
