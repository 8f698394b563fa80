// `moe-lab trace --generate N`: the continuation's routing is appended and reported apart from the
// prompt's; decode-time routing (KV cache, one token a step) equals a full forward over the text.
import { describe, expect, it } from 'vitest';
import { traceCommand } from './trace';
import { openLab } from './nodeBundle';
import { loadMetrics } from '../../src/routing/metrics/load';

const MODEL = 'public/models/tiny-mixtral';

interface T {
  tokens: { id: number; text: string }[];
  layers: { index: number; selected: number[][]; gates: number[][]; routerLogits: number[][] }[];
  prompt: { tokens: number };
  generation: {
    tokens: number;
    text: string;
    layers: { index: number; kind: string; promptLoad: number[]; generatedLoad: number[] }[];
  };
}

describe('moe-lab trace --generate', () => {
  it('appends the generated tokens and gives prompt and generated load apart', async () => {
    const t = (await traceCommand([
      '--model',
      MODEL,
      '--text',
      'Hello world, the',
      '--generate',
      '6',
    ])) as T;
    const P = t.prompt.tokens;
    const n = t.generation.tokens;
    expect(n).toBeGreaterThan(0);
    expect(t.tokens).toHaveLength(P + n);
    for (const l of t.layers)
      for (const k of ['selected', 'gates', 'routerLogits'] as const)
        expect(l[k]).toHaveLength(P + n);
    // a full forward over prompt + continuation routes every position the same way
    const lab = await openLab(MODEL, 'node');
    const full = await lab.engine.forward({
      ids: t.tokens.map((x) => x.id),
      router: lab.policy('native'),
      interventions: [],
    });
    full.events.forEach((e, l) => {
      expect(t.layers[l].selected).toEqual(e.selected);
      t.layers[l].routerLogits[P + n - 1].forEach((z, j) =>
        expect(z).toBeCloseTo(e.routerLogits[(P + n - 1) * 8 + j], 4),
      );
    });
    const share = (sel: number[][]) => loadMetrics(sel, 8).counts.map((c) => c / sel.flat().length);
    t.generation.layers.forEach((g, l) => {
      expect(g.promptLoad).toEqual(share(t.layers[l].selected.slice(0, P)));
      expect(g.generatedLoad).toEqual(share(t.layers[l].selected.slice(P)));
    });
    expect(t.generation.text).toBe(lab.tokenizer.decode(t.tokens.slice(P).map((x) => x.id)));
    await expect(
      traceCommand(['--model', MODEL, '--text', 'x', '--generate', '-1']),
    ).rejects.toThrow('--generate must be an integer ≥ 0, got "-1"');
  });
});
