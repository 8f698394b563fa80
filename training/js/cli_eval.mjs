#!/usr/bin/env node
// Card numbers from the lab's own CLI (what anyone can rerun): held-out UDHR bits per byte per
// language with `moe-lab trace --loss` (articles 1–10 of every language, summed: one CLI process
// per article keeps this to a few minutes), expert load per layer on those traces with
// `moe-lab analyze`, and the alignment table with `moe-lab align` (all articles).
//   node training/js/cli_eval.mjs public/models/babel-moe training/runs/babel-moe-v1/cli_eval.json
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [model = 'public/models/babel-moe', out = 'training/runs/babel-moe-v1/cli_eval.json'] = process.argv.slice(2);
const cli = (...args) => JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const tmp = mkdtempSync(join(tmpdir(), 'cli-eval-'));
const langs = readdirSync(join(model, 'probes')).filter((f) => f.endsWith('.json')).map((f) => f.replace('.json', '')).sort();
const result = { model, commands: [], bitsPerByte: {}, load: null, align: null };
const traces = [];
for (const lang of langs) {
  const probe = JSON.parse(readFileSync(join(model, 'probes', `${lang}.json`), 'utf8'));
  let nats = 0, bytes = 0, tokens = 0, uniformBits = 0, truncated = 0;
  const ARTICLES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
  for (const a of probe.articles.filter((x) => ARTICLES.includes(x.id))) {
    const f = join(tmp, `${lang}-${a.id}.txt`);
    writeFileSync(f, a.text);
    const t = cli('trace', '--model', model, '--text-file', f, '--loss');
    nats += t.lossSummary.totalNats;
    bytes += t.lossSummary.bytes;
    tokens += t.lossSummary.predictedTokens;
    uniformBits += t.lossSummary.uniformBitsPerByte * t.lossSummary.bytes;
    if (t.notices.some((n) => n.includes('truncated'))) truncated++;
    const tf = join(tmp, `trace-${lang}-${a.id}.json`);
    writeFileSync(tf, JSON.stringify(t));
    traces.push(tf);
  }
  result.bitsPerByte[lang] = { bitsPerByte: nats / Math.LN2 / bytes, uniformBitsPerByte: uniformBits / bytes, bytes, predictedTokens: tokens, articles: 10, truncatedArticles: truncated };
  process.stderr.write(`${lang}: ${result.bitsPerByte[lang].bitsPerByte.toFixed(3)} bits/byte (uniform ${result.bitsPerByte[lang].uniformBitsPerByte.toFixed(3)})\n`);
}
result.commands.push(`for articles 1–10 of each probes/<lang>.json: npx moe-lab trace --model ${model} --text-file <article> --loss`);
try {
  result.load = cli('analyze', ...traces);
  result.commands.push('npx moe-lab analyze <all probe traces>');
} catch (e) {
  result.load = { error: String(e.message ?? e) };
}
result.align = cli('align', '--model', model);
result.commands.push(`npx moe-lab align --model ${model}`);
writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
console.log(`wrote ${out}`);
