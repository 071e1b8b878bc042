import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldBatchNormF32 } from '../../kernels/batchnorm-fold.js';
import { batchNormFloat } from '../../kernels/normalization.js';

// BatchNormalization folded into a conv weight and bias (kernels/batchnorm-fold.ts), against
// what it replaces: a dot product per output channel (the conv of one window), then
// batchNormFloat. Each folded weight is W * s rounded once; applied to any input x, the folded
// channel gives the unfused result within a few float32 roundings of |s| sum |W x| + |s (B - mean)| + |bias|.

const f32 = (v: number): number => Math.fround(v);
const value = fc.double({ min: -4, max: 4, noNaN: true }).map(f32);
const positive = fc.double({ min: 1e-3, max: 9, noNaN: true }).map(f32);

describe('foldBatchNormF32', () => {
  it('folded weights and bias give what conv + BatchNormalization gives', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), fc.constantFrom(1e-5, 1e-3, 0.1),
      fc.infiniteStream(value), fc.infiniteStream(positive),
      (m, rest, hasBias, eps, vals, pos) => {
        const take = (n: number, s: fc.Stream<number>) => Float32Array.from(s.take(n));
        const w = take(m * rest, vals), x = take(rest, vals);
        const b = hasBias ? take(m, vals) : null;
        const scale = take(m, vals), bias = take(m, vals), mean = take(m, vals), variance = take(m, pos);
        const wOut = new Float32Array(m * rest);
        const bOut = new Float32Array(m);
        foldBatchNormF32(w, b, scale, bias, mean, variance, eps, wOut, bOut);
        // Unfused: y[c] = fl(sum_i W x + B), then BN (in float64, rounded once).
        const y = new Float32Array(m);
        const magnitude = new Float64Array(m);
        for (let c = 0; c < m; c++) {
          let acc = b ? b[c]! : 0;
          for (let i = 0; i < rest; i++) acc += w[c * rest + i]! * x[i]!;
          y[c] = acc;
          const s = Math.abs(scale[c]! / Math.sqrt(variance[c]! + eps));
          let sum = 0;
          for (let i = 0; i < rest; i++) sum += Math.abs(w[c * rest + i]! * x[i]!);
          magnitude[c] = s * sum + s * Math.abs((b ? b[c]! : 0) - mean[c]!) + Math.abs(bias[c]!);
          expect(wOut.slice(c * rest, (c + 1) * rest)).toEqual(
            Float32Array.from(w.slice(c * rest, (c + 1) * rest), (v) => v * (scale[c]! / Math.sqrt(variance[c]! + eps))));
        }
        const want = new Float32Array(m);
        batchNormFloat(y, want, scale, bias, mean, variance, eps, 1, m, 1);
        for (let c = 0; c < m; c++) {
          let got = bOut[c]!;
          for (let i = 0; i < rest; i++) got += wOut[c * rest + i]! * x[i]!;
          expect(Math.abs(f32(got) - want[c]!)).toBeLessThanOrEqual(4 * 2 ** -24 * magnitude[c]! + 1e-30);
        }
      },
    ));
  });
});
