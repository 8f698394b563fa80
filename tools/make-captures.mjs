#!/usr/bin/env node
// Write generated vLLM captures at real models' shapes into a folder, for trying the views at
// scale by hand and for the browser tests and benchmarks:
//   node tools/make-captures.mjs <dir> [shape[:tokens]]...   (default: olmoe:512 qwen3:512 deepseek:512)
// Each makes <shape>-<tokens>.npy and <shape>-<tokens>.ids.json; open both with "Open trace…"
// or `moe-lab import <npy> --format vllm --tokens <ids.json>`.
import { register } from 'tsx/esm/api';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

register();
const { CAPTURE_SHAPES } = await import('./captures/shapes.ts');
const { vllmCapture } = await import('./captures/vllmCapture.ts');
const [dir, ...specs] = process.argv.slice(2);
if (!dir) {
  console.error(`usage: node tools/make-captures.mjs <dir> [shape[:tokens]]...  (shapes: ${Object.keys(CAPTURE_SHAPES).join(', ')})`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
for (const spec of specs.length ? specs : ['olmoe:512', 'qwen3:512', 'deepseek:512']) {
  const [key, tokens = '512'] = spec.split(':');
  const shape = CAPTURE_SHAPES[key];
  const T = Number(tokens);
  if (!shape || !Number.isInteger(T) || T < 1 || T > 65536) {
    console.error(`make-captures: "${spec}" is not <shape>[:<tokens 1–65536>] (shapes: ${Object.keys(CAPTURE_SHAPES).join(', ')})`);
    process.exit(2);
  }
  const { npy, ids } = vllmCapture(shape, T);
  const base = join(dir, `${key}-${T}`);
  writeFileSync(`${base}.npy`, npy);
  writeFileSync(`${base}.ids.json`, JSON.stringify(ids));
  console.log(`${base}.npy  ${shape.name}: ${shape.layers} layers (${shape.dense} dense) × ${shape.experts} experts, top-${shape.topK}, ${T} tokens`);
}
