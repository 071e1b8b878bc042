// Dense linear algebra over batches of small row-major matrices, accumulated in float64:
// LU with partial pivoting (inverse, solve), SVD by one-sided (Hestenes) Jacobi, QR by
// Householder reflections (LAPACK's geqrf conventions), and the symmetric eigendecomposition by
// cyclic Jacobi. Each function reads `batch` matrices from a float32 or float64 array and writes
// its outputs, which the caller allocates, in the input's element type.

import type { FloatArray } from './arrays.js';
export type { FloatArray };

/** Sweeps of the Jacobi iterations before they give up (they converge quadratically, in ~10). */
const MAX_SWEEPS = 100;
const EPS = 2.220446049250313e-16;

/**
 * A power of two that brings the largest |element| of x[base, base + len) near 1 (1 when it is
 * 0 or not finite): the Jacobi and Householder steps form sums of squares, which under- or
 * overflow for elements beyond ~1e±154; scaling by a power of two is exact.
 */
function unitScale(x: FloatArray, base: number, len: number): number {
  let big = 0;
  for (let i = 0; i < len; i++) {
    const v = Math.abs(x[base + i]!);
    if (v > big) big = v;
  }
  if (big === 0 || !Number.isFinite(big)) return 1;
  return 2 ** Math.min(1000, Math.max(-1000, -Math.round(Math.log2(big))));
}

function allFinite(x: FloatArray, base: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (!Number.isFinite(x[base + i]!)) return false;
  return true;
}

/**
 * LU factorisation with partial pivoting of the m x m matrix `a`, in place: L (unit diagonal)
 * below the diagonal, U on and above; row i of the result is row perm[i] of the input.
 * Returns LAPACK's info: 0, or k + 1 for the first exactly zero pivot U[k][k].
 */
export function luFactorInPlace(a: Float64Array, m: number, perm: Int32Array): number {
  let info = 0;
  for (let i = 0; i < m; i++) perm[i] = i;
  for (let k = 0; k < m; k++) {
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
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
    }
    const pivot = a[k * m + k]!;
    if (pivot === 0) {
      if (info === 0) info = k + 1;
      continue;
    }
    for (let i = k + 1; i < m; i++) {
      const f = a[i * m + k]! / pivot;
      a[i * m + k] = f;
      if (f === 0) continue;
      for (let j = k + 1; j < m; j++) a[i * m + j]! -= f * a[k * m + j]!;
    }
  }
  return info;
}

/**
 * Solves L U x = P b for the k columns of the m x k matrix `b` (row-major) into `x`, given
 * luFactorInPlace's result. A zero pivot divides by zero (Inf/NaN, as LAPACK's getrs gives).
 */
function luSolve(lu: Float64Array, m: number, perm: Int32Array, b: Float64Array, k: number, x: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const src = perm[i]! * k;
    for (let c = 0; c < k; c++) x[i * k + c] = b[src + c]!;
  }
  for (let i = 1; i < m; i++) {
    for (let j = 0; j < i; j++) {
      const l = lu[i * m + j]!;
      if (l === 0) continue;
      for (let c = 0; c < k; c++) x[i * k + c]! -= l * x[j * k + c]!;
    }
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let j = i + 1; j < m; j++) {
      const u = lu[i * m + j]!;
      if (u === 0) continue;
      for (let c = 0; c < k; c++) x[i * k + c]! -= u * x[j * k + c]!;
    }
    const d = lu[i * m + i]!;
    for (let c = 0; c < k; c++) x[i * k + c]! /= d;
  }
}

/**
 * out[b] = a[b]^-1 for `batch` m x m matrices; info[b] is LAPACK's (0, or k + 1 for the first
 * zero pivot, where out[b] holds the Inf/NaN the substitution gives).
 */
export function inverse(x: FloatArray, out: FloatArray, info: Int32Array, batch: number, m: number): void {
  const a = new Float64Array(m * m);
  const eye = new Float64Array(m * m);
  const r = new Float64Array(m * m);
  const perm = new Int32Array(m);
  for (let i = 0; i < m; i++) eye[i * m + i] = 1;
  for (let b = 0; b < batch; b++) {
    const base = b * m * m;
    for (let i = 0; i < m * m; i++) a[i] = x[base + i]!;
    info[b] = luFactorInPlace(a, m, perm);
    luSolve(a, m, perm, eye, m, r);
    for (let i = 0; i < m * m; i++) out[base + i] = r[i]!;
  }
}

/**
 * out[b] = a[b]^-1 rhs[b] for `batch` m x m matrices a and m x k right-hand sides; info as
 * inverse's.
 */
export function solve(
  x: FloatArray, rhs: FloatArray, out: FloatArray, info: Int32Array, batch: number, m: number, k: number,
): void {
  const a = new Float64Array(m * m);
  const bm = new Float64Array(m * k);
  const r = new Float64Array(m * k);
  const perm = new Int32Array(m);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m * m; i++) a[i] = x[b * m * m + i]!;
    for (let i = 0; i < m * k; i++) bm[i] = rhs[b * m * k + i]!;
    info[b] = luFactorInPlace(a, m, perm);
    luSolve(a, m, perm, bm, k, r);
    for (let i = 0; i < m * k; i++) out[b * m * k + i] = r[i]!;
  }
}

/**
 * Completes the first `have` orthonormal columns of `q` (column c at c * m, length m) to `want`
 * orthonormal columns, taking the unit vectors in order and orthogonalising them (twice) against
 * what is there.
 */
function completeBasis(q: Float64Array, m: number, have: number, want: number): void {
  let c = have;
  const v = new Float64Array(m);
  for (let e = 0; e < m && c < want; e++) {
    v.fill(0);
    v[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < c; j++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += q[j * m + i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i]! -= d * q[j * m + i]!;
      }
    }
    let n = 0;
    for (let i = 0; i < m; i++) n += v[i]! * v[i]!;
    n = Math.sqrt(n);
    if (n < 0.5) continue; // e lies (nearly) in the span already: the next one does not
    for (let i = 0; i < m; i++) q[c * m + i] = v[i]! / n;
    c++;
  }
}

/**
 * One-sided Jacobi on the m x n matrix (m >= n) held by columns in `w` (column j at j * m):
 * rotates column pairs until they are orthogonal, accumulating the rotations in `v` (n x n, by
 * columns). Afterwards column j of w is s_j u_j.
 */
function jacobiColumns(w: Float64Array, v: Float64Array, m: number, n: number): void {
  v.fill(0);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const a = w[p * m + i]!, b = w[q * m + i]!;
          alpha += a * a;
          beta += b * b;
          gamma += a * b;
        }
        if (gamma === 0 || !(Math.abs(gamma) > EPS * Math.sqrt(alpha * beta))) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const a = w[p * m + i]!, b = w[q * m + i]!;
          w[p * m + i] = c * a - s * b;
          w[q * m + i] = s * a + c * b;
        }
        for (let i = 0; i < n; i++) {
          const a = v[p * n + i]!, b = v[q * n + i]!;
          v[p * n + i] = c * a - s * b;
          v[q * n + i] = s * a + c * b;
        }
      }
    }
    if (!rotated) break;
  }
}

/** Column order by decreasing norm (NaN last). */
function orderByNorm(norms: Float64Array): number[] {
  return Array.from(norms, (_, i) => i).sort((a, b) => {
    const x = norms[a]!, y = norms[b]!;
    if (x !== x) return y !== y ? a - b : 1;
    if (y !== y) return -1;
    return y - x || a - b;
  });
}

export interface SvdOutputs {
  /** m x (full ? m : k), or null for singular values only. */
  readonly u: FloatArray | null;
  /** k = min(m, n) singular values per matrix, decreasing. */
  readonly s: FloatArray;
  /** (full ? n : k) x n (V transposed), or null. */
  readonly vh: FloatArray | null;
}

/**
 * A = U diag(S) Vh for `batch` m x n matrices (k = min(m, n)); U and Vh orthonormal, completed to
 * square when `full`. Singular vectors are unique only up to sign (and rotation within repeated
 * values): these are Jacobi's, not LAPACK's.
 */
export function svd(x: FloatArray, outs: SvdOutputs, batch: number, m: number, n: number, full: boolean): void {
  const k = Math.min(m, n);
  // Work on the tall orientation: A (m >= n), or A^T, whose U and V swap.
  const wide = m < n;
  const [rows, cols] = wide ? [n, m] : [m, n];
  const w = new Float64Array(rows * cols);
  const v = new Float64Array(cols * cols);
  const uCols = new Float64Array(rows * rows);
  const norms = new Float64Array(cols);
  const uW = full ? m : k, vhR = full ? n : k;
  for (let b = 0; b < batch; b++) {
    const base = b * m * n;
    if (!allFinite(x, base, m * n)) {
      // The rotations' comparisons skip NaN: a non-finite matrix gives NaN throughout.
      outs.s.fill(NaN, b * k, b * k + k);
      outs.u?.fill(NaN, b * m * uW, (b + 1) * m * uW);
      outs.vh?.fill(NaN, b * vhR * n, (b + 1) * vhR * n);
      continue;
    }
    const scale = unitScale(x, base, m * n);
    // Column j of the tall matrix: column j of A, or row j of A.
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < rows; i++) w[j * rows + i] = (wide ? x[base + j * n + i]! : x[base + i * n + j]!) * scale;
    }
    jacobiColumns(w, v, rows, cols);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += w[j * rows + i]! * w[j * rows + i]!;
      norms[j] = Math.sqrt(s);
    }
    const order = orderByNorm(norms);
    const sMax = norms[order[0]!] ?? 0;
    for (let r = 0; r < k; r++) outs.s[b * k + r] = norms[order[r]!]! / scale;
    if (outs.u === null || outs.vh === null) continue;
    let nonzero = 0;
    for (; nonzero < k; nonzero++) {
      const j = order[nonzero]!;
      const s = norms[j]!;
      if (!(s > sMax * rows * EPS)) break;
      for (let i = 0; i < rows; i++) uCols[nonzero * rows + i] = w[j * rows + i]! / s;
    }
    // Left vectors of (numerically) zero singular values, and the rest of a full basis.
    completeBasis(uCols, rows, nonzero, full ? rows : k);
    // tall: U = uCols (m x ., by columns), V = v reordered. wide: U = v reordered, V = uCols.
    const vColumn = (r: number, i: number): number => v[order[r]! * cols + i]!;
    const uOut = outs.u, vhOut = outs.vh;
    const uBase = b * m * uW, vBase = b * vhR * n;
    if (!wide) {
      for (let i = 0; i < m; i++) for (let c = 0; c < uW; c++) uOut[uBase + i * uW + c] = uCols[c * rows + i]!;
      for (let r = 0; r < vhR; r++) for (let j = 0; j < n; j++) vhOut[vBase + r * n + j] = vColumn(r, j);
    } else {
      for (let i = 0; i < m; i++) for (let c = 0; c < uW; c++) uOut[uBase + i * uW + c] = vColumn(c, i);
      for (let r = 0; r < vhR; r++) for (let j = 0; j < n; j++) vhOut[vBase + r * n + j] = uCols[r * rows + j]!;
    }
  }
}

/** The Euclidean norm of count elements of a from start by stride, scaled against under/overflow (dnrm2). */
function norm2(a: Float64Array, start: number, stride: number, count: number): number {
  let big = 0;
  for (let i = 0; i < count; i++) big = Math.max(big, Math.abs(a[start + i * stride]!));
  if (big === 0 || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = 0; i < count; i++) {
    const v = a[start + i * stride]! / big;
    s += v * v;
  }
  return big * Math.sqrt(s);
}

/**
 * A = Q R for `batch` m x n matrices by Householder reflections (k = min(m, n)): `complete`
 * gives Q m x m and R m x n, otherwise Q m x k and R k x n; q null computes R only. R's
 * diagonal has LAPACK's signs (a reflection is skipped where the column below is already zero).
 */
export function qr(x: FloatArray, q: FloatArray | null, r: FloatArray, batch: number, m: number, n: number, complete: boolean): void {
  const k = Math.min(m, n);
  const a = new Float64Array(m * n);
  const tau = new Float64Array(k);
  const qc = complete ? m : k;
  const rr = complete ? m : k;
  const qm = new Float64Array(m * qc);
  for (let b = 0; b < batch; b++) {
    const scale = unitScale(x, b * m * n, m * n);
    for (let i = 0; i < m * n; i++) a[i] = x[b * m * n + i]! * scale;
    for (let j = 0; j < k; j++) {
      let alpha = a[j * n + j]!;
      let xnorm = norm2(a, (j + 1) * n + j, n, m - j - 1);
      if (xnorm === 0) { tau[j] = 0; continue; }
      let beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      // A subnormal column loses precision in v (LAPACK's dlarfg rescales it the same way): v and
      // tau do not depend on the column's scale, R's diagonal is scaled back.
      let f = 1;
      if (Math.abs(beta) < 2 ** -1000) {
        f = 2 ** 600;
        for (let i = j; i < m; i++) a[i * n + j]! *= f;
        alpha = a[j * n + j]!;
        xnorm = norm2(a, (j + 1) * n + j, n, m - j - 1);
        beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      }
      tau[j] = (beta - alpha) / beta;
      const den = alpha - beta;
      for (let i = j + 1; i < m; i++) a[i * n + j]! /= den; // v = [1, a[j+1:, j]]
      a[j * n + j] = beta / f;
      for (let c = j + 1; c < n; c++) {
        let d = a[j * n + c]!;
        for (let i = j + 1; i < m; i++) d += a[i * n + j]! * a[i * n + c]!;
        d *= tau[j]!;
        a[j * n + c]! -= d;
        for (let i = j + 1; i < m; i++) a[i * n + c]! -= d * a[i * n + j]!;
      }
    }
    for (let i = 0; i < rr; i++) for (let c = 0; c < n; c++) r[b * rr * n + i * n + c] = c >= i ? a[i * n + c]! / scale : 0;
    if (q === null) continue;
    // Q = H_0 H_1 ... H_{k-1} applied to the first qc columns of the identity.
    qm.fill(0);
    for (let i = 0; i < qc; i++) qm[i * qc + i] = 1;
    for (let j = k - 1; j >= 0; j--) {
      const t = tau[j]!;
      if (t === 0) continue;
      for (let c = 0; c < qc; c++) {
        let d = qm[j * qc + c]!;
        for (let i = j + 1; i < m; i++) d += a[i * n + j]! * qm[i * qc + c]!;
        d *= t;
        qm[j * qc + c]! -= d;
        for (let i = j + 1; i < m; i++) qm[i * qc + c]! -= d * a[i * n + j]!;
      }
    }
    for (let i = 0; i < m * qc; i++) q[b * m * qc + i] = qm[i]!;
  }
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns of `vectors`, m x m) of `batch` symmetric
 * m x m matrices, read from their lower (`lower`) or upper triangle, by cyclic Jacobi rotations.
 * `vectors` null computes the values only.
 */
export function eigh(x: FloatArray, values: FloatArray, vectors: FloatArray | null, batch: number, m: number, lower: boolean): void {
  const a = new Float64Array(m * m);
  const v = new Float64Array(m * m);
  for (let b = 0; b < batch; b++) {
    const base = b * m * m;
    const scale = unitScale(x, base, m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        const e = (lower ? x[base + i * m + j]! : x[base + j * m + i]!) * scale;
        a[i * m + j] = e;
        a[j * m + i] = e;
      }
    }
    if (!allFinite(a, 0, m * m)) {
      // As in svd: NaN throughout rather than rotations that skip the non-finite elements
      // (only the triangle read counts).
      values.fill(NaN, b * m, b * m + m);
      vectors?.fill(NaN, base, base + m * m);
      continue;
    }
    v.fill(0);
    for (let i = 0; i < m; i++) v[i * m + i] = 1;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let rotated = false;
      for (let p = 0; p < m - 1; p++) {
        for (let q = p + 1; q < m; q++) {
          const apq = a[p * m + q]!;
          const app = a[p * m + p]!, aqq = a[q * m + q]!;
          if (apq === 0 || !(Math.abs(apq) > EPS * 0.5 * Math.sqrt(Math.abs(app * aqq)))) continue;
          rotated = true;
          const theta = (aqq - app) / (2 * apq);
          const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1);
          const s = t * c;
          // A <- J^T A J with J the rotation in the (p, q) plane.
          for (let i = 0; i < m; i++) {
            const aip = a[i * m + p]!, aiq = a[i * m + q]!;
            a[i * m + p] = c * aip - s * aiq;
            a[i * m + q] = s * aip + c * aiq;
          }
          for (let j = 0; j < m; j++) {
            const apj = a[p * m + j]!, aqj = a[q * m + j]!;
            a[p * m + j] = c * apj - s * aqj;
            a[q * m + j] = s * apj + c * aqj;
          }
          a[p * m + q] = 0;
          a[q * m + p] = 0;
          for (let i = 0; i < m; i++) {
            const vip = v[i * m + p]!, viq = v[i * m + q]!;
            v[i * m + p] = c * vip - s * viq;
            v[i * m + q] = s * vip + c * viq;
          }
        }
      }
      if (!rotated) break;
    }
    const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[i * m + i]! - a[j * m + j]! || i - j);
    for (let r = 0; r < m; r++) values[b * m + r] = a[order[r]! * m + order[r]!]! / scale;
    if (vectors === null) continue;
    for (let i = 0; i < m; i++) for (let r = 0; r < m; r++) vectors[base + i * m + r] = v[i * m + order[r]!]!;
  }
}
