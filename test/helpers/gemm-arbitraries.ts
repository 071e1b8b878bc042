// fast-check generators both GEMM property suites draw from (test/props/gemm-f32.test.ts for the JS
// kernel, test/helpers/gemm-simd-properties.ts for the WebAssembly one), so they test the same space.

import fc from 'fast-check';
import type { GemmActivation, GemmEpilogue, GemmOperandLayout, GemmOptions } from '../../kernels/gemm-f32.js';
import { activationReference, gemmReference } from '../../kernels/reference/gemm.js';

export const smallInt = fc.integer({ min: -8, max: 8 });
export const wide = fc.double({ min: -1e3, max: 1e3, noNaN: true });
export const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1e3, -1e3);

/** Sizes that are zero, one, smaller than the 4x8 tile or not multiples of it, and depths past one K block. */
export const dims = fc.record({
  m: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 70 })),
  n: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 70 })),
  k: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 70 }), fc.integer({ min: 250, max: 530 })),
});

/** Activations whose result is exact on small integers (no rounding inside the function). */
export const exactActs: fc.Arbitrary<GemmActivation> = fc.constantFrom<GemmActivation>(
  { kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: -3, max: 6 }, { kind: 'clip', min: 0, max: 6 },
  { kind: 'leakyrelu', alpha: 0.5 },
);
export const allActs: fc.Arbitrary<GemmActivation> = fc.oneof(exactActs, fc.constantFrom<GemmActivation>(
  { kind: 'sigmoid' }, { kind: 'hardsigmoid', alpha: 0.2, beta: 0.5 }, { kind: 'hardswish' }, { kind: 'silu' },
  { kind: 'gelu' }, { kind: 'gelu-tanh' }, { kind: 'leakyrelu', alpha: 0.01 },
));

// ---- one GEMM problem, as both suites draw, run and check it ------------------------------------

/** A product C = epilogue(alpha * op(A) @ op(B) [+ C]) with padded, offset operands. */
export interface GemmCase {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  padA: number; padB: number; padC: number; padR: number;
  aOffset: number; bOffset: number; cOffset: number;
  alpha: number; beta: number; accumulate: boolean;
  mode: 'plain' | 'packedA' | 'packedB';
  bias: 'none' | 'row' | 'col' | 'full';
  residual: boolean;
  act: GemmActivation;
  a: number[]; b: number[]; c0: number[]; biasData: number[]; res: number[];
}

/** Random cases over `dims`, with `extra` fields of a suite's own (e.g. which engine runs it). */
export function gemmCaseArb<X extends Record<string, unknown>>(
  values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>, alphas: fc.Arbitrary<number>,
  extra: { [K in keyof X]: fc.Arbitrary<X[K]> },
): fc.Arbitrary<GemmCase & X> {
  return dims.chain(({ m, n, k }) => fc.tuple(fc.record({
    m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
    transA: fc.boolean(), transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 2 }), padB: fc.integer({ min: 0, max: 2 }),
    padC: fc.integer({ min: 0, max: 2 }), padR: fc.integer({ min: 0, max: 2 }),
    aOffset: fc.integer({ min: 0, max: 3 }), bOffset: fc.integer({ min: 0, max: 3 }), cOffset: fc.integer({ min: 0, max: 3 }),
    alpha: alphas,
    beta: fc.constantFrom(1, 0.25),
    accumulate: fc.boolean(),
    mode: fc.constantFrom('plain', 'packedA', 'packedB') as fc.Arbitrary<GemmCase['mode']>,
    bias: fc.constantFrom('none', 'row', 'col', 'full') as fc.Arbitrary<GemmCase['bias']>,
    residual: fc.boolean(),
    act: acts,
  }), fc.record(extra) as fc.Arbitrary<X>).map(([s, x]) => ({ ...s, ...x }))).chain((s) => {
    const aLen = s.aOffset + (s.transA ? s.k * (s.m + s.padA) : s.m * (s.k + s.padA));
    const bLen = s.bOffset + (s.transB ? s.n * (s.k + s.padB) : s.k * (s.n + s.padB));
    const cLen = s.cOffset + s.m * (s.n + s.padC);
    const arr = (v: fc.Arbitrary<number>, len: number) => fc.array(v, { minLength: len, maxLength: len });
    return fc.record({
      a: arr(values, aLen), b: arr(values, bLen), c0: arr(smallInt, cLen),
      biasData: arr(smallInt, s.m * s.n + 1), res: arr(smallInt, s.m * (s.n + s.padR)),
    }).map((d) => ({ ...s, ...d }));
  });
}

/** The case's epilogue as the kernels take it. */
export function gemmCaseEpilogue(t: GemmCase): GemmEpilogue {
  const strides = { row: [1, 0], col: [0, 1], full: [t.n, 1], none: [0, 0] }[t.bias];
  return {
    ...(t.bias === 'none' ? {} : {
      bias: Float32Array.from(t.biasData), biasOffset: 1, biasRowStride: strides[0], biasColStride: strides[1], biasScale: t.beta,
    }),
    ...(t.residual ? { residual: Float32Array.from(t.res), ldr: t.n + t.padR } : {}),
    activation: t.act,
  };
}

/** The case's operands as float32 arrays, their layouts and the GEMM options, for a kernel to run. */
export function gemmCaseOperands(t: GemmCase): {
  a: Float32Array; b: Float32Array; c: Float32Array; aL: GemmOperandLayout; bL: GemmOperandLayout; o: GemmOptions;
} {
  return {
    a: Float32Array.from(t.a), b: Float32Array.from(t.b), c: Float32Array.from(t.c0),
    aL: { offset: t.aOffset, ld: (t.transA ? t.m : t.k) + t.padA, trans: t.transA },
    bL: { offset: t.bOffset, ld: (t.transB ? t.k : t.n) + t.padB, trans: t.transB },
    o: { cOffset: t.cOffset, ldc: t.n + t.padC, alpha: t.alpha, accumulate: t.accumulate, epilogue: gemmCaseEpilogue(t) },
  };
}

/**
 * The float64 reference result (whole C, padding included) and, per element, the tolerance a
 * suite's error bound gives: `bound(mag, want)` with `mag` the absolute sum of every term that
 * reached the element (products, accumulated C, bias, residual) and `want` its reference value.
 */
export function gemmCaseReference(t0: GemmCase, bound: (mag: number, want: number) => number): { want: number[]; tol: number[] } {
  // The kernel sees float32 inputs: so does the reference.
  const f32 = (v: number[]) => Array.from(Float32Array.from(v));
  const t = { ...t0, a: f32(t0.a), b: f32(t0.b) };
  const lda = (t.transA ? t.m : t.k) + t.padA;
  const ldb = (t.transB ? t.k : t.n) + t.padB;
  const A = { data: t.a, offset: t.aOffset, rs: t.transA ? 1 : lda, cs: t.transA ? lda : 1 };
  const B = { data: t.b, offset: t.bOffset, rs: t.transB ? 1 : ldb, cs: t.transB ? ldb : 1 };
  const { out, absSum } = gemmReference(A, B, t.m, t.n, t.k, t.alpha);
  const ep = gemmCaseEpilogue(t);
  const want = [...t.c0];
  const tol = new Array<number>(want.length).fill(0);
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      const idx = t.cOffset + i * (t.n + t.padC) + j;
      let v = out[i * t.n + j]!;
      let mag = absSum[i * t.n + j]!;
      if (t.accumulate) { v += t.c0[idx]!; mag += Math.abs(t.c0[idx]!); }
      if (ep.bias) {
        const bv = t.beta * ep.bias[1 + i * ep.biasRowStride! + j * ep.biasColStride!]!;
        v += bv;
        mag += Math.abs(bv);
      }
      if (t.residual) { const r = t.res[i * (t.n + t.padR) + j]!; v += r; mag += Math.abs(r); }
      want[idx] = activationReference(t.act, v);
      tol[idx] = bound(mag, want[idx]!);
    }
  }
  return { want, tol };
}

/** Throws naming the first element outside its tolerance (NaN must be NaN, infinities exact). */
export function checkWithin(got: Float32Array, want: readonly number[], tol: readonly number[]): void {
  if (got.length !== want.length) throw new Error(`C has ${got.length} elements, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol[i]!;
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (tolerance ${tol[i]})`);
  }
}
