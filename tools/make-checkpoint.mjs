#!/usr/bin/env node
// Write a seeded random-weight checkpoint into a folder:
//   node tools/make-checkpoint.mjs <dir>
//       GraniteMoE with granite-3.0-1b-a400m's routing shape and vocabulary (24 layers × 32
//       experts, top-8, 49 155 tokens) but hidden size 64: small and fast (browser tests).
//   node tools/make-checkpoint.mjs --shape granite-1b-a400m <dir> [--seed N]
//       the exact config.json and tensor names/shapes of ibm-granite/granite-3.0-1b-a400m,
//       one 2.67 GB bf16 model.safetensors, written streaming (put it under /tmp).
//   node tools/make-checkpoint.mjs --shape olmoe-1b-7b <dir>
//       OLMoE-1B-7B-0924's (64 experts top-8, 16 layers, hidden 2048): 13.8 GB of bf16 in 5 GB shards.
//   --shape granite-mini | olmoe-mini: the same names and config fields at toy sizes (tests).
// then   npx moe-lab convert <dir> <bundle dir> --dtype q4
import { register } from 'tsx/esm/api';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

register();
const { bigGraniteCheckpoint, writeRealCheckpoint, REAL_SHAPES } = await import('./captures/bigCheckpoint.ts');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const shape = flag('shape');
const seed = Number(flag('seed') ?? 1);
const dir = args[0];
if (!dir || args.length !== 1 || (shape !== undefined && !REAL_SHAPES.includes(shape)) || !Number.isInteger(seed)) {
  console.error(`usage: node tools/make-checkpoint.mjs [--shape ${REAL_SHAPES.join('|')}] [--seed N] <dir>`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
if (!shape) {
  for (const [name, bytes] of bigGraniteCheckpoint()) writeFileSync(join(dir, name), bytes);
  console.log(`${dir}: granitemoe, 24 layers × 32 experts, top-8, vocabulary 49155, hidden 64`);
} else {
  const t0 = Date.now();
  const { files, bytes } = writeRealCheckpoint(
    shape,
    (file) => {
      const fd = openSync(join(dir, file), 'w');
      return {
        write: (b) => {
          for (let at = 0; at < b.byteLength; ) at += writeSync(fd, b, at, b.byteLength - at);
        },
        close: () => closeSync(fd),
      };
    },
    seed,
  );
  console.log(`${dir}: ${shape} (seed ${seed}), ${files.length} files, ${(bytes / 1e9).toFixed(2)} GB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
