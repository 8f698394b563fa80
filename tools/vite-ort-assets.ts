// Copies onnxruntime-web's wasm runtime files into public/ort/ so our own server serves them
// (no CDN at run time). The worker points ort.env.wasm.wasmPaths at ./ort/.
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';

export function ortAssetFiles(distDir: string): string[] {
  return readdirSync(distDir).filter((f) => /^ort-wasm-simd-threaded.*\.(wasm|mjs)$/.test(f));
}

export function copyOrtAssets(): Plugin {
  return {
    name: 'moe-lab-ort-assets',
    buildStart() {
      const src = resolve('node_modules/onnxruntime-web/dist');
      const dst = resolve('public/ort');
      mkdirSync(dst, { recursive: true });
      for (const f of ortAssetFiles(src)) {
        const from = join(src, f);
        const to = join(dst, f);
        if (!existsSync(to) || statSync(to).size !== statSync(from).size) copyFileSync(from, to);
      }
      // The footer links to the README and the design contract, served from our own build.
      mkdirSync(resolve('public/about'), { recursive: true });
      copyFileSync(resolve('README.md'), resolve('public/about/README.md'));
      copyFileSync(resolve('docs/DESIGN.md'), resolve('public/about/DESIGN.md'));
    },
  };
}
