// Property-based fuzzing of every parser of untrusted input (issue 18): random and mutated inputs,
// starting from the real fixtures, either parse or throw our InputError (ImportError, BundleError,
// SpecError and UsageError derive from it), never a TypeError, RangeError or stack overflow.
// Each case's input is bounded in size; the limits (src/routing/limits.ts) keep claims inside a
// file from allocating beyond them. `npm test` runs FUZZ_RUNS cases per parser with a fixed seed
// (FUZZ_SEED); `npm run fuzz` runs many more.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError, readJson } from '../routing/safeJson';
import { parseTrace } from '../routing/metrics/trace';
import { parseIntervention, parsePolicySpec } from '../routing/index';
import {
  importTrace,
  detectImport,
  readNpy,
  readModelConfig,
  type ImportFormat,
  type InputFile,
} from './importers';
import { validateManifest } from './manifest';
import { parseSafetensors } from './safetensors';
import { LabTokenizer } from './tokenizer';
import { parseUrlState } from '../state/urlState';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 18);
const opts = { numRuns: RUNS, seed: SEED, endOnFailure: true };
const HERE = dirname(fileURLToPath(import.meta.url));
const FX = join(HERE, 'importers/__fixtures__');
const fx = (name: string): InputFile => ({
  name,
  bytes: new Uint8Array(readFileSync(join(FX, name))),
});
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Run f; anything thrown must be our InputError (its message is what the user sees). */
function refusesCleanly(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError))
      throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Every path (as a list of keys) of a JSON value, breadth first, at most `max`. */
function paths(v: unknown, max = 2000): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const queue: [unknown, (string | number)[]][] = [[v, []]];
  while (queue.length && out.length < max) {
    const [x, p] = queue.shift()!;
    if (x && typeof x === 'object')
      for (const [k, c] of Object.entries(x)) {
        const q = [...p, Array.isArray(x) ? Number(k) : k];
        out.push(q);
        queue.push([c, q]);
      }
  }
  return out;
}

function setAt(root: unknown, p: (string | number)[], value: unknown): unknown {
  if (p.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[p[p.length - 1]] = value;
  return copy;
}

/** Values that break naive parsers: wrong types, huge and non-finite numbers, deep nesting, long arrays. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    -1,
    0,
    1.5,
    1e9,
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
    -0,
    '',
    '__proto__',
    'constructor',
    [],
    {},
    [[]],
    [null],
    { length: 1e9 },
  ),
  fc.integer({ min: 1, max: 200 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d))),
  fc.integer({ min: 0, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => i % 7)),
);

/** Mutations of a JSON text: a value replaced at a random path, then maybe a textual change. */
function mutatedJson(base: unknown): fc.Arbitrary<string> {
  const ps = paths(base);
  return fc
    .tuple(
      fc.nat({ max: ps.length - 1 }),
      hostileValue,
      fc.nat({ max: 5 }),
      fc.nat(),
      fc.string({ maxLength: 8 }),
    )
    .map(([pi, value, how, at, junk]) => {
      const text = JSON.stringify(setAt(base, ps[pi], value));
      const i = at % (text.length + 1);
      switch (how) {
        case 0: // a number literal JSON.parse reads as Infinity
          return text.replace(/-?\d+(\.\d+)?/, '1e999');
        case 1: // truncated
          return text.slice(0, i);
        case 2: // junk inserted
          return text.slice(0, i) + junk + text.slice(i);
        case 3: // nesting past the limit at a random place
          return text.slice(0, i) + '['.repeat(100) + text.slice(i);
        default:
          return text;
      }
    });
}

/** Mutations of binary input: flipped bytes, truncation, bytes appended. */
function mutatedBytes(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 32 }),
    )
    .map(([flips, cut, truncate, extra]) => {
      const b = base.slice();
      for (const [i, v] of flips) b[i % b.length] = v;
      return truncate ? b.subarray(0, cut % (b.length + 1)) : new Uint8Array([...b, ...extra]);
    });
}

const jsonOf = (f: InputFile) => JSON.parse(dec(f.bytes)) as unknown;

describe('fuzz: readJson', () => {
  it('random text and bytes: a value or an InputError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) =>
        refusesCleanly(() => readJson(s, 'x.json')),
      ),
      opts,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) =>
        refusesCleanly(() => readJson(b, 'x.json')),
      ),
      opts,
    );
    fc.assert(
      fc.property(mutatedJson(jsonOf(fx('sglang.json'))), (s) =>
        refusesCleanly(() => readJson(s, 'x.json')),
      ),
      opts,
    );
  });
});

const TRACE = {
  model: { id: 'm', numLayers: 2, numExperts: 4, topK: 2 },
  backend: 'node',
  router: 'native',
  interventions: [],
  tokens: [
    { id: 5, text: 'a' },
    { id: 6, text: '<b>' },
  ],
  layers: [
    {
      index: 0,
      kind: 'moe',
      routerLogits: [
        [0, 1, null, 2],
        [1, 0, 0, 0],
      ],
      selected: [
        [3, 1],
        [0, 1],
      ],
      gates: [
        [0.6, 0.4],
        [0.5, 0.5],
      ],
      dropped: [0, 0],
    },
    { index: 1, kind: 'dense', selected: [[], []] },
  ],
  loss: [1.5],
  next: [{ id: 7, text: 'c', p: 0.5 }],
};

describe('fuzz: trace JSON (parseTrace)', () => {
  it('mutated traces: parsed or refused naming the field', () => {
    fc.assert(
      fc.property(mutatedJson(TRACE), (s) =>
        refusesCleanly(() => parseTrace(readJson(s, 't.json'), 't.json')),
      ),
      opts,
    );
  });
});

/** Each capture format from its real fixture, with the side files it needs. */
const CAPTURES: {
  format: ImportFormat;
  main: string;
  side?:
    | Record<'tokens' | 'config' | 'hiddenStates', string>
    | Partial<Record<'tokens' | 'config' | 'hiddenStates', string>>;
}[] = [
  { format: 'sglang', main: 'sglang.json' },
  { format: 'sglang-routed', main: 'sglang_generate.json', side: { config: 'sglang_config.json' } },
  {
    format: 'trtllm',
    main: 'trtllm_routed_experts.npy',
    side: { tokens: 'trtllm_token_ids.json', config: 'trtllm_config.json' },
  },
  { format: 'vllm', main: 'routed_experts_i4.npy', side: { tokens: 'token_ids.npy' } },
  {
    format: 'megatron',
    main: 'router_trace_rank0.jsonl',
    side: { hiddenStates: 'hidden_states_rank0.bin' },
  },
];

const HF_CAPTURE = {
  format: 'hf-router-logits/1',
  model: 'tiny',
  config: {
    model_type: 'mixtral',
    num_hidden_layers: 2,
    num_local_experts: 4,
    num_experts_per_tok: 2,
  },
  kind: 'logits',
  tokens: { ids: [7, 8], texts: ['Hal', 'lo'] },
  router_logits: [
    [
      [0.1, 0.4, 0.2, 0.3],
      [0.7, 0.1, 0.1, 0.1],
    ],
    [
      [0, 0, 0.5, 0.5],
      [0.25, 0.25, 0.25, 0.25],
    ],
  ],
  loss: [2.5],
};

function sides(side: Partial<Record<'tokens' | 'config' | 'hiddenStates', string>> = {}) {
  return Object.fromEntries(Object.entries(side).map(([k, v]) => [k, fx(v)]));
}

describe('fuzz: engine captures (importTrace, each format)', () => {
  it('the real fixtures import (the starting points are valid)', () => {
    for (const c of CAPTURES)
      expect(
        importTrace(c.format, fx(c.main), sides(c.side)).layers.length,
        c.format,
      ).toBeGreaterThan(0);
    expect(
      importTrace('hf', { name: 'cap.json', bytes: enc(JSON.stringify(HF_CAPTURE)) }).layers,
    ).toHaveLength(2);
  });

  it('hf: mutated captures', () => {
    fc.assert(
      fc.property(mutatedJson(HF_CAPTURE), (s) =>
        refusesCleanly(() =>
          parseTrace(importTrace('hf', { name: 'cap.json', bytes: enc(s) }), 'cap.json'),
        ),
      ),
      opts,
    );
  });

  for (const c of CAPTURES) {
    it(`${c.format}: mutated main file and side files`, () => {
      const main = fx(c.main);
      const arb = c.main.endsWith('.json')
        ? mutatedJson(jsonOf(main)).map(enc)
        : c.main.endsWith('.jsonl')
          ? fc
              .tuple(fc.nat({ max: 2 }), mutatedJson(JSON.parse(dec(main.bytes).split('\n')[0])))
              .map(([line, s]) =>
                enc(
                  dec(main.bytes)
                    .split('\n')
                    .map((l, i) => (i === line ? s : l))
                    .join('\n'),
                ),
              )
          : mutatedBytes(main.bytes);
      fc.assert(
        fc.property(arb, (bytes) =>
          refusesCleanly(() =>
            parseTrace(importTrace(c.format, { name: c.main, bytes }, sides(c.side)), c.main),
          ),
        ),
        opts,
      );
      for (const [k, name] of Object.entries(c.side ?? {})) {
        const f = fx(name);
        const arbSide = name.endsWith('.json')
          ? mutatedJson(jsonOf(f)).map(enc)
          : mutatedBytes(f.bytes);
        fc.assert(
          fc.property(arbSide, (bytes) =>
            refusesCleanly(() =>
              importTrace(c.format, main, { ...sides(c.side), [k]: { name, bytes } }),
            ),
          ),
          { ...opts, numRuns: Math.ceil(RUNS / 2) },
        );
      }
    });
  }

  it('dropped files: any mix of names and bytes is sorted or refused', () => {
    const names = [
      'a.json',
      'b.npy',
      'c.jsonl',
      'd.bin',
      'e.txt',
      'routed_trt.npy',
      'hidden_states_rank0.bin',
    ];
    const file = fc.tuple(
      fc.constantFrom(...names),
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        mutatedJson(TRACE).map(enc),
        mutatedBytes(fx('routed_experts_i4.npy').bytes),
      ),
    );
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 3 }), (fs) =>
        refusesCleanly(() => detectImport(fs.map(([name, bytes]) => ({ name, bytes })))),
      ),
      opts,
    );
  });

  it('.npy: mutated headers and bodies', () => {
    fc.assert(
      fc.property(mutatedBytes(fx('routed_experts_i8.npy').bytes), (b) =>
        refusesCleanly(() => readNpy(b, 'x.npy')),
      ),
      opts,
    );
  });

  it('config.json: mutated model configs', () => {
    fc.assert(
      fc.property(mutatedJson(jsonOf(fx('trtllm_config.json'))), (s) =>
        refusesCleanly(() => readModelConfig({ name: 'config.json', bytes: enc(s) })),
      ),
      opts,
    );
  });
});

const TINY = join(HERE, '../../public/models/tiny-mixtral');

describe('fuzz: bundle files', () => {
  it('manifest.json: mutated manifests are validated or refused', () => {
    const m = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8'));
    fc.assert(
      fc.property(mutatedJson(m), (s) =>
        refusesCleanly(() => validateManifest(readJson(s, 'manifest.json'))),
      ),
      opts,
    );
  });

  it('tokenizer.json: mutated tokenizers build or are refused', () => {
    const bytes = readFileSync(join(TINY, 'tokenizer.json'));
    const tok = JSON.parse(bytes.toString('utf8'));
    // (building a tokenizer is slow: a tenth of the budget)
    fc.assert(
      fc.property(
        mutatedJson({
          ...tok,
          model: {
            ...tok.model,
            vocab: Object.fromEntries(Object.entries(tok.model.vocab).slice(0, 40)),
          },
        }),
        (s) => refusesCleanly(() => LabTokenizer.fromBytes(enc(s)).encode('Hallo')),
      ),
      { ...opts, numRuns: Math.ceil(RUNS / 10) },
    );
  });
});

describe('fuzz: specs and URL fields', () => {
  const kind = fc.constantFrom(
    'mask',
    'bias',
    'steer',
    'force',
    'temp',
    'upcycle',
    'skip',
    'repeat',
    'rewire',
    'topk',
    'topp',
    'null',
    'capacity',
    'cosine',
  );
  const key = fc.constantFrom(
    'layers',
    'experts',
    'k',
    'p',
    'value',
    'n',
    't',
    'lambda',
    'steps',
    'x',
  );
  const val = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('1e999', 'NaN', '-1', '99', '0-3', '*', '1+1', '3-1'),
  );
  const specText = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc
      .tuple(kind, fc.array(fc.tuple(key, val), { maxLength: 4 }))
      .map(([k, ps]) => `${k}:${ps.map(([a, b]) => `${a}=${b}`).join(',')}`),
  );
  it('router and intervention specs: parsed or a SpecError', () => {
    fc.assert(
      fc.property(specText, (s) =>
        refusesCleanly(() => (parseIntervention(s), parsePolicySpec(s))),
      ),
      opts,
    );
  });
  it('URL state: never throws, bad fields become notices', () => {
    const field = fc.tuple(
      fc.constantFrom(
        'text',
        'router',
        'iv',
        'focus',
        'views',
        'align',
        'attrA',
        'coupling',
        'steer',
        'model',
        'trace',
        'seed',
        'x',
      ),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(
        fc.array(field, { maxLength: 6 }),
        (fs) => void parseUrlState('?' + new URLSearchParams(fs).toString()),
      ),
      opts,
    );
  });
});

describe('fuzz: safetensors headers', () => {
  // (safetensors.ts throws plain Errors that start with the file name; not yet InputError)
  const named = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof InputError || (e as Error).constructor === Error) || !(e as Error).message.startsWith('model.safetensors: '))
        throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
  };
  const withHeader = (header: string, data = 64) => {
    const h = enc(header);
    const out = new Uint8Array(8 + h.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  const HEADER = { __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2, 4], data_offsets: [0, 32] }, b: { dtype: 'F16', shape: [16], data_offsets: [32, 64] } };
  it('mutated headers (overlaps, nulls, deep values, huge shapes): parsed or refused naming the file', () => {
    expect(parseSafetensors(withHeader(JSON.stringify(HEADER)), 'model.safetensors').tensors.size).toBe(2);
    fc.assert(fc.property(mutatedJson(HEADER), (s) => named(() => parseSafetensors(withHeader(s), 'model.safetensors'))), opts);
    fc.assert(fc.property(mutatedBytes(withHeader(JSON.stringify(HEADER))), (b) => named(() => parseSafetensors(b, 'model.safetensors'))), opts);
  });
});
