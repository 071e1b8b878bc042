// The linear-algebra kernels (kernels/linalg.ts) against the identities that define their
// results, with products and norms from a plain float64 triple loop here: A·A⁻¹ ≈ I,
// A·solve(A, B) ≈ B, U·diag(S)·Vh ≈ A with orthonormal U, Vh and sorted non-negative S (and S² the
// eigenvalues of AᵀA), Q·R ≈ A with QᵀQ = I and R upper triangular, A·V ≈ V·diag(λ) with
// orthonormal V for symmetric A. Residuals are bounded relative to the operands' norms (what a
// backward-stable algorithm guarantees), so ill-conditioned inputs are fair game.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { determinant } from '../../kernels/det.js';
import { eigh, inverse, qr, solve, svd } from '../../kernels/linalg.js';

type Mat = { rows: number; cols: number; data: Float64Array };

const at = (a: Mat, i: number, j: number) => a.data[i * a.cols + j]!;
const mat = (rows: number, cols: number, data: ArrayLike<number>, offset = 0): Mat =>
  ({ rows, cols, data: Float64Array.from({ length: rows * cols }, (_, i) => data[offset + i]!) });

function mul(a: Mat, b: Mat): Mat {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < b.cols; j++) {
    let s = 0;
    for (let k = 0; k < a.cols; k++) s += at(a, i, k) * at(b, k, j);
    out[i * b.cols + j] = s;
  }
  return { rows: a.rows, cols: b.cols, data: out };
}
function transpose(a: Mat): Mat {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = at(a, i, j);
  return { rows: a.cols, cols: a.rows, data: out };
}
const eye = (n: number): Mat => mat(n, n, Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)));
const fro = (a: Mat) => Math.sqrt(a.data.reduce((s, v) => s + v * v, 0));
/** max |a - b| over all elements. */
function maxDiff(a: Mat, b: Mat): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  return a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);
}

const value = fc.oneof(
  fc.integer({ min: -4, max: 4 }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
);

/** A batch of rows x cols matrices, sometimes rank deficient (a repeated or zero row). */
const batchArb = (square: boolean) => fc.record({
  batch: fc.integer({ min: 0, max: 3 }),
  rows: fc.integer({ min: 0, max: 6 }),
  cols: fc.integer({ min: 0, max: 6 }),
  defect: fc.constantFrom('none', 'none', 'repeat', 'zero'),
}).chain(({ batch, rows, cols, defect }) => {
  const c = square ? rows : cols;
  return fc.record({
    batch: fc.constant(batch), rows: fc.constant(rows), cols: fc.constant(c),
    data: fc.array(value, { minLength: batch * rows * c, maxLength: batch * rows * c }).map((d) => {
      const out = Float64Array.from(d);
      if (rows >= 2 && defect !== 'none') {
        for (let b = 0; b < batch; b++) for (let j = 0; j < c; j++) {
          out[(b * rows + 1) * c + j] = defect === 'zero' ? 0 : out[b * rows * c + j]!;
        }
      }
      return out;
    }),
  });
});

const TOL = 1e-11;

describe('linalg kernels: defining identities', () => {
  it('inverse: A·A⁻¹ ≈ I where LU finds no zero pivot; info names the first zero pivot otherwise', () => {
    fc.assert(fc.property(batchArb(true), fc.boolean(), ({ batch, rows: m, data }, f32) => {
      const x = f32 ? Float32Array.from(data) : data;
      const out = f32 ? new Float32Array(batch * m * m) : new Float64Array(batch * m * m);
      const info = new Int32Array(batch);
      inverse(x, out, info, batch, m);
      for (let b = 0; b < batch; b++) {
        const a = mat(m, m, x, b * m * m), inv = mat(m, m, out, b * m * m);
        expect(info[b]).toBeGreaterThanOrEqual(0);
        if (info[b] !== 0) continue;
        const bound = (f32 ? 1e-5 : TOL) * Math.max(1, fro(a) * fro(inv)) * (m + 1);
        if (!Number.isFinite(bound)) continue;
        expect(maxDiff(mul(a, inv), eye(m))).toBeLessThanOrEqual(bound);
      }
    }), { numRuns: 200 });
  });

  it('inverse of a singular matrix: info > 0, as LAPACK getrf; its det is 0', () => {
    const singular = Float64Array.of(1, 2, 2, 4);
    const info = new Int32Array(1);
    inverse(singular, new Float64Array(4), info, 1, 2);
    expect(info[0]).toBe(2);
    const zero = new Float64Array(9);
    inverse(zero, new Float64Array(9), info, 1, 3);
    expect(info[0]).toBe(1);
    const det = new Float64Array(1);
    determinant(singular, det, 1, 2);
    expect(Math.abs(det[0]!)).toBe(0);
  });

  it('solve: A·X ≈ B', () => {
    fc.assert(fc.property(batchArb(true), fc.integer({ min: 1, max: 3 }), fc.array(value, { minLength: 54, maxLength: 54 }),
      ({ batch, rows: m, data }, k, rhsValues) => {
        const rhs = Float64Array.from({ length: batch * m * k }, (_, i) => rhsValues[i % 54]!);
        const out = new Float64Array(batch * m * k);
        const info = new Int32Array(batch);
        solve(data, rhs, out, info, batch, m, k);
        for (let b = 0; b < batch; b++) {
          if (info[b] !== 0) continue;
          const a = mat(m, m, data, b * m * m), xs = mat(m, k, out, b * m * k), bs = mat(m, k, rhs, b * m * k);
          const bound = TOL * Math.max(1, fro(a) * fro(xs) + fro(bs)) * (m + 1);
          if (!Number.isFinite(bound)) continue;
          expect(maxDiff(mul(a, xs), bs)).toBeLessThanOrEqual(bound);
        }
      }), { numRuns: 200 });
  });

  it('svd: U·diag(S)·Vh ≈ A, U and Vh orthonormal (reduced and full), S sorted, non-negative, S² = eig(AᵀA)', () => {
    fc.assert(fc.property(batchArb(false), fc.boolean(), ({ batch, rows: m, cols: n, data }, full) => {
      const k = Math.min(m, n);
      const uw = full ? m : k, vr = full ? n : k;
      const u = new Float64Array(batch * m * uw), s = new Float64Array(batch * k), vh = new Float64Array(batch * vr * n);
      svd(data, { u, s, vh }, batch, m, n, full);
      const sOnly = new Float64Array(batch * k);
      svd(data, { u: null, s: sOnly, vh: null }, batch, m, n, full);
      expect(sOnly).toEqual(s);
      for (let b = 0; b < batch; b++) {
        const a = mat(m, n, data, b * m * n);
        const U = mat(m, uw, u, b * m * uw), Vh = mat(vr, n, vh, b * vr * n);
        const S = Array.from(s.subarray(b * k, b * k + k));
        for (let i = 0; i < k; i++) {
          expect(S[i]).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(S[i]).toBeLessThanOrEqual(S[i - 1]!);
        }
        const us = mat(m, k, Array.from({ length: m * k }, (_, t) => at(U, Math.floor(t / k), t % k) * S[t % k]!));
        const vhk = mat(k, n, Vh.data);
        const scale = Math.max(1, fro(a)) * (m + n + 1);
        expect(maxDiff(mul(us, vhk), a)).toBeLessThanOrEqual(TOL * scale);
        expect(maxDiff(mul(transpose(U), U), eye(uw))).toBeLessThanOrEqual(1e-12 * (m + 1));
        expect(maxDiff(mul(Vh, transpose(Vh)), eye(vr))).toBeLessThanOrEqual(1e-12 * (n + 1));
        // Independent of the vectors: S² are the largest k eigenvalues of AᵀA.
        const ata = mul(transpose(a), a);
        const lam = new Float64Array(n);
        eigh(ata.data, lam, null, 1, n, true);
        const top = Array.from(lam).reverse().slice(0, k);
        S.forEach((sv, i) => expect(Math.abs(sv * sv - top[i]!)).toBeLessThanOrEqual(1e-10 * Math.max(1, fro(ata)) * (n + 1)));
      }
    }), { numRuns: 200 });
  });

  it('qr: Q·R ≈ A, QᵀQ = I, R upper triangular (reduced and complete)', () => {
    fc.assert(fc.property(batchArb(false), fc.boolean(), ({ batch, rows: m, cols: n, data }, complete) => {
      const k = Math.min(m, n);
      const qc = complete ? m : k;
      const q = new Float64Array(batch * m * qc), r = new Float64Array(batch * qc * n);
      qr(data, q, r, batch, m, n, complete);
      const rOnly = new Float64Array(batch * qc * n);
      qr(data, null, rOnly, batch, m, n, complete);
      expect(rOnly).toEqual(r);
      for (let b = 0; b < batch; b++) {
        const a = mat(m, n, data, b * m * n), Q = mat(m, qc, q, b * m * qc), R = mat(qc, n, r, b * qc * n);
        for (let i = 0; i < qc; i++) for (let j = 0; j < Math.min(i, n); j++) expect(at(R, i, j)).toBe(0);
        expect(maxDiff(mul(Q, R), a)).toBeLessThanOrEqual(TOL * Math.max(1, fro(a)) * (m + n + 1));
        expect(maxDiff(mul(transpose(Q), Q), eye(qc))).toBeLessThanOrEqual(1e-12 * (m + 1));
      }
    }), { numRuns: 200 });
  });

  it('eigh: A·V ≈ V·diag(λ), VᵀV = I, λ ascending, for symmetric A read from either triangle', () => {
    fc.assert(fc.property(batchArb(true), fc.boolean(), ({ batch, rows: m, data }, lower) => {
      const vals = new Float64Array(batch * m), vecs = new Float64Array(batch * m * m);
      eigh(data, vals, vecs, batch, m, lower);
      for (let b = 0; b < batch; b++) {
        const raw = mat(m, m, data, b * m * m);
        // The symmetric matrix the kernel sees: the chosen triangle mirrored.
        const a = mat(m, m, Array.from({ length: m * m }, (_, t) => {
          const i = Math.floor(t / m), j = t % m;
          return lower ? at(raw, Math.max(i, j), Math.min(i, j)) : at(raw, Math.min(i, j), Math.max(i, j));
        }));
        const V = mat(m, m, vecs, b * m * m);
        const lam = Array.from(vals.subarray(b * m, b * m + m));
        for (let i = 1; i < m; i++) expect(lam[i]).toBeGreaterThanOrEqual(lam[i - 1]!);
        const vl = mat(m, m, Array.from({ length: m * m }, (_, t) => at(V, Math.floor(t / m), t % m) * lam[t % m]!));
        expect(maxDiff(mul(a, V), vl)).toBeLessThanOrEqual(TOL * Math.max(1, fro(a)) * (m + 1));
        expect(maxDiff(mul(transpose(V), V), eye(m))).toBeLessThanOrEqual(1e-12 * (m + 1));
      }
    }), { numRuns: 200 });
  });

  it('a NaN or Inf element gives NaN singular values and eigenvalues (not rotations that skip it); eigh reads one triangle only', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity),
      (m, n, at, bad) => {
        const x = Float64Array.from({ length: m * n }, (_, i) => ((i * 7) % 5) - 2);
        x[at % (m * n)] = bad;
        const k = Math.min(m, n);
        const s = new Float64Array(k);
        svd(x, { u: new Float64Array(m * m), s, vh: new Float64Array(n * n) }, 1, m, n, true);
        expect(Array.from(s).every(Number.isNaN)).toBe(true);
        const sq = Float64Array.from({ length: m * m }, (_, i) => ((i * 3) % 4) - 1);
        const i = at % m, j = (at >> 3) % m;
        sq[i * m + j] = bad;
        for (const lower of [true, false]) {
          const vals = new Float64Array(m);
          eigh(sq, vals, new Float64Array(m * m), 1, m, lower);
          const read = lower ? i >= j : i <= j;
          expect(Array.from(vals).every(Number.isNaN)).toBe(read);
        }
      }), { numRuns: 100 });
  });
});
