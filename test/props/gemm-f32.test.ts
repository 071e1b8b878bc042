import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type GemmActivation, type GemmEpilogue, gemmF32, gemmPackedAF32, gemmPackedBF32, packGemmA, packGemmB,
} from '../../kernels/gemm-f32.js';
import { activationReference, gemmReference } from '../../kernels/reference/gemm.js';
import { allActs, dims, exactActs, smallInt, special, wide } from '../helpers/gemm-arbitraries.js';

// The float32 GEMM (plain, A prepacked, B prepacked) with its fused epilogue, against the
// naive float64 triple loop in kernels/reference/gemm.ts.

interface Case {
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

function caseArb(values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>): fc.Arbitrary<Case> {
  return dims.chain(({ m, n, k }) => fc.record({
    m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
    transA: fc.boolean(), transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 2 }), padB: fc.integer({ min: 0, max: 2 }),
    padC: fc.integer({ min: 0, max: 2 }), padR: fc.integer({ min: 0, max: 2 }),
    aOffset: fc.integer({ min: 0, max: 3 }), bOffset: fc.integer({ min: 0, max: 3 }), cOffset: fc.integer({ min: 0, max: 3 }),
    alpha: fc.constantFrom(1, 0.5, -2),
    beta: fc.constantFrom(1, 0.25),
    accumulate: fc.boolean(),
    mode: fc.constantFrom('plain', 'packedA', 'packedB') as fc.Arbitrary<Case['mode']>,
    bias: fc.constantFrom('none', 'row', 'col', 'full') as fc.Arbitrary<Case['bias']>,
    residual: fc.boolean(),
    act: acts,
  }).chain((s) => {
    const aLen = s.aOffset + (s.transA ? k * (m + s.padA) : m * (k + s.padA));
    const bLen = s.bOffset + (s.transB ? n * (k + s.padB) : k * (n + s.padB));
    const cLen = s.cOffset + m * (n + s.padC);
    const arr = (v: fc.Arbitrary<number>, len: number) => fc.array(v, { minLength: len, maxLength: len });
    return fc.record({
      a: arr(values, aLen), b: arr(values, bLen), c0: arr(smallInt, cLen),
      biasData: arr(smallInt, m * n + 1), res: arr(smallInt, m * (n + s.padR)),
    }).map((d) => ({ ...s, ...d }));
  }));
}

function epilogueOf(t: Case): GemmEpilogue {
  const strides = { row: [1, 0], col: [0, 1], full: [t.n, 1], none: [0, 0] }[t.bias];
  return {
    ...(t.bias === 'none' ? {} : {
      bias: Float32Array.from(t.biasData), biasOffset: 1, biasRowStride: strides[0], biasColStride: strides[1], biasScale: t.beta,
    }),
    ...(t.residual ? { residual: Float32Array.from(t.res), ldr: t.n + t.padR } : {}),
    activation: t.act,
  };
}

/** Runs the fast kernel; returns all of C (padding included). */
function runFast(t: Case): Float32Array {
  const a = Float32Array.from(t.a);
  const b = Float32Array.from(t.b);
  const c = Float32Array.from(t.c0);
  const aL = { offset: t.aOffset, ld: (t.transA ? t.m : t.k) + t.padA, trans: t.transA };
  const bL = { offset: t.bOffset, ld: (t.transB ? t.k : t.n) + t.padB, trans: t.transB };
  const o = { cOffset: t.cOffset, ldc: t.n + t.padC, alpha: t.alpha, accumulate: t.accumulate, epilogue: epilogueOf(t) };
  if (t.mode === 'plain') gemmF32(a, aL, b, bL, c, t.m, t.n, t.k, o);
  else if (t.mode === 'packedA') gemmPackedAF32(packGemmA(a, t.m, t.k, aL), b, bL, c, t.n, o);
  else gemmPackedBF32(a, aL, packGemmB(b, t.k, t.n, bL), c, t.m, o);
  return c;
}

/** The reference result (whole C) and, per element, the bound on float32 rounding error. */
function runReference(t0: Case): { want: number[]; tol: number[] } {
  // The kernel sees float32 inputs: so does the reference.
  const f32 = (v: number[]) => Array.from(Float32Array.from(v));
  const t = { ...t0, a: f32(t0.a), b: f32(t0.b) };
  const lda = (t.transA ? t.m : t.k) + t.padA;
  const ldb = (t.transB ? t.k : t.n) + t.padB;
  const A = { data: t.a, offset: t.aOffset, rs: t.transA ? 1 : lda, cs: t.transA ? lda : 1 };
  const B = { data: t.b, offset: t.bOffset, rs: t.transB ? 1 : ldb, cs: t.transB ? ldb : 1 };
  const { out, absSum } = gemmReference(A, B, t.m, t.n, t.k, t.alpha);
  const ep = epilogueOf(t);
  const want = [...t.c0];
  const tol = new Array<number>(want.length).fill(0);
  const blocks = Math.ceil(t.k / 256);
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
      // One float32 rounding per K block, one for the accumulate/bias/residual pass, and the
      // activation's own rounding (Lipschitz constant <= 1.2 for every activation here).
      tol[idx] = 1.2 * 2 ** -23 * (blocks + 2) * mag + 2 ** -22 * Math.abs(want[idx]!) + 2 ** -126;
    }
  }
  return { want, tol };
}

function check(got: Float32Array, want: readonly number[], tol: readonly number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol[i]!;
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (tolerance ${tol[i]})`);
  }
}

describe('gemmF32 / gemmPackedAF32 / gemmPackedBF32 vs the naive triple loop', () => {
  it('small integers: exact, with bias, residual, accumulate and piecewise-linear activations', () => {
    fc.assert(fc.property(caseArb(smallInt, exactActs), (t) => {
      const { want } = runReference(t);
      expect(Array.from(runFast(t), (v) => v + 0)).toEqual(want.map((v) => v + 0));
    }), { numRuns: 120 });
  });

  it('values in ±1e3 with every activation: within the documented float32 error bound', () => {
    fc.assert(fc.property(caseArb(wide, allActs), (t) => {
      const { want, tol } = runReference(t);
      check(runFast(t), want, tol);
    }), { numRuns: 80 });
  });

  it('NaN and ±Inf propagate like the reference', () => {
    const values = fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt });
    fc.assert(fc.property(caseArb(values, allActs), (t) => {
      const { want, tol } = runReference(t);
      check(runFast(t), want, tol);
    }), { numRuns: 80 });
  });

  it('a packed operand is reusable: two products with the same packed A and B', () => {
    const a = Float32Array.from({ length: 37 * 300 }, (_, i) => ((i * 7) % 11) - 5);
    const b1 = Float32Array.from({ length: 300 * 19 }, (_, i) => ((i * 5) % 9) - 4);
    const b2 = b1.map((v) => -2 * v);
    const pa = packGemmA(a, 37, 300);
    const c1 = new Float32Array(37 * 19);
    const c2 = new Float32Array(37 * 19);
    gemmPackedAF32(pa, b1, {}, c1, 19);
    gemmPackedAF32(pa, b2, {}, c2, 19);
    const ref = gemmReference({ data: a, offset: 0, rs: 300, cs: 1 }, { data: b1, offset: 0, rs: 19, cs: 1 }, 37, 19, 300);
    expect(Array.from(c1)).toEqual(Array.from(ref.out));
    expect(Array.from(c2)).toEqual(Array.from(ref.out, (v) => -2 * v));
  });

  it('zero-sized products leave C alone; k = 0 gives the epilogue of zero', () => {
    const c = new Float32Array([5, 5, 5, 5]);
    gemmF32(new Float32Array(0), {}, new Float32Array(0), {}, c, 0, 2, 3);
    gemmF32(new Float32Array(0), {}, new Float32Array(0), {}, c, 2, 0, 3);
    expect(Array.from(c)).toEqual([5, 5, 5, 5]);
    gemmF32(new Float32Array(0), {}, new Float32Array(0), {}, c, 2, 2, 0, {
      epilogue: { bias: new Float32Array([-1, 2]), biasRowStride: 1, biasColStride: 0, activation: { kind: 'relu' } },
    });
    expect(Array.from(c)).toEqual([0, 0, 2, 2]);
  });
});
