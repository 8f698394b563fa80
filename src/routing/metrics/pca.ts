// Two-component PCA by power iteration (the corpus view's expert atlas: each (layer, expert) laid
// out by its source profile). The covariance is d × d with d = sources, so a handful of power
// steps on a tiny matrix is all it takes; no linear-algebra dependency.

export interface Pca2 {
  /** [n][2] coordinates on the two principal axes */
  points: [number, number][];
  /** [2][d] the axes (unit vectors; sign: the largest-magnitude entry positive, ties the first) */
  axes: [number[], number[]];
  /** [2] fraction of the total variance on each axis (0 when there is no variance) */
  explained: [number, number];
}

/**
 * rows: [n][d]. Centres the columns, takes the sample covariance (n − 1) and its two leading
 * eigenvectors by power iteration with deflation. Fewer than two rows, or no variance: all zeros.
 */
export function pca2(rows: number[][], iterations = 500): Pca2 {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  for (const [i, r] of rows.entries())
    if (r.length !== d) throw new Error(`pca: row ${i} has ${r.length} values, row 0 has ${d}`);
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) r.forEach((x, j) => (mean[j] += x / n));
  const X = rows.map((r) => r.map((x, j) => x - mean[j]));
  const C: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  if (n > 1)
    for (const r of X)
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i][j] += (r[i] * r[j]) / (n - 1);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += C[i][i];
  const axes: number[][] = [];
  const lambdas: number[] = [];
  for (let c = 0; c < 2; c++) {
    const { v, lambda } = leading(C, iterations);
    axes.push(v);
    lambdas.push(lambda);
    // deflate: C ← C − λ v vᵀ
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i][j] -= lambda * v[i] * v[j];
  }
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  return {
    points: X.map((r) => [dot(r, axes[0]), dot(r, axes[1])]),
    axes: [axes[0], axes[1]],
    explained: [
      trace > 0 ? Math.max(0, lambdas[0]) / trace : 0,
      trace > 0 ? Math.max(0, lambdas[1]) / trace : 0,
    ],
  };
}

/**
 * The leading eigenvector of a symmetric PSD matrix. Starts from its largest column (in C's range,
 * so never orthogonal to every eigenvector with a non-zero eigenvalue); a zero matrix gives zeros.
 */
function leading(C: number[][], iterations: number): { v: number[]; lambda: number } {
  const d = C.length;
  const norm = (x: number[]) => Math.sqrt(x.reduce((s, y) => s + y * y, 0));
  let best = -1;
  let v = new Array<number>(d).fill(0);
  for (let j = 0; j < d; j++) {
    const col = C.map((row) => row[j]);
    const nc = norm(col);
    if (nc > best + 1e-15) {
      best = nc;
      v = col;
    }
  }
  if (!(best > 1e-12)) return { v: new Array<number>(d).fill(0), lambda: 0 };
  v = v.map((x) => x / best);
  for (let it = 0; it < iterations; it++) {
    const w = C.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    const nw = norm(w);
    if (!(nw > 1e-15)) return { v: new Array<number>(d).fill(0), lambda: 0 };
    const next = w.map((x) => x / nw);
    const delta = Math.max(...next.map((x, i) => Math.abs(x - v[i])));
    v = next;
    if (delta < 1e-13) break;
  }
  // sign convention: the largest-magnitude entry positive (ties: the first)
  let k = 0;
  for (let i = 1; i < d; i++) if (Math.abs(v[i]) > Math.abs(v[k]) + 1e-12) k = i;
  if (v[k] < 0) v = v.map((x) => -x);
  const Cv = C.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
  return { v, lambda: Cv.reduce((s, x, i) => s + x * v[i], 0) };
}
