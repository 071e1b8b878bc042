// Determinants of a batch of square matrices by LU decomposition with partial pivoting,
// accumulated in float64. A singular matrix gives (signed) zero; any NaN element gives NaN.

import type { FloatArray } from './arrays.js';
export type { FloatArray };

/** out[b] = det(x[b]) for `batch` row-major m x m matrices. */
export function determinant(x: FloatArray, out: FloatArray, batch: number, m: number): void {
  const a = new Float64Array(m * m);
  for (let b = 0; b < batch; b++) {
    const base = b * m * m;
    let det = 1;
    for (let i = 0; i < m * m; i++) {
      const v = x[base + i]!;
      if (v !== v) det = NaN;
      a[i] = v;
    }
    if (det !== det) { out[b] = NaN; continue; }
    for (let k = 0; k < m; k++) {
      // Pivot: the largest magnitude in column k at or below row k.
      let p = k;
      let best = Math.abs(a[k * m + k]!);
      for (let i = k + 1; i < m; i++) {
        const v = Math.abs(a[i * m + k]!);
        if (v > best) { best = v; p = i; }
      }
      if (p !== k) {
        for (let j = 0; j < m; j++) {
          const t = a[k * m + j]!;
          a[k * m + j] = a[p * m + j]!;
          a[p * m + j] = t;
        }
        det = -det;
      }
      const pivot = a[k * m + k]!;
      det *= pivot;
      if (pivot === 0) break;
      for (let i = k + 1; i < m; i++) {
        const f = a[i * m + k]! / pivot;
        if (f === 0) continue;
        for (let j = k + 1; j < m; j++) a[i * m + j]! -= f * a[k * m + j]!;
      }
    }
    out[b] = det;
  }
}
