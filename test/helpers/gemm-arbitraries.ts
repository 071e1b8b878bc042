// fast-check generators both GEMM property suites draw from (test/props/gemm-f32.test.ts for the JS
// kernel, test/helpers/gemm-simd-properties.ts for the WebAssembly one), so they test the same space.

import fc from 'fast-check';
import type { GemmActivation } from '../../kernels/gemm-f32.js';

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
