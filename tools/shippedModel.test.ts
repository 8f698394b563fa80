// The shipped default model: a valid bundle, parallel held-out probes, and real held-out
// compression in every shipped language (bits per byte well under the uniform baseline).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLab, readBundle } from './cli/nodeBundle';
import { loadMetrics } from '../src/routing/metrics/index';

const DIR = 'public/models/babel-moe';

describe('shipped model babel-moe', () => {
  it('validates, every file matches its sha256 and size, and it stays under 40 MB', async () => {
    const b = await readBundle(DIR); // throws on any bad manifest field, size or sha256
    expect(b.manifest.id).toBe('babel-moe');
    expect(b.manifest.layers.every((l) => l.kind === 'moe' && l.numExperts === 8 && l.topK === 2)).toBe(true);
    const total = b.manifest.files.reduce((a, f) => a + f.bytes, 0);
    expect(total).toBeLessThan(40 * 1024 * 1024);
  });

  it('ships parallel probe files: the same article ids in every language', () => {
    const files = readdirSync(join(DIR, 'probes')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const ids = files.map((f) => JSON.parse(readFileSync(join(DIR, 'probes', f), 'utf8')).articles.map((a: { id: string }) => a.id).join(','));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0].split(',').length).toBeGreaterThanOrEqual(30);
  });

  it('compresses one held-out UDHR article per language to < 0.7 × the uniform baseline (trace --loss; raised from the issue’s 0.8: the model does better)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bpb-'));
    for (const f of readdirSync(join(DIR, 'probes')).filter((x) => x.endsWith('.json'))) {
      const probe = JSON.parse(readFileSync(join(DIR, 'probes', f), 'utf8'));
      const article = probe.articles.find((a: { id: string }) => a.id === '1');
      const path = join(tmp, f.replace('.json', '.txt'));
      writeFileSync(path, article.text);
      const t = JSON.parse(execFileSync('node', ['tools/moe-lab.mjs', 'trace', '--model', DIR, '--text-file', path, '--loss'], { encoding: 'utf8' }));
      const { bitsPerByte, uniformBitsPerByte } = t.lossSummary;
      expect(bitsPerByte, `${probe.lang}: ${bitsPerByte} bits/byte vs uniform ${uniformBitsPerByte}`).toBeLessThan(0.7 * uniformBitsPerByte);
    }
  });

  it('has no collapsed router: every expert carries at least 2% of the probe tokens in every layer', async () => {
    const lab = await openLab(DIR, 'node');
    const selected: number[][][] = lab.manifest.layers.map(() => []);
    for (const f of readdirSync(join(DIR, 'probes')).filter((x) => x.endsWith('.json'))) {
      const probe = JSON.parse(readFileSync(join(DIR, 'probes', f), 'utf8'));
      for (const a of probe.articles.slice(0, 4)) {
        const p = await lab.pass(lab.encode(a.text).ids, 'native', [], 'load', {});
        p.events.forEach((e, l) => selected[l].push(...e.selected));
      }
    }
    selected.forEach((sel, l) => {
      const m = loadMetrics(sel, 8);
      const share = Math.min(...m.counts) / m.total;
      expect(share, `layer ${l}: smallest expert share ${(share * 100).toFixed(2)}%`).toBeGreaterThanOrEqual(0.02);
    });
  });
});
