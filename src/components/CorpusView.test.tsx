// @vitest-environment jsdom
// The corpus view: two picked .txt files become two sources (one sequence per non-empty line) sent
// to the engine with the lab's router and interventions; the report (made by the real accumulator
// from hand-made routing) shows as the layer's heatmap; clicking an expert shows its shares, top
// tokens (as text) and contexts and focuses it in the lab; the atlas and the baseline table show.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CorpusView } from './CorpusView';
import { useLab } from '../state/store';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { CorpusAccumulator, meanSpecialisation } from '../routing/metrics/corpus';
import type { CorpusReport } from '../routing/metrics/corpusRun';
import type { EngineCommands } from '../state/actions';

type CorpusJob = Parameters<EngineCommands['corpus']>[0];
import type { Manifest } from '../models/manifest';
import { spread } from '../routing/metrics/ablation';
import { explanationText } from './glossary';

const manifest = {
  id: 'mock',
  name: 'mock',
  numLayers: 2,
  layers: [
    { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    { kind: 'moe', numExperts: 4, topK: 2, sharedExperts: 0 },
  ],
} as unknown as Manifest;

const TEXT: Record<number, string> = { 1: '<s>', 2: 'Hello', 3: ' world', 4: ' <b>x</b>' };

/**
 * Layer 1 (k = 2 of E = 4). Source a: ids 1 2 3 → experts {0,1} {0,2} {0,1}; source b: ids 1 4 →
 * {2,3} {3,0}. Shares: a → e0 3/3, e1 2/3, e2 1/3, e3 0; b → e0 1/2, e2 1/2, e3 2/2.
 */
function report(job: CorpusJob): CorpusReport {
  const acc = new CorpusAccumulator(
    [
      { kind: 'dense', numExperts: 0, topK: 0 },
      { kind: 'moe', numExperts: 4, topK: 2 },
    ],
    job.sources,
    { minCount: 1 },
  );
  acc.add({
    source: 0,
    ids: [1, 2, 3],
    selected: [
      [[], [], []],
      [
        [0, 1],
        [0, 2],
        [0, 1],
      ],
    ],
    gates: [
      [[], [], []],
      [
        [0.6, 0.4],
        [0.9, 0.1],
        [0.7, 0.3],
      ],
    ],
  });
  acc.add({
    source: 1,
    ids: [1, 4],
    selected: [
      [[], []],
      [
        [2, 3],
        [3, 0],
      ],
    ],
    gates: [
      [[], []],
      [
        [0.5, 0.5],
        [0.8, 0.2],
      ],
    ],
  });
  // the native router (a second run): one more sequence of a, id 2 → {3, 1}
  if (job.router === 'native')
    acc.add({ source: 0, ids: [2], selected: [[[]], [[3, 1]]], gates: [[[]], [[0.5, 0.5]]] });
  const layers = acc.report((id) => TEXT[id]);
  return {
    model: 'mock',
    router: job.router,
    interventions: job.interventions,
    tokens: acc.tokens,
    sources: job.sources.map((name, s) => ({
      name,
      sequences: acc.sourceSequences[s],
      tokens: acc.sourceTokens[s],
    })),
    layers,
    specialisation: meanSpecialisation(layers, job.sources),
    notices: [],
    ...(job.router === 'native' && !job.interventions.length
      ? {}
      : {
          compare: [
            { index: 1, unchanged: 0.6, jaccard: 0.8, loadDrift: 0.125, flipped: 2, tokens: 5 },
          ],
        }),
    run: { seconds: 0.1, tokensPerSecond: 50 },
  };
}

let calls: EngineCall[];
beforeEach(() => {
  calls = connectFakeEngine({ corpus: async (job: CorpusJob) => report(job) });
  useLab.setState({ manifest, router: 'topk:1', interventions: ['mask:layers=1,experts=3'] });
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const file = (name: string, text: string) => new File([text], name, { type: 'text/plain' });

describe('CorpusView', () => {
  it('routes two picked files as two sources with the lab router, and shows the heatmap, an expert and the atlas', async () => {
    render(<CorpusView />);
    expect((screen.getByTestId('corpus-run') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('corpus-files'), {
      target: {
        files: [file('a.txt', 'Hello world\n\n  \r\nsecond line\r\n'), file('b.txt', 'x')],
      },
    });
    await waitFor(() =>
      expect(screen.getByTestId('corpus-file-list').textContent).toContain('a.txt, b.txt'),
    );
    fireEvent.click(screen.getByTestId('corpus-run'));
    await screen.findByTestId('corpus-heatmap');
    expect(calls.filter((c) => c[0] === 'corpus')).toEqual([
      [
        'corpus',
        {
          sources: ['a', 'b'],
          texts: [
            { source: 0, text: 'Hello world' },
            { source: 0, text: 'second line' },
            { source: 1, text: 'x' },
          ],
          router: 'topk:1',
          interventions: ['mask:layers=1,experts=3'],
        },
      ],
    ]);
    expect(screen.getByTestId('corpus-summary').textContent).toContain(
      '5 tokens (a: 1 seq, 3 tok; b: 1 seq, 2 tok)',
    );
    // S × E cells of the first MoE layer; the layer menu offers only MoE layers
    expect(screen.getAllByTestId('corpus-cell')).toHaveLength(8);
    expect(
      Array.from((screen.getByTestId('corpus-layer') as HTMLSelectElement).options, (o) => o.value),
    ).toEqual(['1']);
    // specialisation = max share ÷ (k/E): a 1 / 0.5 = 2, b 1 / 0.5 = 2
    expect(screen.getByTestId('corpus-layer').textContent).toBe('1 (specialisation 2.00 / 2.00)');

    const cell = screen
      .getAllByTestId('corpus-cell')
      .find((c) => c.dataset.source === 'b' && c.dataset.expert === '2')!;
    fireEvent.click(cell);
    const ex = screen.getByTestId('corpus-expert');
    expect(ex.querySelector('h3')!.textContent).toContain('Layer 1 · expert 2');
    // expert 2 takes 2 of 10 selections
    expect(ex.querySelector('h3')!.textContent).toContain('load 20.0%');
    expect(screen.getByTestId('corpus-share-a').textContent).toBe('0.3333');
    expect(screen.getByTestId('corpus-share-b').textContent).toBe('0.5000');
    // top tokens by share: id 2 (1 of 1), id 1 (1 of 2), then ids 3 and 4 (0 of 1, by id); the
    // HTML-looking token is text
    const toks = screen.getByTestId('corpus-top-tokens');
    expect(Array.from(toks.querySelectorAll('code'), (c) => c.textContent)).toEqual([
      'Hello',
      '<s>',
      ' world',
      ' <b>x</b>',
    ]);
    expect(toks.querySelector('li')!.textContent).toBe('Hello 100% of 1');
    expect(toks.querySelector('b')).toBeNull();
    // contexts, highest gate first: a's "Hello" (0.1) comes after b's "<s>" (0.5)
    const ctx = Array.from(
      screen.getByTestId('corpus-contexts').querySelectorAll('li'),
      (li) => li.querySelector('mark')!.textContent,
    );
    expect(ctx).toEqual(['<s>', 'Hello']);
    expect(useLab.getState().focus).toMatchObject({ layer: 1, expert: 2 });
    expect(useLab.getState().pinned).toBe(true);

    // the atlas: one point per (MoE layer, expert); a click focuses that expert
    const points = screen.getAllByTestId('atlas-point');
    expect(points).toHaveLength(4);
    // e0: a 1, b 1/2 → prefers a; e3: b only → prefers b (its title names it)
    expect(points[3].querySelector('title')!.textContent).toBe(
      'layer 1 · expert 3: prefers b (×2.00 uniform)',
    );
    fireEvent.click(points[0]);
    expect(useLab.getState().focus).toMatchObject({ layer: 1, expert: 0 });
    expect(screen.getByTestId('corpus-share-a').textContent).toBe('1.0000');

    expect(
      Array.from(
        screen.getByTestId('corpus-compare').querySelectorAll('tbody td'),
        (td) => td.textContent,
      ),
    ).toEqual(['1', '60.0%', '0.800', '0.125', '2 / 5']);

    // a second run (native router) compares with the first: loads (0.4, 0.2, 0.2, 0.2) → (4, 3, 2, 3)/12,
    // TV 0.1; a's shares on e0 1 → 3/4 and e3 0 → 1/4 (a tie of |0.25|: the first, e0)
    expect(screen.queryByTestId('corpus-drift')).toBeNull();
    useLab.setState({ router: 'native', interventions: [] });
    fireEvent.click(screen.getByTestId('corpus-run'));
    await screen.findByTestId('corpus-drift');
    expect(
      Array.from(
        screen.getByTestId('corpus-drift').querySelectorAll('tbody td'),
        (td) => td.textContent,
      ),
    ).toEqual(['1', '0.100', '-0.250 (a → expert 0)']);
    expect(screen.getByTestId('corpus-drift').previousElementSibling!.textContent).toBe(
      'Against the previous run (topk:1 with mask:layers=1,experts=3, 5 tokens)',
    );
    // the baseline table is for runs with a router or interventions set
    expect(screen.queryByTestId('corpus-compare')).toBeNull();
  });

  it('asks for the probe texts, and cancels through the engine', async () => {
    useLab.setState({
      manifest: { ...manifest, probes: 'probes/' } as Manifest,
      router: 'native',
      interventions: [],
    });
    let finish!: (r: CorpusReport | null) => void;
    calls = connectFakeEngine({ corpus: () => new Promise((ok) => (finish = ok)) });
    render(<CorpusView />);
    fireEvent.click(screen.getByTestId('corpus-probes'));
    fireEvent.click(screen.getByTestId('corpus-run'));
    expect(calls[0]).toEqual([
      'corpus',
      { sources: [], texts: [], probes: { articles: 10 }, router: 'native', interventions: [] },
    ]);
    fireEvent.click(await screen.findByTestId('corpus-cancel'));
    expect(calls.map((c) => c[0])).toEqual(['corpus', 'cancelCorpus']);
    finish(null);
    await waitFor(() => expect(screen.queryByTestId('corpus-cancel')).toBeNull());
    expect(screen.queryByTestId('corpus-result')).toBeNull();
  });

  it('ablates the chosen source on the routed corpus and shows the change against the random control', async () => {
    calls = connectFakeEngine({
      corpus: async (job: CorpusJob) => report(job),
      corpusAblate: async () => ({
        source: 'b',
        n: 1,
        layers: [1],
        baseline: { target: 2.5, others: 3 },
        preferred: { experts: [[3]], deltaLoss: { target: 0.75, others: 0.05 } },
        // random control over two seeds: target changes 0.1 and 0.3 → mean 0.2, sample std √0.02
        random: { target: spread([0.1, 0.3]), others: spread([0.05, 0.05]) },
      }),
    });
    render(<CorpusView />);
    fireEvent.change(screen.getByTestId('corpus-files'), {
      target: { files: [file('a.txt', 'one'), file('b.txt', 'two')] },
    });
    await waitFor(() =>
      expect(screen.getByTestId('corpus-file-list').textContent).toContain('b.txt'),
    );
    fireEvent.click(screen.getByTestId('corpus-run'));
    await screen.findByTestId('corpus-ablation');
    fireEvent.change(screen.getByTestId('ablate-source'), { target: { value: 'b' } });
    fireEvent.change(screen.getByTestId('ablate-n'), { target: { value: '9' } }); // clamped to E = 4
    fireEvent.change(screen.getByTestId('ablate-seeds'), { target: { value: '2' } });
    fireEvent.click(screen.getByTestId('ablate-run'));
    await screen.findByTestId('ablate-table');
    expect(calls.find((c) => c[0] === 'corpusAblate')).toEqual([
      'corpusAblate',
      {
        sources: ['a', 'b'],
        texts: [
          { source: 0, text: 'one' },
          { source: 1, text: 'two' },
        ],
        source: 'b',
        n: 4,
        seeds: 2,
      },
    ]);
    expect(screen.getByTestId('ablate-preferred-target').textContent).toBe('+0.750');
    expect(screen.getByTestId('ablate-random-target').textContent).toBe('+0.200 ± 0.141');
    expect(screen.getByTestId('ablate-table').querySelector('caption')!.textContent).toContain(
      "b's 1 preferred experts in layers 1 (L1: 3) vs 1 random experts (2 seeds, mean ± std)",
    );
    // each row's label carries its glossary line (the browser walk never waits for a whole ablation)
    const labels = [...screen.getByTestId('ablate-table').querySelectorAll('tbody td:first-child')];
    expect(labels.map((td) => [td.textContent, td.getAttribute('data-explain')])).toEqual([
      ['baseline loss', 'ablate-baseline'],
      ['preferred masked', 'ablate-preferred'],
      ['random masked', 'ablate-random'],
    ]);
    expect(labels[2].getAttribute('aria-description')).toBe(explanationText('ablate-random'));
  });
  it('reads .jsonl and trace .json like the CLI; a bad file is refused by name and line, the rest stays', async () => {
    useLab.setState({ router: 'native', interventions: [] });
    render(<CorpusView />);
    const trace = {
      model: { id: 'mock', numLayers: 2, numExperts: 4 },
      tokens: [{ id: 2, text: 'Hello' }],
      layers: [
        { kind: 'dense', selected: [[]] },
        { kind: 'moe', selected: [[3, 1]] },
      ],
    };
    fireEvent.change(screen.getByTestId('corpus-files'), {
      target: {
        files: [
          file(
            'mixed.jsonl',
            `${JSON.stringify({ text: 'Hallo', source: 'de' })}\n${JSON.stringify({ text: 'Hi' })}\n`,
          ),
          file('cap.json', JSON.stringify(trace)),
        ],
      },
    });
    await waitFor(() =>
      expect(screen.getByTestId('corpus-file-list').textContent).toContain('mixed.jsonl, cap.json'),
    );
    // a bad line, a bad trace field and a wrong type: each named; the files picked before stay
    fireEvent.change(screen.getByTestId('corpus-files'), {
      target: {
        files: [
          file('bad.jsonl', `${JSON.stringify({ text: 'ok' })}\n${JSON.stringify({ text: 5 })}\n`),
          file('t.json', JSON.stringify({ ...trace, tokens: 3 })),
          file('notes.csv', 'a,b'),
        ],
      },
    });
    await waitFor(() => expect(screen.getAllByTestId('corpus-file-error')).toHaveLength(3));
    expect(screen.getAllByTestId('corpus-file-error').map((p) => p.textContent)).toEqual([
      'bad.jsonl:2: "text" must be a string, got 5',
      't.json: tokens: must be an array of {id, text}, got 3',
      'notes.csv: not a .txt, .jsonl or trace .json file',
    ]);
    expect(screen.getByTestId('corpus-file-list').textContent).toContain('mixed.jsonl, cap.json');
    expect(screen.getByTestId('corpus-file-list').textContent).not.toContain('bad.jsonl');
    fireEvent.click(screen.getByTestId('corpus-run'));
    await screen.findByTestId('corpus-heatmap');
    const job = calls.find((c) => c[0] === 'corpus')![1] as CorpusJob;
    expect(job.sources).toEqual(['de', 'mixed', 'cap']);
    expect(job.texts).toEqual([
      { source: 0, text: 'Hallo' },
      { source: 1, text: 'Hi' },
    ]);
    expect(job.traces).toHaveLength(1);
    expect(job.traces![0]).toMatchObject({ source: 2, file: 'cap.json' });
    expect(job.traces![0].trace.layers[1].selected).toEqual([[3, 1]]);
  });
  it('keeps its probe corpus and layer in the store (the shared URL), both ways', async () => {
    useLab.setState({
      manifest: { ...manifest, probes: 'probes/' } as Manifest,
      router: 'native',
      interventions: [],
      corpusView: { probes: true, articles: 3, layer: null },
    });
    calls = connectFakeEngine({
      corpus: async (job: CorpusJob) => report({ ...job, sources: ['en', 'de'] }),
    });
    render(<CorpusView />);
    expect((screen.getByTestId('corpus-probes') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Probe articles per language') as HTMLInputElement).value).toBe(
      '3',
    );
    fireEvent.change(screen.getByLabelText('Probe articles per language'), {
      target: { value: '4' },
    });
    fireEvent.click(screen.getByTestId('corpus-run'));
    expect(calls[0]).toEqual([
      'corpus',
      { sources: [], texts: [], probes: { articles: 4 }, router: 'native', interventions: [] },
    ]);
    await screen.findByTestId('corpus-heatmap');
    fireEvent.change(screen.getByTestId('corpus-layer'), { target: { value: '1' } });
    expect(useLab.getState().corpusView).toEqual({ probes: true, articles: 4, layer: 1 });
    fireEvent.click(screen.getByTestId('corpus-probes'));
    expect(useLab.getState().corpusView.probes).toBe(false);
  });

  it('after a model switch, a corpus run compares the two models per source (experts used, specialisation)', async () => {
    // the last run on the model before ("other", from the store as replies.ts leaves it on a load):
    // source a uses experts 0 and 1 evenly (shares 1, 1, 0, 0), source b all four evenly (0.5 each)
    const expert = (id: number, a: number, b: number) => ({
      id,
      load: 0.25,
      sources: { a, b },
      topTokens: [],
      contexts: [],
    });
    const other: CorpusReport = {
      ...report({ sources: ['a', 'b'], texts: [], router: 'topk:1', interventions: [] }),
      model: 'other',
      layers: [
        { index: 0, kind: 'dense' },
        {
          index: 1,
          kind: 'moe',
          numExperts: 4,
          topK: 2,
          experts: [expert(0, 1, 0.5), expert(1, 1, 0.5), expert(2, 0, 0.5), expert(3, 0, 0.5)],
          specialisation: {},
        },
      ],
    };
    useLab.setState({ otherModelCorpus: other, router: 'native', interventions: [] });
    render(<CorpusView />);
    fireEvent.change(screen.getByTestId('corpus-files'), {
      target: { files: [file('a.txt', 'x'), file('b.txt', 'y')] },
    });
    await waitFor(() =>
      expect(screen.getByTestId('corpus-file-list').textContent).toContain('a.txt, b.txt'),
    );
    fireEvent.click(screen.getByTestId('corpus-run'));
    const table = await screen.findByTestId('corpus-models');
    expect(table.previousElementSibling!.textContent).toBe(
      'Two models on this corpus (other, then mock)',
    );
    const rows = [...table.querySelectorAll('tbody tr')].map((r) =>
      [...r.querySelectorAll('td')].map((td) => td.textContent),
    );
    // other: a → 2 experts (50 %), 90 % in 2, specialisation 1 / 0.5 = 2; b → 4 experts (100 %), 90 % in 4, 1.00
    expect(rows.map((r) => [r[0], r[1], r[3], r[5]])).toEqual([
      ['a', '2.00', '2.0 (50%)', '2.0'],
      ['b', '1.00', '4.0 (100%)', '4.0'],
    ]);
    // b on mock: shares e0 1/2, e1 0, e2 1/2, e3 1 → p = .25 0 .25 .5 → exp(H) = exp(1.0397) = 2.83; 90 % needs 3
    expect([rows[1][4], rows[1][6], rows[1][2]]).toEqual(['2.8 (71%)', '3.0', '2.00']);
    expect(screen.queryByTestId('corpus-drift')).toBeNull(); // no drift table across models
    // every column header carries its glossary line (specialisation, experts used, 90 % in)
    expect(
      [...table.querySelectorAll('thead th')].map((th) => th.getAttribute('data-explain')),
    ).toEqual([
      null,
      'corpus-models-specialisation',
      'corpus-models-specialisation',
      'corpus-models-experts-used',
      'corpus-models-experts-used',
      'corpus-models-cover90',
      'corpus-models-cover90',
    ]);
    expect(table.querySelector('thead th[data-explain]')!.getAttribute('aria-description')).toBe(
      explanationText('corpus-models-specialisation'),
    );
  });
});
