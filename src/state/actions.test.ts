// The store's engine actions with a fake engine: analysis results land in the store with their
// requests (so they export and round-trip through the URL), errors reach the banner, a shared
// URL's analyses run once the model has loaded and run its prompt, steering after the alignment.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLab } from './store';
import { connectEngine, type EngineCommands } from './actions';
import { analysisRequests } from './useUrlSync';
import { runPendingAnalyses } from './pendingAnalyses';
import { currentTrace } from './traceExport';
import { parseUrlState } from './urlState';
import { loadMockRun, MOCK_MANIFEST, MOCK_SUMMARY } from '../components/__fixtures__/mockRun';
import type { AlignResult, SteerResult } from '../routing/run';
import type { Manifest } from '../models/manifest';

const ALIGN: AlignResult = { ref: 'en', languages: ['en', 'de'], articles: ['1', '2'], numLayers: 2, jsd: { en: [0, 0], de: [0.2, 0.1] }, frequency: { en: [[1, 0, 0, 0], [0, 1, 0, 0]], de: [[0, 1, 0, 0], [0, 1, 0, 0]] }, tokens: { en: 4, de: 4 } };
const arm = (layers: number[], delta: number) => ({ layers, interventions: [], lossBefore: 2, lossAfter: 2 + delta, delta });
const STEER: SteerResult = { target: 'de', ref: 'en', tau: 0.02, lambda: 0.5, middle: arm([1], -0.25), outside: arm([0], 0.5) };

const calls: string[] = [];
function fakeEngine(): EngineCommands {
  return {
    loadModel: vi.fn((src) => calls.push(`load ${src.kind === 'url' ? src.url : 'files'}`)),
    sourceForModel: (id, url) => ({ kind: 'url', url: url ?? `models/${id}/` }),
    runPrompt: vi.fn(() => calls.push('run')),
    generate: vi.fn(),
    cancel: vi.fn(() => calls.push('cancel')),
    runAlign: vi.fn((n) => {
      calls.push(`align ${n}`);
      useLab.setState({ aligning: true });
    }),
    convertModel: vi.fn(),
    cancelConvert: vi.fn(),
    convertedBundleZip: vi.fn(),
    corpus: vi.fn(),
    corpusAblate: vi.fn(),
    cancelCorpus: vi.fn(),
    // Text "a…" routes every token to expert 0 in both layers; anything else to expert 3.
    routeTexts: vi.fn(async (texts: string[]) => {
      calls.push(`route ${texts.length}`);
      return texts.map((t) => [[t.startsWith('a') ? [0] : [3]], [t.startsWith('a') ? [0] : [3]]]);
    }),
    probeTexts: vi.fn(async (lang: string, n: number) => {
      calls.push(`probe ${lang} ${n}`);
      return Array.from({ length: n }, (_, i) => `a ${lang} ${i}`);
    }),
    coupling: vi.fn(async (layer: number) => {
      calls.push(`coupling ${layer}`);
      return { layer, M: [[2, 1], [1, 2]], R: [[1, 0], [0, 1]], scoreNormCorrelation: 0.5 };
    }),
    steer: vi.fn(async (align: AlignResult, target: string) => {
      calls.push(`steer ${target} on ${align.languages.join('+')}`);
      return STEER;
    }),
  };
}

const initial = useLab.getState();
beforeEach(() => {
  calls.length = 0;
  connectEngine(fakeEngine());
  loadMockRun();
  useLab.setState({ manifest: { ...MOCK_MANIFEST, architecture: 'mixtral', vocabSize: 16, router: { topK: 2 } } as Manifest });
});
afterEach(() => useLab.setState(initial, true));

describe('engine actions', () => {
  it('attribution: routing frequencies of both sets, with the request, into the store', async () => {
    const request = { a: 'b one\n\nb two', b: '', probeA: '', probeB: 'en', articles: 2 };
    const p = useLab.getState().rankAttribution(request);
    expect(useLab.getState().analysisBusy.attribution).toBe(true);
    await p;
    expect(calls).toEqual(['route 2', 'probe en 2', 'route 2']);
    const r = useLab.getState().analyses.attribution!;
    expect(r.request).toBe(request);
    // set A: "b…" texts → expert 3 in every layer; set B: probe texts "a…" → expert 0
    expect(r.A).toEqual([[0, 0, 0, 1], [0, 0, 0, 1]]);
    expect(r.B).toEqual([[1, 0, 0, 0], [1, 0, 0, 0]]);
    expect(useLab.getState().analysisBusy.attribution).toBe(false);
  });

  it('coupling and steering results carry their requests; steering without an alignment says so', async () => {
    await useLab.getState().computeCoupling({ layer: 1, perturb: true });
    expect(useLab.getState().analyses.coupling).toEqual({ request: { layer: 1, perturb: true }, M: [[2, 1], [1, 2]], R: [[1, 0], [0, 1]], corr: 0.5 });
    await useLab.getState().runSteering({ target: 'de', tau: 0.02, lambda: 0.5 });
    expect(useLab.getState().error).toBe('steering needs the alignment: run it first');
    expect(useLab.getState().analyses.steering).toBeUndefined();
    useLab.setState({ alignment: ALIGN, error: null });
    await useLab.getState().runSteering({ target: 'de', tau: 0.02, lambda: 0.5 });
    expect(useLab.getState().analyses.steering?.result.middle.delta).toBe(-0.25);
  });

  it('exports the analyses beside the run', async () => {
    useLab.setState({ backend: 'wasm', alignment: ALIGN });
    await useLab.getState().computeCoupling({ layer: 0, perturb: false });
    const t = currentTrace(useLab.getState()) as { analyses: Record<string, unknown>; layers: unknown[] };
    expect(t.layers).toHaveLength(2);
    expect(Object.keys(t.analyses)).toEqual(['alignment', 'coupling']);
    expect(t.analyses.coupling).toEqual({ request: { layer: 0, perturb: false }, M: [[2, 1], [1, 2]], routerRows: [[1, 0], [0, 1]], scoreNormCorrelation: 0.5 });
  });

  it('run and cancel do nothing without an engine; the model actions name the source', () => {
    useLab.getState().openModel('tiny-mixtral', null);
    useLab.getState().openModel('tiny-mixtral', 'https://example.org/b/');
    expect(calls).toEqual(['load models/tiny-mixtral/', 'load https://example.org/b/']);
  });
});

describe('analyses from a shared URL', () => {
  it('maps URL fields to requests (steering implies the alignment)', () => {
    const { state } = parseUrlState('?attrA=probe:de&attrB=Hello.&attrN=4&steer=ja,0.05,1&coupling=3');
    expect(analysisRequests(state)).toEqual({
      align: 31,
      attribution: { a: '', b: 'Hello.', probeA: 'de', probeB: '', articles: 4 },
      coupling: { layer: 3, perturb: false },
      steering: { target: 'ja', tau: 0.05, lambda: 1 },
    });
    expect(analysisRequests(parseUrlState('?attrA=only-one').state)).toBeNull();
  });

  it('waits for the prompt run, starts align/attribution/coupling once, steering after the alignment', async () => {
    useLab.setState({
      prompt: 'hi',
      modified: { layers: [], settled: [], summary: null },
      running: true,
      pendingAnalyses: { align: 5, coupling: { layer: 1, perturb: false }, steering: { target: 'de', tau: 0.02, lambda: 0.5 } },
    });
    runPendingAnalyses();
    expect(calls).toEqual([]); // the prompt is still running
    useLab.setState({ running: false, modified: { ...useLab.getState().modified, summary: MOCK_SUMMARY } });
    expect(calls).toEqual(['align 5', 'coupling 1']);
    expect(useLab.getState().pendingAnalyses).toEqual({ steering: { target: 'de', tau: 0.02, lambda: 0.5 } });
    useLab.setState({ alignment: ALIGN, aligning: false });
    await vi.waitFor(() => expect(useLab.getState().analyses.steering).toBeDefined());
    expect(calls).toEqual(['align 5', 'coupling 1', 'steer de on en+de']);
    expect(useLab.getState().pendingAnalyses).toBeNull();
    useLab.setState({ alignment: null });
    useLab.setState({ alignment: ALIGN }); // nothing runs twice
    expect(calls).toHaveLength(3);
  });

  it('a link with the corpus view’s probe corpus routes it again once the prompt has run', async () => {
    const engine = fakeEngine();
    const corpus = vi.fn(async () => null);
    connectEngine({ ...engine, corpus });
    const { state } = parseUrlState('?q=hi&router=topk:k=1&corpus=3&corpusLayer=1');
    useLab.setState({
      prompt: 'hi',
      router: state.router,
      modified: { layers: [], settled: [], summary: null },
      running: true,
      pendingAnalyses: analysisRequests(state),
    });
    runPendingAnalyses();
    expect(corpus).not.toHaveBeenCalled();
    useLab.setState({ running: false, modified: { ...useLab.getState().modified, summary: MOCK_SUMMARY } });
    await vi.waitFor(() => expect(corpus).toHaveBeenCalledTimes(1));
    expect(corpus).toHaveBeenCalledWith({ sources: [], texts: [], probes: { articles: 3 }, router: state.router, interventions: [] });
    expect(useLab.getState().pendingAnalyses).toBeNull();
  });
});
