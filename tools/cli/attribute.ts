// `moe-lab attribute`: contrastive expert attribution (DESIGN.md §6). Two text sets A and B are
// routed with the model's native router; experts are ranked per layer by Δ = freq(A) − freq(B),
// and the ranking becomes the intervention specs the attribution view's buttons add.
import { readFile } from 'node:fs/promises';
import { all, checkFlags, one, parseArgs, UsageError, type Args } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { routeTexts, type Lab } from '../../src/gpu/lab';
import { probeTexts } from '../../src/gpu/probes';
import {
  contrastiveRanking,
  routingFrequency,
  steeringSpecs,
} from '../../src/routing/metrics/index';

/** One text per non-empty line, trimmed: what the view does with its text boxes. */
const lines = (s: string) =>
  s
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);

function positiveInt(args: Args, flag: string): number | undefined {
  const v = one(args, flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag} must be a positive integer, got "${v}"`);
  return n;
}

function num(args: Args, flag: string, fallback: number): number {
  const v = one(args, flag);
  if (v === undefined) return fallback;
  if (v.trim() === '' || !Number.isFinite(Number(v)))
    throw new UsageError(`--${flag} must be a number, got "${v}"`);
  return Number(v);
}

/** The typed and file texts of set `s` ('a' or 'b'): --s values, then --s-file lines. */
async function typedTexts(args: Args, s: 'a' | 'b'): Promise<string[]> {
  const out = all(args, s).flatMap(lines);
  for (const f of all(args, `${s}-file`)) {
    let body: string;
    try {
      body = await readFile(f, 'utf8');
    } catch {
      throw new UsageError(`--${s}-file ${f}: no such file`);
    }
    out.push(...lines(body));
  }
  return out;
}

/** The bundle's probe articles (one text each) for every --s-probe language, first N articles each
 * (the same texts the attribution view's probe picker fills in). */
function probeTextsOf(args: Args, s: 'a' | 'b', lab: Lab, articles: number | undefined): string[] {
  return all(args, `${s}-probe`).flatMap((lang) => {
    if (!lab.probes.some((p) => p.lang === lang)) {
      const have = lab.probes.map((p) => p.lang).join(', ') || 'none: the bundle ships no probes/';
      throw new UsageError(`--${s}-probe ${lang}: no probe text for that language (have: ${have})`);
    }
    return probeTexts(lab.probes, lang, articles);
  });
}

const SOURCES = (s: string) => `--${s} "<text>", --${s}-file <path> or --${s}-probe <lang>`;

export async function attributeCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  const known = [
    'model',
    'backend',
    'a',
    'a-file',
    'a-probe',
    'b',
    'b-file',
    'b-probe',
    'articles',
    'top',
    'tau',
    'lambda',
  ];
  checkFlags(args, known, 'attribute');
  for (const s of ['a', 'b'] as const)
    if (![s, `${s}-file`, `${s}-probe`].some((f) => args.flags.has(f)))
      throw new UsageError(`set ${s.toUpperCase()} is empty: give ${SOURCES(s)}`);
  const top = positiveInt(args, 'top');
  const articles = positiveInt(args, 'articles');
  const tau = num(args, 'tau', 0.1);
  const lambda = num(args, 'lambda', 0.5);
  // Files are read before the model is loaded so a typo fails fast.
  const typed = { a: await typedTexts(args, 'a'), b: await typedTexts(args, 'b') };
  const lab = await openLab(
    one(args, 'model') ?? DEFAULT_MODEL_DIR,
    one(args, 'backend') ?? 'node',
  );
  const sets = {
    a: [...typed.a, ...probeTextsOf(args, 'a', lab, articles)],
    b: [...typed.b, ...probeTextsOf(args, 'b', lab, articles)],
  };
  for (const s of ['a', 'b'] as const)
    if (sets[s].length === 0)
      throw new UsageError(
        `set ${s.toUpperCase()} has no text (only blank lines): give ${SOURCES(s)}`,
      );

  // The widest layer: a model may start with dense layers (DeepSeek's first_k_dense).
  const E = Math.max(...lab.manifest.layers.map((s) => s.numExperts));
  const notices: string[] = [];
  const route = async (s: 'a' | 'b') => {
    sets[s].forEach((text, i) =>
      lab
        .encode(text)
        .notices.forEach((n) => notices.push(`set ${s.toUpperCase()} text ${i + 1}: ${n}`)),
    );
    const runs = await routeTexts(lab, sets[s]);
    return { runs, tokens: runs.reduce((n, r) => n + (r[0]?.length ?? 0), 0) };
  };
  const A = await route('a');
  const B = await route('b');
  const freqA = routingFrequency(A.runs, E);
  const freqB = routingFrequency(B.runs, E);
  // Dense layers have no router: no ranking (their frequencies are all 0) and no specs.
  const dense = (l: number) => lab.manifest.layers[l]?.kind === 'dense';
  const ranking = contrastiveRanking(freqA, freqB).map((r, l) => (dense(l) ? [] : r));
  const n = Math.min(top ?? E, E);
  const row = (r: { expert: number; freqA: number; freqB: number; delta: number }) => ({
    expert: r.expert,
    freqA: r.freqA,
    freqB: r.freqB,
    delta: r.delta,
  });
  return {
    model: lab.manifest.id,
    backend: lab.engine.backend,
    metric:
      'routing frequency = fraction of a set’s tokens whose native top-k selection holds the expert; Δ = freq(A) − freq(B); towardsA: largest Δ first, towardsB: smallest Δ first',
    a: { texts: sets.a.length, tokens: A.tokens },
    b: { texts: sets.b.length, tokens: B.tokens },
    tau,
    lambda,
    layers: ranking.map((r, l) => ({
      index: l,
      kind: dense(l) ? 'dense' : 'moe',
      towardsA: r.slice(0, n).map(row),
      towardsB: r.slice(-n).reverse().map(row),
    })),
    // The same strings as the view's buttons: "Steer towards A" (+λ), "Suppress B" (−λ); maskB is the hard form.
    interventions: {
      steerTowardsA: steeringSpecs(ranking, { tau, lambda, kind: 'steer' }),
      suppressB: steeringSpecs(ranking, { tau, lambda, kind: 'suppress' }),
      maskB: steeringSpecs(ranking, { tau, kind: 'mask' }),
    },
    ...(notices.length ? { notices } : {}),
  };
}
