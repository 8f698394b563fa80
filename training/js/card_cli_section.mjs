#!/usr/bin/env node
// Appends (or replaces) the "Measured with the lab's CLI" section of a model card from the JSON
// that training/js/cli_eval.mjs wrote. Every number in it comes from `npx moe-lab …` commands.
//   node training/js/card_cli_section.mjs training/runs/babel-moe-v2/cli_eval.json public/models/babel-moe/README.md
import { readFileSync, writeFileSync } from 'node:fs';

const [evalPath, cardPath] = process.argv.slice(2);
const ev = JSON.parse(readFileSync(evalPath, 'utf8'));
const f3 = (x) => (x === null || x === undefined ? '–' : Number(x).toFixed(3));
const L = [];
L.push('## Measured with the lab\'s CLI');
L.push('');
L.push(`Reproduce: \`node training/js/cli_eval.mjs ${ev.model} ${evalPath}\` (it runs the commands below).`);
L.push('');
L.push('### Held-out UDHR bits per byte (`npx moe-lab trace --loss`, every probe article)');
L.push('');
L.push('| language | bits/byte | uniform-over-vocabulary | ratio | bytes | tokens predicted |');
L.push('|---|---|---|---|---|---|');
for (const [lang, r] of Object.entries(ev.bitsPerByte)) L.push(`| ${lang} | ${f3(r.bitsPerByte)} | ${f3(r.uniformBitsPerByte)} | ${f3(r.bitsPerByte / r.uniformBitsPerByte)} | ${r.bytes} | ${r.predictedTokens} |`);
L.push('');
if (ev.load?.layers) {
  L.push('### Expert load on the probe set (`npx moe-lab analyze` over all probe traces)');
  L.push('');
  L.push('| layer | smallest expert share | largest | CV | MaxVio | load entropy | SRP m=4 | SCH m=4 C=2 | LRU C=2 | Belady C=2 |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const l of ev.load.layers) {
    if (l.kind === 'dense' || !l.counts) {
      L.push(`| ${l.index} | dense (no router) | | | | | | | | |`);
      continue;
    }
    const total = l.counts.reduce((a, b) => a + b, 0);
    L.push(`| ${l.index} | ${((100 * Math.min(...l.counts)) / total).toFixed(1)}% | ${((100 * Math.max(...l.counts)) / total).toFixed(1)}% | ${f3(l.cv)} | ${f3(l.maxVio)} | ${f3(l.loadEntropy)} | ${f3(l.srp?.['4'])} | ${f3(l.sch?.['4']?.['2'])} | ${f3(l.cache?.lru?.['2'])} | ${f3(l.cache?.belady?.['2'])} |`);
  }
  L.push('');
}
if (ev.align?.layers) {
  L.push(`### Cross-lingual routing alignment (\`npx moe-lab align\`, ${ev.align.articles} parallel articles)`);
  L.push('');
  L.push('Jensen–Shannon divergence in bits (0 = the same experts as English, 1 = disjoint) between per-article mean routing vectors, per layer.');
  L.push('');
  const langs = Object.keys(ev.align.languages).filter((l) => l !== ev.align.ref);
  L.push(`| layer | ${langs.join(' | ')} |`);
  L.push(`|---|${langs.map(() => '---').join('|')}|`);
  for (const l of ev.align.layers) L.push(`| ${l.index} | ${langs.map((g) => (l.jsd ? f3(l.jsd[g]) : 'dense')).join(' | ')} |`);
  L.push('');
}
const card = readFileSync(cardPath, 'utf8');
const marker = "## Measured with the lab's CLI";
const head = card.includes(marker) ? card.slice(0, card.indexOf(marker)) : card.trimEnd() + '\n\n';
writeFileSync(cardPath, head + L.join('\n') + '\n');
console.log(`updated ${cardPath}`);
