import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConvProblem, allActs, convExpected, convProblem as problem, exactActs, mismatch, prod, runConv, smallInt, special, wide,
} from '../helpers/conv-problems.js';

// The float32 conv (packed weights, im2col into GEMM panels, pointwise, depthwise 3x3/5x5/any)
// with its fused epilogue and caller scratch, against the direct sum in kernels/reference/conv.ts.

/** The JS kernel's bound (gemm-f32.ts): one float32 rounding per 256-deep K block, bias and residual, in units of 2^-24. */
function roundings(p: ConvProblem): number {
  const depth = (p.g.inChannels / p.g.group) * prod(p.g.kernel);
  return 2 * (Math.ceil(depth / 256) + 2);
}

const exact = (p: ConvProblem) => {
  const { want } = convExpected(p, 0);
  expect(Array.from(runConv(p), (v) => v + 0)).toEqual(want.map((v) => v + 0));
};
const bounded = (p: ConvProblem) => {
  const { want, tol } = convExpected(p, roundings(p));
  const bad = mismatch(runConv(p), want, tol);
  if (bad !== null) throw new Error(bad);
};

describe('convPackedF32 vs the direct sum', () => {
  it('small integers: exact, 1-D/2-D/3-D, groups, strides, pads, dilations, fused epilogue', () => {
    fc.assert(fc.property(problem(smallInt, exactActs), exact), { numRuns: 150 });
  });

  it('depthwise 3x3 and 5x5, stride 1 and 2, with channel multipliers: exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 13, kernels: [3, 5], strides: [1, 2], depthwise: true }), exact),
      { numRuns: 100 });
  });

  it('depthwise, any kernel (1-D/2-D/3-D): exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { depthwise: true }), exact), { numRuns: 100 });
  });

  it('pointwise (1x1 stride 1) and depths past one 256-deep K block: exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 6, kernels: [1], strides: [1], cg: [20, 70], mg: [1, 11] }), exact),
      { numRuns: 40 });
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 7, kernels: [3], cg: [28, 40], mg: [1, 9] }), exact),
      { numRuns: 30 });
  });

  it('values in ±1e3 and every activation: within the float32 error bound', () => {
    fc.assert(fc.property(problem(wide, allActs), bounded), { numRuns: 100 });
    fc.assert(fc.property(problem(wide, allActs, { rank: 2, maxSize: 12, kernels: [3, 5], strides: [1, 2], depthwise: true }), bounded),
      { numRuns: 60 });
  });

  it('NaN and ±Inf propagate like the direct sum', () => {
    const values = fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt });
    fc.assert(fc.property(problem(values, allActs), bounded), { numRuns: 100 });
    fc.assert(fc.property(problem(values, allActs, { rank: 2, maxSize: 9, kernels: [3, 5], depthwise: true }), bounded),
      { numRuns: 60 });
  });
});
