// @vitest-environment jsdom
// The cross-lingual alignment view: its placeholders, the language × layer heatmap of a
// hand-made AlignResult (with a dense layer), the per-language means over the MoE layers, the
// Run button, the steering controls and their result, and the last-two-prompts table. The
// engine is a fake that records the commands the store's actions send it; the numbers expected
// below are worked out by hand from the inputs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { AlignmentView } from './AlignmentView';
import { MOCK_DENSE_LAYER, MOCK_MANIFEST } from './__fixtures__/mockRun';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { useLab } from '../state/store';
import type { EngineCommands } from '../state/actions';
import type { Manifest } from '../models/manifest';
import type { AlignResult, LayerEvent, SteerResult } from '../routing/run';

/** 3 layers, layer 1 dense; probes in English, German and Japanese. */
const MANIFEST = {
  ...MOCK_MANIFEST,
  numLayers: 3,
  layers: [
    { kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 },
    { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    { kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 },
  ],
  probes: 'probes/',
  languages: ['en', 'de', 'ja'],
} as unknown as Manifest;

const ALIGN: AlignResult = {
  ref: 'en',
  languages: ['en', 'de', 'ja'],
  articles: ['1', '2', '3'],
  numLayers: 3,
  jsd: { en: [0, null, 0], de: [0.123456, null, 0.05], ja: [0.4, null, 0.61] },
  frequency: { en: [], de: [], ja: [] },
  tokens: { en: 40, de: 44, ja: 61 },
};

const arm = (layers: number[], interventions: string[], lossBefore: number, lossAfter: number) => ({ layers, interventions, lossBefore, lossAfter, delta: lossAfter - lossBefore });
const STEER_JA: SteerResult = {
  target: 'ja',
  ref: 'en',
  tau: 0.05,
  lambda: 1.5,
  middle: arm([2], ['steer:layers=2,experts=1,lambda=1.5', 'steer:layers=2,experts=3,lambda=1.5'], 3, 2.75),
  outside: arm([0], ['steer:layers=0,experts=2,lambda=1.5'], 3, 3.125),
};

let calls: EngineCall[];
function connect(overrides: Partial<EngineCommands> = {}) {
  calls = connectFakeEngine(overrides);
}
beforeEach(() => connect());
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const view = () => screen.getByTestId('alignment-view');
const cells = () => Array.from(document.querySelectorAll<SVGRectElement>('rect.cell'));

describe('AlignmentView: before there is anything to align', () => {
  it('says so before a model has loaded, and for a model without probes', () => {
    render(<AlignmentView />);
    expect(view().textContent).toContain("Routing of the model's parallel probe texts, once a model has loaded.");
    expect(screen.queryByTestId('run-align')).toBeNull();
    act(() => useLab.setState({ manifest: { ...MANIFEST, probes: undefined } }));
    expect(view().textContent).toContain('This model ships no parallel probe texts (probes/), so there is nothing to align.');
    expect(screen.queryByTestId('run-align')).toBeNull();
  });

  it('offers to run on the probe languages; Run sends the articles count', () => {
    useLab.setState({ manifest: MANIFEST });
    render(<AlignmentView />);
    const run = screen.getByTestId('run-align') as HTMLButtonElement;
    const articles = screen.getByTestId('align-articles') as HTMLInputElement;
    expect(run.textContent).toBe('Run on 3 languages');
    expect(articles.value).toBe('31');
    fireEvent.click(run);
    fireEvent.change(articles, { target: { value: '5' } });
    fireEvent.click(run);
    fireEvent.change(articles, { target: { value: '0' } }); // at least one article
    expect(articles.value).toBe('1');
    fireEvent.click(run);
    expect(calls).toEqual([
      ['runAlign', 31],
      ['runAlign', 5],
      ['runAlign', 1],
    ]);
    expect(cells()).toHaveLength(0); // nothing drawn before a result
  });

  it('is busy while aligning', () => {
    useLab.setState({ manifest: { ...MANIFEST, languages: undefined }, aligning: true });
    render(<AlignmentView />);
    const run = screen.getByTestId('run-align') as HTMLButtonElement;
    expect(run.textContent).toBe('Aligning…');
    expect(run.disabled).toBe(true);
    act(() => useLab.setState({ aligning: false }));
    expect(run.textContent).toBe('Run on ? languages');
    expect(run.disabled).toBe(false);
  });

  it('is off while an imported trace is on screen (it needs the model)', () => {
    useLab.setState({
      manifest: MANIFEST,
      alignment: ALIGN,
      imported: { name: 'capture.json', urls: [], engine: 'vllm', hasLogits: false, hasGates: false, trace: {} },
    });
    render(<AlignmentView />);
    expect(screen.getByTestId('disabled-reason').textContent).toBe('Needs the model itself: the imported vllm trace holds routing only (run a prompt to go back to the model).');
    expect(screen.queryByTestId('run-align')).toBeNull();
    expect(cells()).toHaveLength(0);
  });
});

describe('AlignmentView: a result', () => {
  beforeEach(() => useLab.setState({ manifest: MANIFEST, alignment: ALIGN }));

  it('draws one cell per non-reference language and layer, the dense layer grey with no JSD', () => {
    render(<AlignmentView />);
    expect(cells().map((c) => [c.dataset.lang, c.dataset.layer, c.dataset.jsd])).toEqual([
      ['de', '0', '0.1235'],
      ['de', '1', ''],
      ['de', '2', '0.0500'],
      ['ja', '0', '0.4000'],
      ['ja', '1', ''],
      ['ja', '2', '0.6100'],
    ]);
    const dense = cells().filter((c) => c.dataset.kind === 'dense');
    expect(dense.map((c) => c.dataset.layer)).toEqual(['1', '1']);
    expect(dense.map((c) => c.getAttribute('fill'))).toEqual(['#e4e6eb', '#e4e6eb']);
    expect(cells()[0].querySelector('title')!.textContent).toBe('de, layer 0: JSD to en = 0.1235 bits');
    expect(cells()[1].querySelector('title')!.textContent).toBe('layer 1 is dense (no router): no routing to compare');
    // the reference language has no row; rows and columns are labelled
    expect(Array.from(document.querySelectorAll('text.lang'), (t) => t.textContent)).toEqual(['de', 'ja']);
    expect(Array.from(document.querySelectorAll('text.layer'), (t) => t.textContent)).toEqual(['L0', 'L1', 'L2']);
    expect(screen.getByTestId('dense-note').textContent).toBe('Dense layer 1 (no router): grey, no JSD, left out of the means.');
    expect(screen.getByTestId('run-align').textContent).toBe('Re-run alignment');
  });

  it('tabulates each language’s mean JSD over the MoE layers only, and its best layer', () => {
    render(<AlignmentView />);
    // de: (0.123456 + 0.05) / 2 = 0.086728 (not (… + 0) / 3 = 0.057819); best layer 2 (0.05)
    // ja: (0.4 + 0.61) / 2 = 0.505; best layer 0 (0.4)
    expect(screen.getByTestId('align-mean-de').textContent).toBe('0.0867');
    expect(screen.getByTestId('align-mean-ja').textContent).toBe('0.5050');
    expect(screen.queryByTestId('align-mean-en')).toBeNull();
    const rows = Array.from(document.querySelectorAll('.align-table tbody tr[data-lang]'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent));
    expect(rows).toEqual([
      ['de', '0.0867', 'L2'],
      ['ja', '0.5050', 'L0'],
    ]);
  });

  it('names every dense layer, and none when all layers are MoE', () => {
    useLab.setState({ alignment: { ...ALIGN, numLayers: 4, jsd: { en: [null, 0, null, 0], de: [null, 0.1, null, 0.3], ja: [null, 0.2, null, 0.2] } } });
    render(<AlignmentView />);
    expect(screen.getByTestId('dense-note').textContent).toBe('Dense layers 0, 2 (no router): grey, no JSD, left out of the means.');
    expect(screen.getByTestId('align-mean-de').textContent).toBe('0.2000'); // (0.1 + 0.3) / 2
    cleanup();
    useLab.setState({ alignment: { ...ALIGN, numLayers: 2, jsd: { en: [0, 0], de: [0.1, 0.3], ja: [0.2, 0.2] } } });
    render(<AlignmentView />);
    expect(screen.queryByTestId('dense-note')).toBeNull();
    expect(cells().map((c) => c.dataset.jsd)).toEqual(['0.1000', '0.3000', '0.2000', '0.2000']);
  });
});

describe('AlignmentView: steering', () => {
  beforeEach(() => useLab.setState({ manifest: MANIFEST, alignment: ALIGN }));

  const target = () => screen.getByLabelText('target language') as HTMLSelectElement;
  const tau = () => screen.getByLabelText('τ') as HTMLInputElement;
  const lambda = () => screen.getByLabelText('λ') as HTMLInputElement;

  it('runs the steering test with the chosen target, τ and λ and shows the loss changes', async () => {
    let answer!: (r: SteerResult) => void;
    connect({ steer: () => new Promise<SteerResult>((r) => (answer = r)) });
    render(<AlignmentView />);
    expect(Array.from(target().options, (o) => o.value)).toEqual(['de', 'ja']);
    expect([target().value, tau().value, lambda().value]).toEqual(['de', '0.02', '0.5']);
    fireEvent.change(target(), { target: { value: 'ja' } });
    fireEvent.change(tau(), { target: { value: '0.05' } });
    fireEvent.change(lambda(), { target: { value: '1.5' } });
    fireEvent.click(screen.getByTestId('steer-run'));
    expect(calls).toEqual([['steer', ALIGN, 'ja', 0.05, 1.5]]);
    const run = screen.getByTestId('steer-run') as HTMLButtonElement;
    expect(run.textContent).toBe('Running…');
    expect(run.disabled).toBe(true);
    await act(async () => answer(STEER_JA));
    expect(run.textContent).toBe('Run');
    expect(useLab.getState().analyses.steering).toEqual({ request: { target: 'ja', tau: 0.05, lambda: 1.5 }, result: STEER_JA });
    // middle: 2.75 − 3 = −0.25 with 2 specs; outside: 3.125 − 3 = +0.125
    expect(screen.getByTestId('steer-result').textContent).toBe('ja probe loss: middle layers 2 -0.2500 nats/token (2 steer specs); outside 0 +0.1250');
    // the controls keep what was chosen
    expect([target().value, tau().value, lambda().value]).toEqual(['ja', '0.05', '1.5']);
  });

  it('a failed steering run shows the error and no result', async () => {
    connect({ steer: () => Promise.reject(new Error('probes/ja.json: HTTP 404')) });
    render(<AlignmentView />);
    fireEvent.click(screen.getByTestId('steer-run'));
    await waitFor(() => expect(useLab.getState().error).toBe('probes/ja.json: HTTP 404'));
    expect(calls).toEqual([['steer', ALIGN, 'de', 0.02, 0.5]]);
    expect(screen.queryByTestId('steer-result')).toBeNull();
    expect((screen.getByTestId('steer-run') as HTMLButtonElement).disabled).toBe(false);
  });

  it('a stored result (e.g. from a shared URL) brings its settings into the controls', () => {
    useLab.setState({ analyses: { steering: { request: { target: 'ja', tau: 0.1, lambda: 2 }, result: { ...STEER_JA, tau: 0.1, lambda: 2 } } } });
    render(<AlignmentView />);
    expect([target().value, tau().value, lambda().value]).toEqual(['ja', '0.1', '2']);
    expect(screen.getByTestId('steer-result').textContent).toBe('ja probe loss: middle layers 2 -0.2500 nats/token (2 steer specs); outside 0 +0.1250');
    // one computed elsewhere later replaces them
    const de: SteerResult = { ...STEER_JA, target: 'de', tau: 0.03, lambda: 0.7, middle: arm([2], ['steer:layers=2,experts=0,lambda=0.7'], 2, 2), outside: arm([0], [], 2, 1.9) };
    act(() => useLab.setState({ analyses: { steering: { request: { target: 'de', tau: 0.03, lambda: 0.7 }, result: de } } }));
    expect([target().value, tau().value, lambda().value]).toEqual(['de', '0.03', '0.7']);
    // 2 − 2 = 0 shows as +0.0000; 1.9 − 2 = −0.1
    expect(screen.getByTestId('steer-result').textContent).toBe('de probe loss: middle layers 2 +0.0000 nats/token (1 steer specs); outside 0 -0.1000');
  });
});

describe('AlignmentView: the last two prompts', () => {
  /** A MoE layer whose tokens have the given router probabilities (rows of E). */
  const moe = (layer: number, rows: number[][]): LayerEvent => ({
    layer,
    kind: 'moe',
    T: rows.length,
    E: rows[0].length,
    routerLogits: Float32Array.from(rows.flat().map(Math.log)),
    probs: Float32Array.from(rows.flat()),
    selected: rows.map(() => [0]),
    gates: rows.map(() => [1]),
    expertNorms: new Float32Array(rows.length * rows[0].length),
    dropped: new Uint8Array(rows.length),
  });
  const dense = (layer: number): LayerEvent => ({ ...MOCK_DENSE_LAYER, layer, T: 2, selected: [[], []], gates: [[], []], dropped: new Uint8Array(2) });

  const EN = 'All human beings are born free and equal in dignity and rights.';
  const DE = '<b>Alle</b> Menschen sind frei.';
  // layer 0: means [1, 0] vs [0, 1] → disjoint → JSD 1
  // layer 1: means [.5, .5] vs (.9 + .1)/2, (.1 + .9)/2 = [.5, .5] → identical → 0
  // layer 2: dense in both
  // layer 3: [1, 0] vs [.5, .5]: m = [.75, .25], H(m) = .75·log2(4/3) + .25·2 = 0.811278,
  //          H(p) = 0, H(q) = 1 → JSD = 0.811278 − 0.5 = 0.311278
  const PREV = [moe(0, [[1, 0], [1, 0]]), moe(1, [[0.5, 0.5]]), dense(2), moe(3, [[1, 0]])];
  const CUR = [moe(0, [[0, 1], [0, 1]]), moe(1, [[0.9, 0.1], [0.1, 0.9]]), dense(2), moe(3, [[0.5, 0.5], [0.5, 0.5]])];

  it('shows the per-layer JSD of the two prompts’ mean routing vectors, their texts as text', () => {
    useLab.setState({ promptPair: { prev: { text: EN, layers: PREV }, cur: { text: DE, layers: CUR } } });
    render(<AlignmentView />); // shown before any model has loaded: it needs only the two runs
    const pair = screen.getByTestId('prompt-pair');
    const tds = Array.from(pair.querySelectorAll('td'));
    expect(Array.from(pair.querySelectorAll('th'), (th) => th.textContent)).toEqual(['L0', 'L1', 'L2', 'L3']);
    expect(tds.map((td) => [td.dataset.layer, td.dataset.jsd, td.textContent])).toEqual([
      ['0', '1.0000', '1.000'],
      ['1', '0.0000', '0.000'],
      ['2', '', 'dense'],
      ['3', '0.3113', '0.311'],
    ]);
    // a long text is cut at 39 characters; markup in a prompt is text
    expect(pair.textContent).toContain('Your last two prompts, “All human beings are born free and equa…” and “<b>Alle</b> Menschen sind frei.”');
    expect(pair.querySelector('b')).toBeNull();
  });

  it('is not shown until two prompts have run', () => {
    useLab.setState({ manifest: MANIFEST, promptPair: { prev: null, cur: { text: DE, layers: CUR } } });
    render(<AlignmentView />);
    expect(screen.queryByTestId('prompt-pair')).toBeNull();
    act(() => useLab.setState({ promptPair: { prev: { text: DE, layers: CUR }, cur: { text: DE + '!', layers: CUR } } }));
    const tds = Array.from(screen.getByTestId('prompt-pair').querySelectorAll('td'));
    expect(tds.map((td) => td.dataset.jsd)).toEqual(['0.0000', '0.0000', '', '0.0000']);
  });
});
