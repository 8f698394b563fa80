#!/usr/bin/env node
// Write a seeded random-weight GraniteMoE checkpoint with granite-3.0-1b-a400m's routing shape and
// vocabulary (24 layers × 32 experts, top-8, 49 155 tokens; hidden size 64) into a folder:
//   node tools/make-checkpoint.mjs <dir>     then   npx moe-lab convert <dir> <bundle dir>
import { register } from 'tsx/esm/api';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

register();
const { bigGraniteCheckpoint } = await import('./captures/bigCheckpoint.ts');
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node tools/make-checkpoint.mjs <dir>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
for (const [name, bytes] of bigGraniteCheckpoint()) writeFileSync(join(dir, name), bytes);
console.log(`${dir}: granitemoe, 24 layers × 32 experts, top-8, vocabulary 49155, hidden 64`);
