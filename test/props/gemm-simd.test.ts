import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemmF32 } from '../../kernels/gemm-f32.js';
import { gemmReference } from '../../kernels/reference/gemm.js';
import { gemmSimdF32, simdAvailable } from '../../kernels/wasm/engine.js';
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

  it('sums in float32 in K order, and the stated bound is of the right size: 1 + 255 quarter-ulps stays 1', () => {
    // Row 0 of A is [1, 2^-25 x 255]: each added 2^-25 is a quarter of float32's ulp at 1 and
    // rounds away, so the kernel returns exactly 1 where the exact sum is 1 + 255 * 2^-25:
    // an error of 127.5 u, half the stated (kc + blocks + 2) u s = 259 u s.
    const k = 256, m = 2, n = 8;
    const a = new Float32Array(m * k).fill(2 ** -25);
    a[0] = 1;
    a[k] = 1;
    const b = new Float32Array(k * n).fill(1);
    const c = new Float32Array(m * n);
    gemmSimdF32(a, {}, b, {}, c, m, n, k);
    const exact = 1 + 255 * 2 ** -25;
    const bound = (k + 1 + 2) * 2 ** -24 * exact;
    for (const v of c) {
      expect(v).toBe(1);
      expect(exact - v).toBeLessThanOrEqual(bound);
      expect(exact - v).toBeGreaterThan(bound / 4);
    }
    // The last element first: the small terms add up before meeting the 1.
    a.reverse();
    gemmSimdF32(a, {}, b, {}, c, m, n, k);
    for (const v of c) expect(v).toBe(Math.fround(exact));
  });

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
