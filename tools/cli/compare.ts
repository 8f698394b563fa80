// `moe-lab compare a.json b.json`: two traces of the same text (two checkpoints, fp32 vs q4, two
// routers or bundles) → per layer the share of tokens whose top-k set is unchanged, the mean
// Jaccard of the expert sets, the load drift and the tokens that flipped. Two `moe-lab corpus`
// reports (two models over the same corpus) → per source, each model's specialisation and how many
// experts the source uses.
import { readFile } from 'node:fs/promises';
import { checkFlags, intFlag, parseArgs, UsageError } from './args';
import { parseTrace } from '../../src/routing/metrics/trace';
import { compareRouting } from '../../src/routing/metrics/compare';
import { compareCorpusModels, isCorpusReport } from '../../src/routing/metrics/corpusModels';
import { readJson } from '../../src/routing/safeJson';

async function loadJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`${path}: no such file`);
  }
  return readJson(text, path);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export async function compareCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  checkFlags(args, ['top'], 'compare');
  if (args.positional.length !== 2)
    throw new UsageError(
      `compare: give exactly two trace files (got ${args.positional.length}): compare a.json b.json`,
    );
  const top = intFlag(args, 'top', Number.MAX_SAFE_INTEGER, 0);
  const [fa, fb] = args.positional;
  const [ja, jb] = [await loadJson(fa), await loadJson(fb)];
  if (isCorpusReport(ja) !== isCorpusReport(jb))
    throw new UsageError(
      `compare: ${isCorpusReport(ja) ? fa : fb} is a corpus report and ${isCorpusReport(ja) ? fb : fa} is not (give two traces or two corpus reports)`,
    );
  if (isCorpusReport(ja) && isCorpusReport(jb))
    return {
      kind: 'corpus-models',
      a: { file: fa },
      b: { file: fb },
      ...compareCorpusModels(ja, jb),
    };
  const [a, b] = [parseTrace(ja, fa), parseTrace(jb, fb)];
  if (a.tokens.length !== b.tokens.length)
    throw new UsageError(
      `compare: ${fa} has ${a.tokens.length} tokens, ${fb} ${b.tokens.length} (compare two runs over the same text)`,
    );
  if (a.layers.length !== b.layers.length)
    throw new UsageError(`compare: ${fa} has ${a.layers.length} layers, ${fb} ${b.layers.length}`);
  const notices: string[] = [];
  const differ = a.tokens.filter((t, i) => t.id !== b.tokens[i].id).length;
  if (differ)
    notices.push(
      `${differ} of ${a.tokens.length} positions hold different token ids (different tokenizers or texts): positions are compared as they stand`,
    );
  const E = Math.max(a.numExperts, b.numExperts);
  const layers = a.layers.map((la, i) => {
    const lb = b.layers[i];
    if (la.kind === 'dense' || lb.kind === 'dense')
      return { index: la.index, kind: 'dense' as const };
    const r = compareRouting(la.selected, lb.selected, E);
    return {
      index: la.index,
      kind: 'moe' as const,
      unchanged: r.unchanged,
      jaccard: r.jaccard,
      loadDrift: r.loadDrift,
      loadA: r.loadA,
      loadB: r.loadB,
      flippedCount: r.flipped.length,
      flipped: r.flipped.slice(0, top).map((t) => ({
        position: t,
        id: a.tokens[t].id,
        text: a.tokens[t].text,
        a: la.selected[t],
        b: lb.selected[t],
      })),
    };
  });
  const moe = layers.flatMap((l) => (l.kind === 'moe' ? [l] : []));
  return {
    a: {
      file: fa,
      model: a.model.id,
      router: a.router ?? null,
      interventions: a.interventions ?? [],
    },
    b: {
      file: fb,
      model: b.model.id,
      router: b.router ?? null,
      interventions: b.interventions ?? [],
    },
    tokens: a.tokens.length,
    layers,
    model: {
      unchanged: mean(moe.map((l) => l.unchanged)),
      jaccard: mean(moe.map((l) => l.jaccard)),
      loadDrift: mean(moe.map((l) => l.loadDrift)),
    },
    notices,
  };
}
