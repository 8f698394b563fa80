// Router–expert coupling (ERC) maths on given matrices. M: [n][n] (proxy × expert), M[i][j] =
// activation norm of expert j on proxy token i (router row i, optionally perturbed).
// R: [n][D] (experts × hidden) router rows. Ties in an argmax go to the lower index.

function square(M: number[][], what: string): void {
  M.forEach((row, i) => {
    if (row.length !== M.length)
      throw new Error(
        `${what}: M must be n×n, row ${i} has ${row.length} entries for n = ${M.length}`,
      );
  });
}

/** Fraction of rows i whose largest entry is M[i][i] (proxy i excites its own expert most); 0 for n = 0. */
export function rowDominance(M: number[][]): number {
  square(M, 'rowDominance');
  let n = 0;
  M.forEach((row, i) => {
    let best = -Infinity;
    let arg = -1;
    row.forEach((v, j) => {
      if (v > best) {
        best = v;
        arg = j;
      }
    });
    if (arg === i) n++;
  });
  return M.length ? n / M.length : 0;
}

/** Fraction of columns j whose largest entry is M[j][j] (expert j responds most to its own proxy); 0 for n = 0. */
export function columnDominance(M: number[][]): number {
  square(M, 'columnDominance');
  const n = M.length;
  let c = 0;
  for (let j = 0; j < n; j++) {
    let best = -Infinity;
    let arg = -1;
    for (let i = 0; i < n; i++) {
      if (M[i][j] <= best) continue;
      best = M[i][j];
      arg = i;
    }
    if (arg === j) c++;
  }
  return n ? c / n : 0;
}

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

/**
 * [n] ε_i = min_{j≠i}‖R_i − R_j‖ / (2‖R_i‖): the radius of the U(1±ε_i) perturbation that keeps
 * proxy i nearest its own row. 0 (no perturbation) where it is undefined: a single row (no j) or
 * a zero row.
 */
export function perturbationRadii(R: number[][]): number[] {
  return R.map((ri, i) => {
    let best = Infinity;
    R.forEach((rj, j) => {
      if (j !== i) best = Math.min(best, norm(ri.map((x, d) => x - rj[d])));
    });
    const n = norm(ri);
    return n > 0 && best < Infinity ? best / (2 * n) : 0;
  });
}

/** Pearson correlation of two series of equal length ≥ 2; 0 when either is constant. */
export function pearson(x: number[], y: number[]): number {
  const n = x.length;
  if (n !== y.length || n < 2)
    throw new Error(`pearson needs two series of the same length ≥ 2, got ${n} and ${y.length}`);
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Mean cosine similarity over ordered pairs i ≠ j of router rows (a zero row's cosines count as 0); 0 for n < 2. */
export function meanOffDiagonalCosine(R: number[][]): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < R.length; i++)
    for (let j = 0; j < R.length; j++) {
      if (i === j) continue;
      const nn = norm(R[i]) * norm(R[j]);
      s += nn > 0 ? R[i].reduce((a, x, d) => a + x * R[j][d], 0) / nn : 0;
      n++;
    }
  return n ? s / n : 0;
}
