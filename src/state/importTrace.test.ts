// Opening a trace in the page's store: engine captures become ordinary layer events; bad files
// leave the state alone and say why.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { useLab } from './store';
import { openTraceFiles, openTraceUrls, traceToPass } from './importTrace';
import { parseTrace } from '../routing/metrics/trace';

const fixture = (name: string) => ({
  name,
  bytes: new Uint8Array(
    readFileSync(new URL(`../models/importers/__fixtures__/${name}`, import.meta.url)),
  ),
});
const initial = useLab.getState();
afterEach(() => useLab.setState(initial, true));

describe('importTrace', () => {
  it('traceToPass: softmax of the logits as probs, −∞ for missing columns, empty gate lists when none were recorded', () => {
    const p = traceToPass(
      parseTrace({
        model: { id: 'm', numExperts: 3 },
        tokens: [{ id: 1, text: 'a' }],
        layers: [
          { routerLogits: [[0, Math.log(3)]], selected: [[1]] },
          { kind: 'dense', selected: [[]] },
        ],
      }),
    );
    const [l0, l1] = p.layers;
    [0.25, 0.75, 0].forEach((p, e) => expect(l0.probs[e]).toBeCloseTo(p, 6)); // float32 log 3
    expect(l0.routerLogits[2]).toBe(-Infinity);
    expect(l0.gates).toEqual([[]]);
    expect(l1).toMatchObject({ layer: 1, kind: 'dense', T: 1, E: 3, selected: [[]] });
    expect(l1.routerLogits.length).toBe(0);
    expect(p.summary).toMatchObject({
      tokens: [{ id: 1, text: 'a' }],
      loss: [],
      next: [],
      router: 'recorded',
    });
  });

  it('opens a vLLM .npy with its token ids into the store; a bad pick keeps the state and names the problem', () => {
    expect(openTraceFiles([fixture('routed_experts_i4.npy'), fixture('token_ids.npy')])).toBe(true);
    const s = useLab.getState();
    expect(s.imported).toMatchObject({
      name: 'routed_experts_i4.npy + token_ids.npy',
      engine: 'vllm',
      hasLogits: false,
      hasGates: false,
      urls: [],
    });
    expect(s.modified.layers.map((l) => l.selected)).toEqual([
      [
        [1, 3],
        [2, 1],
        [3, 0],
      ],
      [[], [], []],
    ]);
    expect(s.modified.summary!.tokens.map((t) => t.id)).toEqual([101, 102, 103]);
    expect(openTraceFiles([fixture('token_ids.npy')])).toBe(false);
    expect(useLab.getState().error).toBe(
      'Could not open the trace: token_ids.npy: no trace among the picked files: pick a trace JSON, a vLLM or TensorRT-LLM routed_experts .npy, an HF capture JSON, an SGLang JSON or /generate response, or a Megatron .jsonl',
    );
    expect(useLab.getState().modified).toBe(s.modified);
  });

  it('hostile traces (deep, non-finite, cut short) leave the open trace in place and name the field', () => {
    expect(openTraceFiles([fixture('routed_experts_i4.npy'), fixture('token_ids.npy')])).toBe(true);
    const before = useLab.getState();
    const text = (name: string, s: string) => ({ name, bytes: new TextEncoder().encode(s) });
    const head = '{"model":{"id":"m","numLayers":1},"tokens":[{"id":1,"text":"a"}],"layers":';
    const cases: [ReturnType<typeof text>, string][] = [
      [
        text('deep.json', `${head}[{"selected":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`),
        'deep.json: layers[0].selected[0][0][0][0][0]…[0]: nested deeper than 64 levels of arrays/objects (the JSON depth limit)',
      ],
      [
        text('inf.json', `${head}[{"selected":[[0]],"routerLogits":[[1e999,0]]}]}`),
        'inf.json: layers[0].routerLogits[0][0]: must be a finite number or null (masked), got Infinity',
      ],
      [
        text(
          'short.json',
          `${head}[{"selected":[[0]]}]}`.replace('"numLayers":1', '"numLayers":4'),
        ),
        'short.json: layers: holds 1 layers but model.numLayers is 4',
      ],
    ];
    for (const [f, why] of cases) {
      expect(openTraceFiles([f])).toBe(false);
      expect(useLab.getState().error).toBe(`Could not open the trace: ${why}`);
      expect(useLab.getState().modified).toBe(before.modified);
      expect(useLab.getState().imported).toBe(before.imported);
    }
  });

  it('a bad ?trace= link: the banner, and a page notice that outlives the next run clearing the banner', async () => {
    vi.stubGlobal('document', { baseURI: 'http://lab.test/' });
    vi.stubGlobal(
      'fetch',
      async () =>
        new Response(`{"model":{"id":"m"},"tokens":${'['.repeat(1000)}${']'.repeat(1000)}}`),
    );
    try {
      expect(await openTraceUrls(['traces/deep.json'])).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
    const why =
      'Could not open the trace: deep.json: tokens[0][0][0][0][0][0][0]…[0]: nested deeper than 64 levels of arrays/objects (the JSON depth limit)';
    expect(useLab.getState().error).toBe(why);
    expect(useLab.getState().pageNotices).toEqual([
      `ignored URL field trace="traces/deep.json": ${why}`,
    ]);
    expect(useLab.getState().imported).toBeNull();
    useLab.setState({ error: null }); // (what runPrompt does once the link's model has loaded)
    expect(useLab.getState().pageNotices).toHaveLength(1);
  });

  it('a DeepSeek-V3-shaped capture (layers 0–2 dense) opens with the focus on layer 3, the first with a router', async () => {
    const { vllmCapture } = await import('../../tools/captures/vllmCapture');
    const { CAPTURE_SHAPES } = await import('../../tools/captures/shapes');
    const { npy, ids } = vllmCapture(CAPTURE_SHAPES.deepseek, 16);
    useLab.setState({ focus: { token: 5, layer: 0, expert: 2 } });
    expect(openTraceFiles([{ name: 're.npy', bytes: npy }, { name: 'ids.json', bytes: new TextEncoder().encode(JSON.stringify(ids)) }])).toBe(true);
    const s = useLab.getState();
    expect(s.focus).toEqual({ token: 0, layer: 3, expert: null });
    expect(s.modified.layers.map((l) => l.kind).slice(0, 4)).toEqual(['dense', 'dense', 'dense', 'moe']);
    expect(s.modified.layers).toHaveLength(61);
    expect(s.modified.layers[60].E).toBe(256);
  });
});
