// Checks both shipped models' tests run on their probes (named *.testing.ts: only tests import it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLab } from './cli/nodeBundle';

interface Probe {
  lang: string;
  articles: { id: string; text: string }[];
}

export function readProbes(dir: string): Probe[] {
  return readdirSync(join(dir, 'probes'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'probes', f), 'utf8')) as Probe);
}

/** `moe-lab trace --loss` of UDHR article 1 in every probe language: bits per byte and the uniform baseline. */
export function article1BitsPerByte(
  dir: string,
): { lang: string; bitsPerByte: number; uniformBitsPerByte: number }[] {
  const tmp = mkdtempSync(join(tmpdir(), 'bpb-'));
  return readProbes(dir).map((probe) => {
    const path = join(tmp, `${probe.lang}.txt`);
    writeFileSync(path, probe.articles.find((a) => a.id === '1')!.text);
    const t = JSON.parse(
      execFileSync(
        'node',
        ['tools/moe-lab.mjs', 'trace', '--model', dir, '--text-file', path, '--loss'],
        { encoding: 'utf8' },
      ),
    );
    return { lang: probe.lang, ...t.lossSummary };
  });
}

/** Every layer's selections over the first `articles` probe articles of every language, [layer][token][k]. */
export async function probeSelections(
  dir: string,
  articles: number,
): Promise<{ selected: number[][][]; kinds: string[] }> {
  const lab = await openLab(dir, 'node');
  const selected: number[][][] = lab.manifest.layers.map(() => []);
  for (const probe of readProbes(dir))
    for (const a of probe.articles.slice(0, articles)) {
      const p = await lab.pass(lab.encode(a.text).ids, 'native', [], 'load', {});
      p.events.forEach((e, l) => selected[l].push(...e.selected));
    }
  return { selected, kinds: lab.manifest.layers.map((l) => l.kind) };
}
