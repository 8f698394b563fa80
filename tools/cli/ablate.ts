// `moe-lab ablate`: the causal check with a control (moe-vis). Route the corpus once to find, per
// layer, the n experts the chosen source prefers (largest share of its tokens); mask them and
// measure the per-token loss change on that source and on the others; then mask n random experts
// per layer instead, over several seeds, and report the mean and spread. A preferred-expert
// ablation that hurts its source far more than the random control is causal evidence; one that
// hurts everything alike is not.
import { checkFlags, has, intFlag, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { readCorpusInputs, type CorpusInputs } from './corpusInputs';
import {
  interruptible,
  probeInputs,
  routeWindows,
  windowsOf,
  writeReport,
  type Window,
} from './corpus';
import { parseLayerList } from './coupling';
import { Cancelled } from '../../src/gpu/engine';
import { createRng } from '../../src/routing/rng';
import { CorpusAccumulator, type CorpusLayerSpec } from '../../src/routing/metrics/corpus';
import {
  meanOverTokens,
  preferredExperts,
  randomExperts,
  spread,
} from '../../src/routing/metrics/ablation';

export async function ablateCommand(argv: string[]): Promise<object> {
  const args = parseArgs(
    argv.map((a) => (a === '-o' ? '--out' : a)),
    ['probes'],
  );
  checkFlags(
    args,
    [
      'model',
      'backend',
      'source',
      'n',
      'seeds',
      'seed',
      'layers',
      'batch',
      'probes',
      'articles',
      'out',
    ],
    'ablate',
    ['probes'],
  );
  const source = one(args, 'source');
  if (!source)
    throw new UsageError(
      'ablate: --source NAME is required (the source whose preferred experts are masked)',
    );
  const n = intFlag(args, 'n', 2, 1);
  const seeds = intFlag(args, 'seeds', 5, 1);
  const seed0 = intFlag(args, 'seed', 0, 0);
  const batch = intFlag(args, 'batch', 32, 1);
  const articles =
    one(args, 'articles') === undefined ? undefined : intFlag(args, 'articles', 0, 1);
  if (!args.positional.length && !has(args, 'probes'))
    throw new UsageError('ablate: give text inputs (.txt, directories, .jsonl) or --probes');
  const inputs: CorpusInputs = args.positional.length
    ? await readCorpusInputs(args.positional)
    : { sources: [], texts: [], traces: [] };
  if (inputs.traces.length)
    throw new UsageError(
      `${inputs.traces[0].file}: ablate runs the model on texts; a captured trace has no loss to ablate`,
    );
  const lab = await openLab(
    one(args, 'model') ?? DEFAULT_MODEL_DIR,
    one(args, 'backend') ?? 'node',
  );
  if (has(args, 'probes')) probeInputs(lab, articles, inputs);
  const target = inputs.sources.indexOf(source);
  if (target < 0)
    throw new UsageError(`--source ${source}: no such source (have: ${inputs.sources.join(', ')})`);
  if (inputs.sources.length < 2)
    throw new UsageError(
      'ablate: needs at least two sources (the target and the others it is compared with)',
    );
  const m = lab.manifest;
  const moeLayers = m.layers.flatMap((s, l) => (s.kind === 'moe' ? [l] : []));
  const layersFlag = one(args, 'layers');
  const layers = layersFlag === undefined ? moeLayers : parseLayerList(layersFlag, m.numLayers);
  const dense = layers.filter((l) => !moeLayers.includes(l));
  if (dense.length)
    throw new UsageError(
      `--layers: layer ${dense.join(', ')} is dense (no router); MoE layers: ${moeLayers.join(', ')}`,
    );
  for (const l of layers)
    if (n > m.layers[l].numExperts)
      throw new UsageError(`--n ${n}: layer ${l} has ${m.layers[l].numExperts} experts`);

  const { windows, notices } = windowsOf(lab, inputs.texts, inputs.sources.length);
  for (const x of notices) process.stderr.write(`ablate: ${x}\n`);
  const { signal, done } = interruptible();
  const S = inputs.sources.length;
  /** mean per-token loss per source, and over the non-target sources pooled */
  const pass = async (
    label: string,
    interventions: string[],
    onWindow?: (w: Window, sel: number[][][]) => void,
  ) => {
    const losses: number[][][] = Array.from({ length: S }, () => []);
    await routeWindows(
      lab,
      windows,
      { router: 'native', interventions, batch, loss: true, signal, label },
      (w, events, loss) => {
        losses[w.source].push(loss ?? []);
        onWindow?.(
          w,
          events.map((e) => e.selected),
        );
      },
    );
    const perSource = losses.map((x) => meanOverTokens(x));
    const others = meanOverTokens(losses.filter((_, s) => s !== target).flat());
    return { perSource, target: perSource[target], others };
  };
  try {
    const specs: CorpusLayerSpec[] = m.layers.map((l) => ({
      kind: l.kind === 'dense' ? 'dense' : 'moe',
      numExperts: l.kind === 'dense' ? 0 : l.numExperts,
      topK: l.kind === 'dense' ? 0 : l.topK,
    }));
    const acc = new CorpusAccumulator(specs, inputs.sources, { top: 0, contexts: 0 });
    const base = await pass('ablate: baseline', [], (w, selected) =>
      acc.add({ source: w.source, sequence: w.sequence, offset: w.offset, ids: w.ids, selected }),
    );
    const report = acc.report(String);
    const chosen = layers.map((l) => {
      const r = report[l];
      return r.kind === 'moe'
        ? preferredExperts(
            r.experts.map((e) => e.sources[source]),
            n,
          )
        : [];
    });
    const specOf = (experts: number[][]) =>
      layers.map((l, i) => `mask:layers=${l},experts=${experts[i].join('+')}`);
    const delta = (r: Awaited<ReturnType<typeof pass>>) => ({
      target: r.target! - base.target!,
      others: r.others! - base.others!,
      perSource: Object.fromEntries(
        inputs.sources.map((name, s) => [name, r.perSource[s]! - base.perSource[s]!]),
      ),
    });
    const targeted = delta(await pass('ablate: preferred', specOf(chosen)));
    const random = [];
    for (let k = 0; k < seeds; k++) {
      const rng = createRng(seed0 + k);
      const experts = layers.map((l) => randomExperts(m.layers[l].numExperts, n, rng));
      const d = delta(await pass(`ablate: random ${k + 1}/${seeds}`, specOf(experts)));
      random.push({
        seed: seed0 + k,
        experts: Object.fromEntries(layers.map((l, i) => [String(l), experts[i]])),
        target: d.target,
        others: d.others,
      });
    }
    const out = {
      model: m.id,
      source,
      n,
      layers,
      tokens: windows.reduce((a, w) => a + w.ids.length, 0),
      sources: inputs.sources.map((name, s) => ({
        name,
        sequences: acc.sourceSequences[s],
        tokens: acc.sourceTokens[s],
      })),
      baseline: {
        target: base.target,
        others: base.others,
        perSource: Object.fromEntries(inputs.sources.map((name, s) => [name, base.perSource[s]])),
      },
      preferred: {
        experts: Object.fromEntries(layers.map((l, i) => [String(l), chosen[i]])),
        interventions: specOf(chosen),
        deltaLoss: targeted,
      },
      random: {
        seeds: random,
        target: spread(random.map((r) => r.target)),
        others: spread(random.map((r) => r.others)),
      },
      notices,
    };
    const path = one(args, 'out');
    if (!path) return out;
    await writeReport(path, out);
    return {
      report: path,
      model: out.model,
      source,
      n,
      preferred: out.preferred.deltaLoss,
      random: { target: out.random.target, others: out.random.others },
    };
  } catch (e) {
    if (e instanceof Cancelled || signal.aborted)
      throw new Error('interrupted (Ctrl-C): no report written');
    throw e;
  } finally {
    done();
  }
}
