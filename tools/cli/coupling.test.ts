// `moe-lab coupling` on the fixture model: dominance and cosine equal the metric functions (and
// hand counts) on the printed matrix and on the bundle's router rows; the correlation equals
// Pearson's r over the same text's (token, expert) pairs; errors name the problem.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { couplingCommand, parseLayerList } from './coupling';
import { openLab } from './nodeBundle';
import type { Lab } from '../../src/gpu/lab';
import {
  columnDominance,
  meanOffDiagonalCosine,
  pearson,
  perturbationRadii,
  rowDominance,
} from '../../src/routing/metrics/index';

const MODEL = 'public/models/tiny-mixtral';
const TEXT = 'Hello world, the router.';

interface Layer {
  index: number;
  M: number[][];
  rowDominance: number;
  columnDominance: number;
  routerRowCosine: number;
  epsilon?: number[];
  scoreNormCorrelation?: number | null;
}
interface Out {
  perturb: boolean;
  tokens?: number;
  layers: Layer[];
}

let lab: Lab;
beforeAll(async () => {
  lab = await openLab(MODEL, 'node');
});

/** [E][D] router rows of a layer, read from the bundle's routers.bin. */
const rows = (l: number) => {
  const W = lab.engine.routerWeights.weight(l);
  const D = lab.manifest.hiddenSize;
  return Array.from({ length: lab.manifest.layers[l].numExperts }, (_, i) =>
    Array.from(W.subarray(i * D, (i + 1) * D)),
  );
};

describe('moe-lab coupling', () => {
  it('per layer: the n×n matrix, its row/column dominance, router-row cosine and the score–norm correlation on the text', async () => {
    const out = (await couplingCommand(['--model', MODEL, '--text', TEXT])) as Out;
    expect(out.perturb).toBe(false);
    expect(out.layers.map((l) => l.index)).toEqual([0, 1, 2]);
    const run = await lab.run(TEXT, {});
    expect(out.tokens).toBe(run.modified.summary.tokens.length);
    for (const l of out.layers) {
      expect(l.M).toHaveLength(8);
      l.M.forEach((r) => expect(r).toHaveLength(8));
      expect(l.M.flat().every((v) => v > 0)).toBe(true); // norms of SwiGLU outputs of non-zero proxies
      // Hand count of the diagonal argmaxes beside the library function.
      const rowHits = l.M.filter((r, i) => r.indexOf(Math.max(...r)) === i).length;
      const colHits = l.M.filter((_, j) => {
        const col = l.M.map((r) => r[j]);
        return col.indexOf(Math.max(...col)) === j;
      }).length;
      expect(l.rowDominance).toBe(rowHits / 8);
      expect(l.columnDominance).toBe(colHits / 8);
      expect(l.rowDominance).toBe(rowDominance(l.M));
      expect(l.columnDominance).toBe(columnDominance(l.M));
      const R = rows(l.index);
      expect(l.routerRowCosine).toBe(meanOffDiagonalCosine(R));
      // The same mean written out: cosines of the 8·7 ordered pairs i ≠ j, averaged.
      const dot = (a: number[], b: number[]) => a.reduce((s, x, d) => s + x * b[d], 0);
      let sum = 0;
      for (let i = 0; i < 8; i++)
        for (let j = 0; j < 8; j++)
          if (i !== j) sum += dot(R[i], R[j]) / Math.sqrt(dot(R[i], R[i]) * dot(R[j], R[j]));
      expect(l.routerRowCosine).toBeCloseTo(sum / 56, 12);
      expect(l.epsilon).toBeUndefined();
      // every expert on every token of the run (checked against PyTorch in engine.test.ts)
      const all = (await lab.engine.allExpertNorms(l.index))!;
      expect(all.norms.every((v) => v > 0)).toBe(true);
      expect(l.scoreNormCorrelation).toBe(pearson(Array.from(all.probs), Array.from(all.norms)));
      expect(Math.abs(l.scoreNormCorrelation!)).toBeLessThanOrEqual(1);
    }
  });

  it('--perturb scales proxies by U(1 ± ε_i): ε from the router rows, seeded and repeatable; no text, no correlation', async () => {
    const plain = (await couplingCommand(['--model', MODEL, '--layers', '1'])) as Out;
    const p0 = (await couplingCommand([
      '--model',
      MODEL,
      '--layers',
      '1',
      '--perturb',
      '--seed',
      '3',
    ])) as Out;
    const again = (await couplingCommand([
      '--model',
      MODEL,
      '--layers',
      '1',
      '--epsilon',
      '--seed',
      '3',
    ])) as Out;
    const other = (await couplingCommand([
      '--model',
      MODEL,
      '--layers',
      '1',
      '--perturb',
      '--seed',
      '4',
    ])) as Out;
    expect(p0.layers).toHaveLength(1);
    const [l] = p0.layers;
    expect(l.epsilon).toEqual(perturbationRadii(rows(1)));
    expect(l.epsilon!.every((e) => e > 0 && e < 1)).toBe(true);
    expect(again.layers[0].M).toEqual(l.M);
    expect(other.layers[0].M).not.toEqual(l.M);
    expect(plain.layers[0].M).not.toEqual(l.M);
    // Dominance and cosine still follow the (perturbed) matrix and the unperturbed rows.
    expect(l.rowDominance).toBe(rowDominance(l.M));
    expect(l.routerRowCosine).toBe(plain.layers[0].routerRowCosine);
    expect(l.scoreNormCorrelation).toBeUndefined();
  });

  it('--layers takes indices, ranges and *', () => {
    expect(parseLayerList('*', 3)).toEqual([0, 1, 2]);
    expect(parseLayerList('2,0-1,1', 3)).toEqual([0, 1, 2]);
    expect(() => parseLayerList('3', 3)).toThrow(
      '--layers: layer 3 does not exist (the model has 3 layers, 0-2)',
    );
    expect(() => parseLayerList('2-1', 3)).toThrow('--layers: range 2-1 runs backwards');
    expect(() => parseLayerList('one', 3)).toThrow(
      '--layers must be *, or indices and ranges i-j separated by commas, got "one"',
    );
  });

  it('prints the command’s object through `npx moe-lab`; errors go to stderr and name the problem', async () => {
    const printed = JSON.parse(
      execFileSync('node', ['tools/moe-lab.mjs', 'coupling', '--model', MODEL, '--layers', '0'], {
        encoding: 'utf8',
      }),
    );
    expect(printed).toEqual(
      JSON.parse(JSON.stringify(await couplingCommand(['--model', MODEL, '--layers', '0']))),
    );
    const err = (...args: string[]) => {
      const r = spawnSync('node', ['tools/moe-lab.mjs', 'coupling', ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      return r.stderr;
    };
    expect(err('--model', MODEL, '--layers', '7')).toBe(
      'moe-lab coupling: --layers: layer 7 does not exist (the model has 3 layers, 0-2)\n',
    );
    expect(err('--seed', '-1')).toBe(
      'moe-lab coupling: --seed must be a non-negative integer, got "-1"\n',
    );
    expect(err('--text', 'a', '--text-file', 'b')).toBe(
      'moe-lab coupling: give at most one of --text "<text>" or --text-file <path>\n',
    );
    expect(err('--text-file', 'nope.txt')).toBe(
      'moe-lab coupling: --text-file nope.txt: no such file\n',
    );
    expect(err('--perturb=yes')).toBe('moe-lab coupling: coupling: --perturb takes no value\n');
  });
});
