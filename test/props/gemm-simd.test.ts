import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemmF32 } from '../../kernels/gemm-f32.js';
import { gemmReference } from '../../kernels/reference/gemm.js';
import { gemmSimdF32, simdAvailable } from '../../kernels/wasm/gemm-simd.js';
import { gemmSimdProperties } from '../helpers/gemm-simd-properties.js';

// The WebAssembly SIMD GEMM against the naive float64 triple loop. The same properties run in
// Deno and Bun from test/portability/gemm-simd-runtimes.test.ts.

describe('gemmSimdF32 vs the naive triple loop', () => {
  it('is available in Node (WebAssembly SIMD128 and run-time compilation)', () => {
    expect(simdAvailable()).toBe(true);
  });

  for (const p of gemmSimdProperties()) {
    it(p.name, () => {
      fc.assert(p.property, { numRuns: p.numRuns });
    });
  }

  it('grows its memory for large products and keeps working for small ones after', () => {
    const val = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7919 + seed) % 17) - 8) / 4);
    for (const [m, k, n] of [[5, 7, 9], [300, 700, 650], [6, 3, 5]] as const) {
      const a = val(m * k, 1), b = val(k * n, 2);
      const got = new Float32Array(m * n);
      gemmSimdF32(a, {}, b, {}, got, m, n, k);
      // Quarters times quarters summed over k <= 700: exact in float32 and float64 alike.
      const ref = gemmReference({ data: a, offset: 0, rs: k, cs: 1 }, { data: b, offset: 0, rs: n, cs: 1 }, m, n, k);
      expect(Array.from(got)).toEqual(Array.from(ref.out));
      const js = new Float32Array(m * n);
      gemmF32(a, {}, b, {}, js, m, n, k);
      expect(Array.from(got)).toEqual(Array.from(js));
    }
  });
});
