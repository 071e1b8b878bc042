// Determinants of a batch of square matrices by LU decomposition with partial pivoting
// (luFactorInPlace of linalg.ts), accumulated in float64: the product of U's diagonal, its sign
// flipped per row swap. A singular matrix (an exactly zero pivot) gives zero; any NaN element
// gives NaN.

import type { FloatArray } from './arrays.js';
import { luFactorInPlace } from './linalg.js';
export type { FloatArray };

/** out[b] = det(x[b]) for `batch` row-major m x m matrices. */
export function determinant(x: FloatArray, out: FloatArray, batch: number, m: number): void {
  const a = new Float64Array(m * m);
  const perm = new Int32Array(m);
  for (let b = 0; b < batch; b++) {
    const base = b * m * m;
    let nan = false;
    for (let i = 0; i < m * m; i++) {
      const v = x[base + i]!;
      if (v !== v) nan = true;
      a[i] = v;
    }
    if (nan) { out[b] = NaN; continue; }
    // Past a zero pivot the elimination stops: later pivots could overflow (0 * Inf = NaN).
    if (luFactorInPlace(a, m, perm) !== 0) { out[b] = 0; continue; }
    let det = 1;
    for (let k = 0; k < m; k++) det *= a[k * m + k]!;
    // The permutation's parity: one swap per cycle element beyond the first.
    let odd = false;
    for (let i = 0; i < m; i++) {
      if (perm[i]! < 0) continue;
      for (let j = perm[i]!; j !== i; j = perm[j]!) odd = !odd;
      for (let j = i; perm[j]! >= 0; ) { const n = perm[j]!; perm[j] = -1; j = n; }
    }
    out[b] = odd ? -det : det;
  }
}
