// The corpus inputs the CLI and the page share: .txt / .jsonl / trace .json parsed into sources,
// texts and traces; bad lines and fields named by file and line; layer checks; traces aggregated
// as captured (hand-counted shares).
import { describe, expect, it } from 'vitest';
import {
  addCorpusFile,
  addTraces,
  corpusInputsOf,
  corpusLayerSpecs,
  emptyCorpusInputs,
  modelLayerSpecs,
  traceTokenTexts,
} from './corpusInputs';
import { CorpusAccumulator } from './corpus';
import { InputError } from '../safeJson';

/** Two tokens, layer 0 dense, layer 1 top-2 of 4 with gates. */
const TRACE = {
  model: { id: 'm', numLayers: 2, numExperts: 4 },
  tokens: [
    { id: 1, text: '<s>' },
    { id: 7, text: ' hi' },
  ],
  layers: [
    { kind: 'dense', selected: [[], []] },
    {
      kind: 'moe',
      selected: [
        [0, 1],
        [2, 1],
      ],
      gates: [
        [0.6, 0.4],
        [0.7, 0.3],
      ],
    },
  ],
};

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('corpusInputsOf', () => {
  it('reads .txt, .jsonl (with and without "source") and trace .json in order', () => {
    const r = corpusInputsOf([
      { name: 'en.txt', text: 'one\n\n  \r\ntwo\r\n' },
      {
        name: 'dir/mixed.jsonl',
        text:
          jsonl({ text: 'drei', source: 'de' }, { text: 'four' }, { text: '   ', source: 'x' }) +
          '\n' +
          jsonl({ text: 'five', source: 'en', extra: 1 }),
      },
      { name: 'cap.json', text: JSON.stringify(TRACE) },
    ]);
    // the blank-text line adds no source; "extra" fields are ignored
    expect(r.sources).toEqual(['en', 'de', 'mixed', 'cap']);
    expect(r.texts).toEqual([
      { source: 0, text: 'one', where: 'en.txt:1' },
      { source: 0, text: 'two', where: 'en.txt:4' },
      { source: 1, text: 'drei', where: 'dir/mixed.jsonl:1' },
      { source: 2, text: 'four', where: 'dir/mixed.jsonl:2' },
      { source: 0, text: 'five', where: 'dir/mixed.jsonl:5' },
    ]);
    expect(r.traces).toHaveLength(1);
    expect(r.traces[0]).toMatchObject({ source: 3, file: 'cap.json' });
    expect(r.traces[0].trace.tokens.map((t) => t.id)).toEqual([1, 7]);
    expect(traceTokenTexts(r.traces).get(7)).toBe(' hi');
  });

  it('names the file, the line and the field of a bad input; a bad .jsonl adds nothing', () => {
    const bad = (name: string, text: string) => () => corpusInputsOf([{ name, text }]);
    expect(bad('a.jsonl', jsonl({ text: 'ok' }, { text: 5 }))).toThrow(
      'a.jsonl:2: "text" must be a string, got 5',
    );
    expect(bad('a.jsonl', jsonl({ txt: 'ok' }))).toThrow(
      'a.jsonl:1: "text" must be a string, got nothing',
    );
    expect(bad('a.jsonl', jsonl({ text: 'ok', source: '' }))).toThrow(
      'a.jsonl:1: "source" must be a non-empty string, got ""',
    );
    expect(bad('a.jsonl', '\n["text"]\n')).toThrow(
      'a.jsonl:2: each line must be a JSON object with a "text" field',
    );
    expect(bad('b.jsonl', '{"text": "ok"\n')).toThrow('b.jsonl:1: not valid JSON (');
    expect(bad('t.json', '{"model": ')).toThrow('t.json: not valid JSON (');
    expect(bad('t.json', JSON.stringify({ ...TRACE, tokens: 3 }))).toThrow(
      't.json: tokens: must be an array of {id, text}, got 3',
    );
    expect(bad('x.csv', 'a,b')).toThrow('x.csv: not a .txt, .jsonl or trace .json file');
    expect(bad('README', 'a')).toThrow('README: not a .txt, .jsonl or trace .json file');
    expect(bad('a.jsonl', jsonl({ text: 5 }))).toThrow(InputError);
    // a file refused half-way leaves the inputs as they were
    const out = emptyCorpusInputs();
    addCorpusFile(out, 'en.txt', 'x');
    expect(() => addCorpusFile(out, 'm.jsonl', jsonl({ text: 'y', source: 'de' }, 7))).toThrow(
      'm.jsonl:2: each line must be a JSON object',
    );
    expect(out).toEqual({
      sources: ['en'],
      texts: [{ source: 0, text: 'x', where: 'en.txt:1' }],
      traces: [],
    });
  });
});

describe('traces as corpus inputs', () => {
  it('layers from the model must match; without a model the first trace gives them', () => {
    const { traces } = corpusInputsOf([{ name: 'cap.json', text: JSON.stringify(TRACE) }]);
    const model = modelLayerSpecs([
      { kind: 'dense', numExperts: 0, topK: 0 },
      { kind: 'moe', numExperts: 4, topK: 2 },
    ]);
    expect(corpusLayerSpecs(model, traces)).toEqual([
      { kind: 'dense', numExperts: 0, topK: 0 },
      { kind: 'moe', numExperts: 4, topK: 2 },
    ]);
    expect(corpusLayerSpecs(undefined, traces)).toEqual(model);
    expect(() => corpusLayerSpecs(model.slice(0, 1), traces)).toThrow(
      'cap.json: the trace has 2 layers, the model 1',
    );
    expect(() =>
      corpusLayerSpecs([model[0], { kind: 'moe', numExperts: 2, topK: 1 }], traces),
    ).toThrow('cap.json: layers[1]: 4 experts, the model has 2');
  });

  it('are aggregated as captured', () => {
    const { sources, traces } = corpusInputsOf([{ name: 'cap.json', text: JSON.stringify(TRACE) }]);
    const acc = new CorpusAccumulator(corpusLayerSpecs(undefined, traces), sources, {
      minCount: 1,
    });
    addTraces(acc, traces);
    const [, l1] = acc.report((id) => String(id));
    if (l1.kind !== 'moe') throw new Error('layer 1 is MoE');
    // selections 0,1,2,1: loads 1/4, 2/4, 1/4, 0; shares of the 2 tokens 1/2, 2/2, 1/2, 0
    expect(l1.experts.map((e) => e.load)).toEqual([0.25, 0.5, 0.25, 0]);
    expect(l1.experts.map((e) => e.sources.cap)).toEqual([0.5, 1, 0.5, 0]);
    // contexts from the captured gates: expert 1's best is token 0 (0.4 > 0.3)
    expect(l1.experts[1].contexts.map((c) => [c.position, c.gate])).toEqual([
      [0, 0.4],
      [1, 0.3],
    ]);
    expect(acc.hasGates).toBe(true);
  });
});
