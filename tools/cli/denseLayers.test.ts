// The CLI on a model with dense layers: tiny-qwen2_moe (decoder_sparse_step 2: layers 0 and 2 are
// dense MLPs, no router) converted to a bundle. analyze, align and attribute mark those layers
// (kind "dense") and give them no routing number, instead of "dropped: 1" or "JSD 0".
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCommand } from './convert';
import { traceCommand } from './trace';
import { analyzeCommand } from './analyze';
import { alignCommand } from './align';
import { attributeCommand } from './attribute';
import { alignmentByLayer, parseTrace } from '../../src/routing/metrics/index';

const dir = mkdtempSync(join(tmpdir(), 'dense-'));
const model = join(dir, 'q2');
const probes = join(dir, 'probes');
const ARTICLES: Record<string, string[]> = {
  en: ['All human beings are born free.', 'Everyone has the right to life.'],
  de: ['Alle Menschen sind frei geboren.', 'Jeder hat das Recht auf Leben.'],
};

beforeAll(async () => {
  await convertCommand(['training/fixtures/tiny-qwen2_moe/hf', model, '--no-fused']);
  mkdirSync(probes);
  for (const [lang, texts] of Object.entries(ARTICLES))
    writeFileSync(join(probes, `${lang}.json`), JSON.stringify({ lang, articles: texts.map((text, i) => ({ id: String(i), text })) }));
}, 60_000);

const trace = (text: string) => traceCommand(['--model', model, '--text', text]);

describe('dense layers in the CLI', () => {
  it('analyze: dense layers are { index, kind: "dense" }; MoE layers keep the documented keys', async () => {
    const f = join(dir, 't.json');
    writeFileSync(f, JSON.stringify(await trace('All human beings are born free and equal.')));
    const out = (await analyzeCommand([f])) as { layers: Record<string, unknown>[]; model: { moeLayers: number }; notes: string[] };
    expect(out.layers[0]).toEqual({ index: 0, kind: 'dense' });
    expect(out.layers[2]).toEqual({ index: 2, kind: 'dense' });
    expect(Object.keys(out.layers[1])).toEqual(['index', 'counts', 'maxOverMean', 'cv', 'maxVio', 'loadEntropy', 'meanActive', 'dropped', 'hfAux', 'srp', 'sch', 'cache']);
    expect(out.layers[1].dropped).toBe(0);
    expect((out.layers[1].counts as number[]).length).toBe(6);
    expect(out.model.moeLayers).toBe(2);
    expect(out.notes).toEqual(['layers 0, 2 are dense (no router): routing metrics left out there and model-wide means run over the 2 MoE layers']);
  });

  it('align: dense layers carry jsd null; MoE layers equal the JSD of the traced articles’ mean routing vectors', async () => {
    const out = (await alignCommand(['--model', model, '--probe', probes])) as {
      layers: { index: number; kind?: string; jsd: Record<string, number> | null }[];
      languages: Record<string, (number | null)[]>;
    };
    expect(out.layers[0]).toEqual({ index: 0, kind: 'dense', jsd: null });
    expect(out.layers[2]).toEqual({ index: 2, kind: 'dense', jsd: null });
    expect(out.languages.de[0]).toBeNull();
    // The same numbers from `trace` output through the pure alignment function.
    const sets: Record<string, ReturnType<typeof parseTrace>[]> = {};
    for (const [lang, texts] of Object.entries(ARTICLES)) sets[lang] = await Promise.all(texts.map(async (t) => parseTrace(await trace(t))));
    const ref = alignmentByLayer(sets, 'en');
    expect(ref.jsd.de[0]).toBeNull();
    for (const l of [1, 3]) {
      expect(out.layers[l].kind).toBeUndefined();
      expect(out.layers[l].jsd!.de).toBeCloseTo(ref.jsd.de[l]!, 4); // the CLI rounds to 1e-4
      expect(out.layers[l].jsd!.de).toBeGreaterThan(0);
      expect(out.layers[l].jsd!.en).toBe(0);
    }
  });

  it('attribute: dense layers are marked with empty rankings and get no steering spec', async () => {
    const out = (await attributeCommand(['--model', model, '--a', ARTICLES.en.join('\n'), '--b', ARTICLES.de.join('\n'), '--tau', '0'])) as {
      layers: { index: number; kind: string; towardsA: unknown[]; towardsB: unknown[] }[];
      interventions: { steerTowardsA: string[] };
    };
    expect(out.layers.map((l) => l.kind)).toEqual(['dense', 'moe', 'dense', 'moe']);
    expect(out.layers[0].towardsA).toEqual([]);
    expect(out.layers[1].towardsA).toHaveLength(6);
    expect(out.interventions.steerTowardsA.length).toBeGreaterThan(0);
    expect(out.interventions.steerTowardsA.every((s) => /^steer:layers=(1|3),/.test(s))).toBe(true);
  });
});
