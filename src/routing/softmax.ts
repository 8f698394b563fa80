// Numerically stable softmax and top-k over rows of [T × E] matrices. −Infinity entries (masked
// experts) get probability 0; a row that is all −Infinity gets all zeros.

/** softmax of row t of a [T × E] matrix into out[t·E ..] */
export function softmaxRow(z: Float32Array, E: number, t: number, out: Float32Array): void {
  let max = -Infinity;
  for (let e = 0; e < E; e++) max = Math.max(max, z[t * E + e]);
  if (max === -Infinity) {
    out.fill(0, t * E, (t + 1) * E);
    return;
  }
  let sum = 0;
  for (let e = 0; e < E; e++) {
    const v = Math.exp(z[t * E + e] - max);
    out[t * E + e] = v;
    sum += v;
  }
  for (let e = 0; e < E; e++) out[t * E + e] /= sum;
}

/** [T × E] row-wise softmax */
export function softmaxRows(z: Float32Array, T: number, E: number): Float32Array {
  const out = new Float32Array(T * E);
  for (let t = 0; t < T; t++) softmaxRow(z, E, t, out);
  return out;
}

/**
 * Indices of the k largest finite-or-not values of row t, best first. Ties go to the lower
 * index; entries equal to −Infinity are never returned (so k may come back shorter).
 */
export function topkRow(x: Float32Array, E: number, t: number, k: number): number[] {
  const idx: number[] = [];
  for (let e = 0; e < E; e++) if (x[t * E + e] !== -Infinity) idx.push(e);
  idx.sort((a, b) => x[t * E + b] - x[t * E + a] || a - b);
  return idx.slice(0, k);
}
