// Dense matrix multiplication: C = alpha * op(A) @ op(B) + beta * bias.
//
// Float32 products run on the float32 GEMM in gemm-f32.ts (packed float32 panels, a 4x8
// micro-kernel, fused epilogue, prepackable operands); matmulF32 is its strided-options
// front end. The float64 kernel below stays for float64 tensors and the exact integer
// products computed in float64 (ConvInteger, MatMulInteger).
//
// Float64 kernels are cache-blocked (Goto/BLIS style): a KC x NC block of B and an
// MC x KC block of A are packed into contiguous Float64Array panels, and a 4x4
// register-blocked micro-kernel streams through them with sixteen local
// accumulators. Packing also absorbs transposes and arbitrary strides, so callers
// never copy. Float32 inputs are widened while packing and every product is
// accumulated in float64 within a K block; results are rounded to the output type
// once per K block. Matrix-vector shapes (M = 1 or N < 4) skip packing.
// The packed panels are module-level scratch, grown on demand and reused: kernels run
// synchronously, so two calls never share them at once.

import { gemmF32 } from './gemm-f32.js';
import type { FloatArray } from './arrays.js';
export type { FloatArray };

/** Where a matrix lives inside a flat array and how to step through it. */
export interface MatmulOptions {
  /** Element offsets of A, B and C inside their arrays (default 0). */
  readonly aOffset?: number;
  readonly bOffset?: number;
  readonly cOffset?: number;
  /** A is stored as K x M (so op(A) = A^T); likewise B stored as N x K. */
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** Row strides (leading dimensions) of A, B and C as stored; default: dense. */
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
  /** Scales op(A) @ op(B) (default 1). */
  readonly alpha?: number;
  /**
   * Added as beta * bias[biasOffset + i * biasRowStride + j * biasColStride]; strides of
   * 0 broadcast a row, a column or a scalar.
   */
  readonly bias?: FloatArray;
  readonly biasOffset?: number;
  readonly biasRowStride?: number;
  readonly biasColStride?: number;
  readonly beta?: number;
  /** Add into the existing contents of C instead of overwriting them. */
  readonly accumulate?: boolean;
}

// Block sizes: a packed B block (KC x NC doubles) stays in L2, an A strip and a B strip
// (KC x 4 doubles each) stay in L1 while the micro-kernel runs.
const MR = 4;
const NR = 4;
const MC = 64;
const KC = 256;
const NC = 256;

// One scratch array holds both packed panels (A block first, then B block): the
// micro-kernel then reads a single typed array, which leaves V8 one more register.
let panels = new Float64Array(MC * KC + KC * NC);
const tile = new Float64Array(MR * NR);

/** Packs op(A)[ic:ic+mc, pc:pc+kc] as MR-row strips, zero-padding the last strip. */
function packBlockA(
  a: FloatArray, off: number, rs: number, cs: number,
  ic: number, mc: number, pc: number, kc: number, pa: Float64Array,
): void {
  let q = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    const base = off + (ic + ir) * rs + pc * cs;
    if (mr === MR) {
      for (let p = 0; p < kc; p++) {
        const s = base + p * cs;
        pa[q] = a[s]!;
        pa[q + 1] = a[s + rs]!;
        pa[q + 2] = a[s + 2 * rs]!;
        pa[q + 3] = a[s + 3 * rs]!;
        q += MR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const s = base + p * cs;
        let i = 0;
        for (; i < mr; i++) pa[q + i] = a[s + i * rs]!;
        for (; i < MR; i++) pa[q + i] = 0;
        q += MR;
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] as NR-column strips, zero-padding the last strip. */
function packBlockB(
  b: FloatArray, off: number, rs: number, cs: number,
  pc: number, kc: number, jc: number, nc: number, pb: Float64Array, pbOffset: number,
): void {
  let q = pbOffset;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    const base = off + pc * rs + (jc + jr) * cs;
    if (nr === NR) {
      for (let p = 0; p < kc; p++) {
        const s = base + p * rs;
        pb[q] = b[s]!;
        pb[q + 1] = b[s + cs]!;
        pb[q + 2] = b[s + 2 * cs]!;
        pb[q + 3] = b[s + 3 * cs]!;
        q += NR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const s = base + p * rs;
        let j = 0;
        for (; j < nr; j++) pb[q + j] = b[s + j * cs]!;
        for (; j < NR; j++) pb[q + j] = 0;
        q += NR;
      }
    }
  }
}

/** The 4x4 micro-kernel: t = packed A strip (kc x 4)^T @ packed B strip (kc x 4), both in `p`. */
function microKernel4x4(p: Float64Array, ia: number, ib: number, kc: number, t: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let q = 0; q < kc; q++) {
    const b0 = p[ib]!, b1 = p[ib + 1]!, b2 = p[ib + 2]!, b3 = p[ib + 3]!;
    let a = p[ia]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = p[ia + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = p[ia + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = p[ia + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    ia += MR;
    ib += NR;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

/** Writes the starting value of C: zero or beta * bias, added to the old contents when accumulating. */
function initC(c: FloatArray, m: number, n: number, cOff: number, ldc: number, o: MatmulOptions): void {
  const bias = o.bias;
  const accumulate = o.accumulate === true;
  if (bias === undefined) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    return;
  }
  const beta = o.beta ?? 1;
  const bo = o.biasOffset ?? 0;
  const brs = o.biasRowStride ?? n;
  const bcs = o.biasColStride ?? 1;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    const brow = bo + i * brs;
    if (accumulate) {
      for (let j = 0; j < n; j++) c[row + j] += beta * bias[brow + j * bcs]!;
    } else {
      for (let j = 0; j < n; j++) c[row + j] = beta * bias[brow + j * bcs]!;
    }
  }
}

/** c[row, :] += alpha * sum_p a[row, p] * b[p, :] when M or N is tiny (matrix-vector). */
function gemvRows(
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  c: FloatArray, cOff: number, ldc: number,
  m: number, n: number, k: number, alpha: number,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = aOff + i * ars;
    const cRow = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let ai = aRow;
      let bi = bOff + j * bcs;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += a[ai]! * b[bi]!;
        s1 += a[ai + acs]! * b[bi + brs]!;
        s2 += a[ai + 2 * acs]! * b[bi + 2 * brs]!;
        s3 += a[ai + 3 * acs]! * b[bi + 3 * brs]!;
        ai += 4 * acs;
        bi += 4 * brs;
      }
      for (; p < k; p++) {
        s0 += a[ai]! * b[bi]!;
        ai += acs;
        bi += brs;
      }
      c[cRow + j] += alpha * (s0 + s1 + (s2 + s3));
    }
  }
}

/** c[0, :] += alpha * a[0, :] @ B for a single row of A over a row-major B (axpy form). */
function gevmRowMajorB(
  a: FloatArray, aOff: number, acs: number,
  b: FloatArray, bOff: number, brs: number,
  c: FloatArray, cOff: number,
  n: number, k: number, alpha: number,
): void {
  let p = 0;
  // Four rows of B per pass: one load and store of C per four multiply-adds.
  for (; p + 4 <= k; p += 4) {
    const a0 = alpha * a[aOff + p * acs]!;
    const a1 = alpha * a[aOff + (p + 1) * acs]!;
    const a2 = alpha * a[aOff + (p + 2) * acs]!;
    const a3 = alpha * a[aOff + (p + 3) * acs]!;
    const r0 = bOff + p * brs;
    const r1 = r0 + brs;
    const r2 = r1 + brs;
    const r3 = r2 + brs;
    for (let j = 0; j < n; j++) {
      c[cOff + j] += a0 * b[r0 + j]! + a1 * b[r1 + j]! + (a2 * b[r2 + j]! + a3 * b[r3 + j]!);
    }
  }
  for (; p < k; p++) {
    const av = alpha * a[aOff + p * acs]!;
    const bRow = bOff + p * brs;
    for (let j = 0; j < n; j++) c[cOff + j] += av * b[bRow + j]!;
  }
}

function gemmFloat(a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number, o: MatmulOptions): void {
  if (m === 0 || n === 0) return;
  const transA = o.transA === true;
  const transB = o.transB === true;
  const lda = o.lda ?? (transA ? m : k);
  const ldb = o.ldb ?? (transB ? k : n);
  const ldc = o.ldc ?? n;
  const aOff = o.aOffset ?? 0;
  const bOff = o.bOffset ?? 0;
  const cOff = o.cOffset ?? 0;
  const alpha = o.alpha ?? 1;
  // Element (i, p) of op(A) is a[aOff + i * ars + p * acs]; (p, j) of op(B) is b[bOff + p * brs + j * bcs].
  const ars = transA ? 1 : lda;
  const acs = transA ? lda : 1;
  const brs = transB ? 1 : ldb;
  const bcs = transB ? ldb : 1;
  initC(c, m, n, cOff, ldc, o);
  if (k === 0) return;

  // Matrix-vector shapes skip packing: a single row of A against row-major B is a sum of
  // scaled rows of B; a single column of op(B) (or a row of A against B^T) is dot products.
  if (m === 1 && bcs === 1) {
    gevmRowMajorB(a, aOff, acs, b, bOff, brs, c, cOff, n, k, alpha);
    return;
  }
  if (n < NR || m === 1) {
    gemvRows(a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, ldc, m, n, k, alpha);
    return;
  }

  // Split K into equal blocks of at most KC so no block is a short remainder.
  const kcMax = Math.ceil(k / Math.ceil(k / KC));
  const needA = MC * kcMax;
  const needB = Math.ceil(Math.min(NC, n) / NR) * NR * kcMax;
  if (panels.length < needA + needB) panels = new Float64Array(needA + needB);
  const pp = panels;
  const t = tile;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      packBlockB(b, bOff, brs, bcs, pc, kc, jc, nc, pp, needA);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packBlockA(a, aOff, ars, acs, ic, mc, pc, kc, pp);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel4x4(pp, ir * kc, needA + jr * kc, kc, t);
            let ci = cOff + (ic + ir) * ldc + jc + jr;
            if (mr === MR && nr === NR) {
              for (let i = 0; i < MR; i++) {
                const ti = i * NR;
                c[ci] += alpha * t[ti]!;
                c[ci + 1] += alpha * t[ti + 1]!;
                c[ci + 2] += alpha * t[ti + 2]!;
                c[ci + 3] += alpha * t[ti + 3]!;
                ci += ldc;
              }
            } else {
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) c[ci + j] += alpha * t[i * NR + j]!;
                ci += ldc;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Float32 C (m x n) = alpha * op(A) (m x k) @ op(B) (k x n) + beta * bias.
 * C must not overlap A, B or the bias.
 */
export function matmulF32(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, options: MatmulOptions = {},
): void {
  const o = options;
  const bias = o.bias;
  gemmF32(
    a, { offset: o.aOffset ?? 0, ...(o.lda === undefined ? {} : { ld: o.lda }), trans: o.transA === true },
    b, { offset: o.bOffset ?? 0, ...(o.ldb === undefined ? {} : { ld: o.ldb }), trans: o.transB === true },
    c, m, n, k,
    {
      cOffset: o.cOffset ?? 0, ldc: o.ldc ?? n, alpha: o.alpha ?? 1, accumulate: o.accumulate === true,
      ...(bias === undefined ? {} : {
        epilogue: {
          bias: bias as Float32Array, biasOffset: o.biasOffset ?? 0, biasRowStride: o.biasRowStride ?? n,
          biasColStride: o.biasColStride ?? 1, biasScale: o.beta ?? 1,
        },
      }),
    },
  );
}

/** Float64 version of {@link matmulF32}. */
export function matmulF64(
  a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, options: MatmulOptions = {},
): void {
  gemmFloat(a, b, c, m, n, k, options);
}
