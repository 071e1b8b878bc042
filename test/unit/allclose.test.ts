// The shared comparison must not be fooled: with want = ±Inf the formula |got - want| <= atol +
// rtol*|want| is true for any finite got (and for the opposite infinity), so infinities are
// compared by position and sign, as numpy.testing.assert_allclose does.

import { describe, expect, it } from 'vitest';
import { compareArrays, compareTensors, isClose } from '../helpers/allclose.js';
import { Tensor } from '../../src/tensor.js';

const tol = { rtol: 1e-3, atol: 1e-7 };

describe('isClose follows numpy.testing.assert_allclose', () => {
  it('rejects a finite value, or the opposite infinity, where an infinity is expected', () => {
    for (const want of [Infinity, -Infinity]) {
      for (const got of [0, 1, -1, 1e308, -1e308, -want]) expect(isClose(got, want, tol), `${got} vs ${want}`).toBe(false);
      expect(isClose(want, want, tol)).toBe(true);
    }
    expect(isClose(Infinity, 1e308, tol)).toBe(false);
  });
  it('NaN equals only NaN, and not even NaN when equalNan is false', () => {
    expect(isClose(NaN, NaN, tol)).toBe(true);
    expect(isClose(NaN, 0, tol)).toBe(false);
    expect(isClose(0, NaN, tol)).toBe(false);
    expect(isClose(Infinity, NaN, tol)).toBe(false);
    expect(isClose(NaN, NaN, { ...tol, equalNan: false })).toBe(false);
  });
  it('uses atol + rtol * |want| for finite values', () => {
    expect(isClose(1.0009, 1, tol)).toBe(true);
    expect(isClose(1.0011, 1, tol)).toBe(false);
    expect(isClose(1e-8, 0, tol)).toBe(true);
    expect(isClose(1e-6, 0, tol)).toBe(false);
  });
});

describe('compareArrays and compareTensors', () => {
  it('report the count and the first difference, and reject a ReduceMax that returns 0 for -Inf', () => {
    expect(compareArrays([1, 2, 3], [1, 2, 3], tol)).toBe('');
    expect(compareArrays(Float32Array.of(0, 5), Float32Array.of(-Infinity, 5), tol)).toBe('1/2 values differ; first [0] = 0, expected -Infinity');
    expect(compareArrays([1, 2], [1, 2, 3], tol)).toMatch(/length 2, expected 3/);
  });
  it('compare integers exactly, bigint or not', () => {
    expect(compareArrays(BigInt64Array.of(1n, 2n), BigInt64Array.of(1n, 3n), tol)).toMatch(/\[1\] = 2, expected 3/);
    expect(compareArrays([5], [5n], tol)).toBe('');
    expect(compareArrays([5.5], [5n], tol)).not.toBe('');
  });
  it('check dtype and shape before values', () => {
    const f = new Tensor('float32', [1, 2], [2]);
    expect(compareTensors(f, new Tensor('float64', [1, 2], [2]), tol)).toBe('dtype float32, expected float64');
    expect(compareTensors(f, new Tensor('float32', [1, 2], [1, 2]), tol)).toBe('shape [2], expected [1, 2]');
    expect(compareTensors(f, new Tensor('float32', [1, 2], [2]), tol)).toBe('');
  });
  it('decode float16 from its bits, so +Inf (0x7c00) and 65504 (0x7bff) differ', () => {
    const inf = new Tensor('float16', Uint16Array.of(0x7c00), [1]);
    const max = new Tensor('float16', Uint16Array.of(0x7bff), [1]);
    expect(compareTensors(max, inf, tol)).toMatch(/expected Infinity/);
    expect(compareTensors(inf, inf, tol)).toBe('');
  });
  it('compare strings exactly', () => {
    expect(compareTensors(new Tensor('string', ['a'], [1]), new Tensor('string', ['b'], [1]))).toBe('[0] = "a", expected "b"');
  });
});
