import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GemmActivation, gemmF32, gemmPackedAF32, gemmPackedBF32, packGemmA, packGemmB } from '../../kernels/gemm-f32.js';
import { gemmReference } from '../../kernels/reference/gemm.js';
import {
  allActs, checkWithin, exactActs, type GemmCase, gemmCaseArb, gemmCaseOperands, gemmCaseReference, smallInt, special, wide,
} from '../helpers/gemm-arbitraries.js';

// The float32 GEMM (plain, A prepacked, B prepacked) with its fused epilogue, against the
// naive float64 triple loop in kernels/reference/gemm.ts.

/** Runs the fast kernel; returns all of C (padding included). */
function runFast(t: GemmCase): Float32Array {
  const { a, b, c, aL, bL, o } = gemmCaseOperands(t);
  if (t.mode === 'plain') gemmF32(a, aL, b, bL, c, t.m, t.n, t.k, o);
  else if (t.mode === 'packedA') gemmPackedAF32(packGemmA(a, t.m, t.k, aL), b, bL, c, t.n, o);
  else gemmPackedBF32(a, aL, packGemmB(b, t.k, t.n, bL), c, t.m, o);
  return c;
}

/**
 * The reference and its tolerance: one float32 rounding per K block of 256, one for the
 * accumulate/bias/residual pass, and the activation's own rounding (Lipschitz constant <= 1.2 for
 * every activation here).
 */
function runReference(t: GemmCase): { want: number[]; tol: number[] } {
  const blocks = Math.ceil(t.k / 256);
  return gemmCaseReference(t, (mag, want) => 1.2 * 2 ** -23 * (blocks + 2) * mag + 2 ** -22 * Math.abs(want) + 2 ** -126);
}

const caseArb = (values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>) =>
  gemmCaseArb(values, acts, fc.constantFrom(1, 0.5, -2), {});
const check = checkWithin;

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
