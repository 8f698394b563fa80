// `moe-lab coupling`: router–expert coupling (ERC, DESIGN.md §6) per MoE layer — router rows
// pushed through every expert of the layer's own moe graph as proxy tokens (the same engine call
// as the coupling view), with row/column dominance and the router rows' mean off-diagonal cosine;
// with a text, the correlation of router probability with expert output norm on its tokens.
import { readFile } from 'node:fs/promises';
import { checkFlags, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { couplingMatrix } from '../../src/gpu/lab';
import {
  columnDominance,
  meanOffDiagonalCosine,
  perturbationRadii,
  rowDominance,
} from '../../src/routing/metrics/index';

/** "*", or a comma list of indices and ranges i-j → sorted unique layer indices < L. */
export function parseLayerList(s: string, L: number): number[] {
  if (s.trim() === '*') return Array.from({ length: L }, (_, l) => l);
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m)
      throw new UsageError(
        `--layers must be *, or indices and ranges i-j separated by commas, got "${s}"`,
      );
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--layers: range ${part.trim()} runs backwards`);
    if (b >= L)
      throw new UsageError(
        `--layers: layer ${b} does not exist (the model has ${L} layers, 0-${L - 1})`,
      );
    for (let l = a; l <= b; l++) out.add(l);
  }
  return [...out].sort((x, y) => x - y);
}

export async function couplingCommand(argv: string[]): Promise<object> {
  const booleans = ['perturb', 'epsilon'];
  const args = parseArgs(argv, booleans);
  checkFlags(
    args,
    ['model', 'backend', 'layers', 'perturb', 'epsilon', 'seed', 'text', 'text-file'],
    'coupling',
    booleans,
  );
  const seedFlag = one(args, 'seed');
  const seed = Number(seedFlag ?? 0);
  if (!Number.isInteger(seed) || seed < 0)
    throw new UsageError(`--seed must be a non-negative integer, got "${seedFlag}"`);
  const perturb = args.flags.has('perturb') || args.flags.has('epsilon');
  if (one(args, 'text') !== undefined && one(args, 'text-file') !== undefined)
    throw new UsageError('give at most one of --text "<text>" or --text-file <path>');
  let text = one(args, 'text');
  const file = one(args, 'text-file');
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new UsageError(`--text-file ${file}: no such file`);
    }
  }

  const lab = await openLab(
    one(args, 'model') ?? DEFAULT_MODEL_DIR,
    one(args, 'backend') ?? 'node',
  );
  const m = lab.manifest;
  const moeLayers = m.layers.flatMap((spec, l) => (spec.kind === 'moe' ? [l] : []));
  const layersFlag = one(args, 'layers');
  const layers = layersFlag === undefined ? moeLayers : parseLayerList(layersFlag, m.numLayers);
  const dense = layers.filter((l) => !moeLayers.includes(l));
  if (dense.length)
    throw new UsageError(
      `--layers: layer ${dense.join(', ')} is dense (no router); MoE layers: ${moeLayers.join(', ')}`,
    );

  // Real tokens: one native pass over the text; the view does the same on the current run.
  const run = text === undefined ? undefined : await lab.run(text, {});
  const out = [];
  for (const l of layers) {
    const { M, R, scoreNormCorrelation } = await couplingMatrix(lab, l, perturb, seed);
    out.push({
      index: l,
      M,
      rowDominance: rowDominance(M),
      columnDominance: columnDominance(M),
      routerRowCosine: meanOffDiagonalCosine(R),
      ...(perturb ? { epsilon: perturbationRadii(R) } : {}),
      // Pearson over all (token, expert) pairs, every expert run on every token; null when too few pairs.
      ...(run ? { scoreNormCorrelation } : {}),
    });
  }
  return {
    model: m.id,
    backend: lab.engine.backend,
    metric:
      'M[i][j] = ‖output of expert j‖ on proxy token i = router row i' +
      (perturb ? ' scaled per dimension by U(1 ± ε_i), ε_i = min_j ‖R_i − R_j‖ / (2‖R_i‖)' : '') +
      '; rowDominance = share of i with argmax_j M[i][j] = i; columnDominance = share of j with argmax_i M[i][j] = j; routerRowCosine = mean cosine over pairs i ≠ j of router rows' +
      (run
        ? '; scoreNormCorrelation = Pearson r of router probability and expert output norm over the text’s (token, expert) pairs'
        : ''),
    perturb,
    ...(perturb ? { seed } : {}),
    ...(run
      ? { tokens: run.modified.summary.tokens.length, notices: run.modified.summary.notices }
      : {}),
    layers: out,
  };
}
