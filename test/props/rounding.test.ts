import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { roundHalfEven } from '../../kernels/rounding.js';

describe('roundHalfEven', () => {
  it('picks the nearer of floor and ceil, the even one on a tie', () => {
    const halves = fc.integer({ min: -1e6, max: 1e6 }).map((n) => n + 0.5);
    fc.assert(fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), halves), (x) => {
      const lo = Math.floor(x);
      const hi = Math.ceil(x);
      const want = x - lo < hi - x ? lo : hi - x < x - lo ? hi : (lo % 2 === 0 ? lo : hi);
      expect(roundHalfEven(x) === want || (want === 0 && roundHalfEven(x) === 0)).toBe(true);
    }), { numRuns: 2000 });
    expect(Object.is(roundHalfEven(-0.4), -0)).toBe(true);
    expect(roundHalfEven(Infinity)).toBe(Infinity);
    expect(Number.isNaN(roundHalfEven(NaN))).toBe(true);
  });
});
