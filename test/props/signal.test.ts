// DFT / STFT / windows / MelWeightMatrix against plain references written here: the O(n^2)
// direct DFT sum, numpy's irfft definition via the Hermitian extension, window formulas written
// in their textbook form, and the mel filter bank's triangle construction.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFftPlan, createRealFftPlan, fftInPlace, rfft } from '../../kernels/fft.js';
import { signalOps } from '../../ops/onnx/signal.js';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { compareArrays } from '../helpers/allclose.js';

// ------------------------------------------------------------------ helpers

function attrs(map: Record<string, number>): Attrs {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(map)) m.set(k, { type: 'int', value: v });
  return new Attrs(m);
}

function runOp(name: string, inputs: (Tensor | undefined)[], a: Record<string, number> = {}, since?: number): Tensor {
  const defs = signalOps.filter((d) => d.name === name && (since === undefined || d.since === since));
  const def: OpDef = defs.sort((x, y) => y.since - x.since)[0]!;
  const node = { name: '', domain: '', opType: name, inputs: [], outputs: ['y'], attributes: new Map() } as unknown as Node;
  const ctx: OpContext = { node, opset: 20, runSubgraph: () => { throw new Error('no subgraph'); } };
  const parsed = def.parse ? def.parse(attrs(a), node) : undefined;
  return def.run(inputs, parsed, ctx)[0] as Tensor;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(compareArrays(got, want, { rtol: tol, atol: tol })).toBe('');
}

/** Direct O(n^2) DFT of one complex line (sign -1 forward, +1 inverse with 1/n). */
function directDft(re: number[], im: number[], inverse: boolean): [number[], number[]] {
  const n = re.length;
  const sign = inverse ? 1 : -1;
  const outRe: number[] = [];
  const outIm: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const ang = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      sr += re[j]! * Math.cos(ang) - im[j]! * Math.sin(ang);
      si += re[j]! * Math.sin(ang) + im[j]! * Math.cos(ang);
    }
    outRe.push(inverse ? sr / n : sr);
    outIm.push(inverse ? si / n : si);
  }
  return [outRe, outIm];
}

const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e3, -1e3, 0) },
);

// ------------------------------------------------------------------ FFT kernel

describe('fftInPlace', () => {
  it('matches the direct DFT for every length 1..40 and some large ones, forward and inverse', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(97, 128, 243, 500, 1009)),
        fc.boolean(), fc.integer({ min: 0, max: 1e6 }),
        (n, inverse, seed) => {
          let s = seed;
          const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 20 - 10;
          const re = Array.from({ length: n }, rnd);
          const im = Array.from({ length: n }, rnd);
          const [wr, wi] = directDft(re, im, inverse);
          const fr = Float64Array.from(re);
          const fi = Float64Array.from(im);
          fftInPlace(createFftPlan(n), fr, fi, inverse);
          expectClose(fr, wr, 1e-9 * n);
          expectClose(fi, wi, 1e-9 * n);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rfft gives bins 0..n/2 of the direct DFT of a real sequence, even and odd n', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(98, 256, 243, 1000, 1009)), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2e3 - 1e3;
        const x = Array.from({ length: n }, rnd);
        const [wr, wi] = directDft(x, new Array<number>(n).fill(0), false);
        const half = Math.floor(n / 2) + 1;
        const re = new Float64Array(half);
        const im = new Float64Array(half);
        rfft(createRealFftPlan(n), Float64Array.from(x), re, im);
        expectClose(re, wr.slice(0, half), 1e-9 * n);
        expectClose(im, wi.slice(0, half), 1e-9 * n);
      }),
      { numRuns: 60 },
    );
  });

  it('propagates NaN and Inf instead of hiding them', () => {
    const re = Float64Array.from([1, NaN, 3, 4, 5]);
    const im = new Float64Array(5);
    fftInPlace(createFftPlan(5), re, im, false);
    expect([...re].every(Number.isNaN)).toBe(true);
  });
});

// ------------------------------------------------------------------ DFT op

describe('DFT', () => {
  it('matches the direct sum along any axis, with dft_length, onesided and inverse (opset 20)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 9 }), fc.boolean(), fc.constantFrom(1, 2),
        fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }), fc.boolean(), fc.boolean(),
        fc.array(value, { minLength: 300, maxLength: 300 }),
        (signalDims, axisPick, negative, c, dftLen, inverse, onesidedPick, pool) => {
          const onesided = onesidedPick && !inverse;
          const dims = [...signalDims, c];
          const rank = dims.length;
          const axis = axisPick % (rank - 1);
          const n = dims.reduce((a, b) => a * b, 1);
          const data = Float64Array.from({ length: n }, (_, i) => pool[i % 300]!);
          const x = new Tensor('float64', data, dims);
          const axisT = new Tensor('int64', [BigInt(negative ? axis - rank : axis)], []);
          const lenT = dftLen === undefined ? undefined : new Tensor('int64', [BigInt(dftLen)], []);
          const y = runOp('DFT', [x, lenT, axisT], { inverse: inverse ? 1 : 0, onesided: onesided ? 1 : 0 });
          const L = dftLen ?? dims[axis]!;
          const outLen = onesided ? Math.floor(L / 2) + 1 : L;
          const outDims = dims.map((d, i) => (i === axis ? outLen : i === rank - 1 ? 2 : d));
          expect(y.dims).toEqual(outDims);
          // reference: walk every line along `axis`
          const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
          const ostrides = outDims.map((_, i) => outDims.slice(i + 1).reduce((a, b) => a * b, 1));
          const want = new Float64Array(y.size);
          const lineDims = dims.slice(0, rank - 1).map((d, i) => (i === axis ? 1 : d));
          const lines = lineDims.reduce((a, b) => a * b, 1);
          for (let l = 0; l < lines; l++) {
            const idx: number[] = [];
            let r = l;
            for (let d = lineDims.length - 1; d >= 0; d--) { idx[d] = r % lineDims[d]!; r = Math.floor(r / lineDims[d]!); }
            const re: number[] = [];
            const im: number[] = [];
            for (let k = 0; k < L; k++) {
              if (k < dims[axis]!) {
                let off = 0;
                idx.forEach((v, d) => { off += (d === axis ? k : v) * strides[d]!; });
                re.push(data[off]!);
                im.push(c === 2 ? data[off + 1]! : 0);
              } else { re.push(0); im.push(0); }
            }
            const [fr, fi] = directDft(re, im, inverse);
            for (let k = 0; k < outLen; k++) {
              let off = 0;
              idx.forEach((v, d) => { off += (d === axis ? k : v) * ostrides[d]!; });
              want[off] = fr[k]!;
              want[off + 1] = fi[k]!;
            }
          }
          expectClose(y.data as Float64Array, want, 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('inverse + onesided is numpy irfft: the real signal of a Hermitian half spectrum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.array(value, { minLength: 24, maxLength: 24 }), (L, pool) => {
        const half = Math.floor(L / 2) + 1;
        const spec = Float64Array.from({ length: half * 2 }, (_, i) => pool[i]!);
        const y = runOp('DFT', [new Tensor('float64', spec, [1, half, 2]), new Tensor('int64', [BigInt(L)], []), undefined],
          { inverse: 1, onesided: 1 });
        expect(y.dims).toEqual([1, L, 1]);
        // Hermitian extension (imag of bin 0 and of bin L/2 for even L dropped), then direct inverse sum
        const re: number[] = [];
        const im: number[] = [];
        for (let k = 0; k < L; k++) {
          const src = k < half ? k : L - k;
          const conj = k < half ? 1 : -1;
          re.push(spec[src * 2]!);
          const dropImag = src === 0 || 2 * src === L;
          im.push(dropImag ? 0 : conj * spec[src * 2 + 1]!);
        }
        expectClose(y.data as Float64Array, directDft(re, im, true)[0], 1e-9);
      }),
      { numRuns: 100 },
    );
  });

  it('opset 17 takes axis as an attribute and float32 rounds the float64 result', () => {
    const x = new Tensor('float32', [1, 2, 3, 4, 5], [1, 5, 1]);
    const y = runOp('DFT', [x, undefined], { axis: 1 }, 17);
    expect(y.type).toBe('float32');
    const [wr, wi] = directDft([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], false);
    expectClose(y.data as Float32Array, wr.flatMap((r, k) => [Math.fround(r), Math.fround(wi[k]!)]), 1e-6);
  });

  it('keeps lines independent: NaN / Inf in one line leave the others finite', () => {
    const x = new Tensor('float64', [1, NaN, 3, 4, 2, 2, 2, 2, Infinity, 0, 0, 0], [3, 4, 1]);
    const y = runOp('DFT', [x, undefined, new Tensor('int64', [1n], [])]).toNumbers();
    expect(y.slice(0, 8).every(Number.isNaN)).toBe(true);
    expectClose(y.slice(8, 16), [8, 0, 0, 0, 0, 0, 0, 0], 1e-12);
    expect(Number.isFinite(y[16])).toBe(false);
  });

  it('rejects the complex dimension as axis', () => {
    const x = new Tensor('float32', new Float32Array(4), [2, 2]);
    expect(() => runOp('DFT', [x, undefined, new Tensor('int64', [-1n], [])])).toThrow(/axis -1 out of range/);
  });
});

// ------------------------------------------------------------------ STFT

describe('STFT', () => {
  it('each frame equals the direct DFT of the windowed slice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }), fc.integer({ min: 4, max: 24 }), fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.boolean(), fc.constantFrom(1, 2),
        fc.array(value, { minLength: 100, maxLength: 100 }),
        (batch, length, step, flPick, withWindow, onesided, c, pool) => {
          const fl = Math.min(flPick, length);
          const data = Float64Array.from({ length: batch * length * c }, (_, i) => pool[i % 100]!);
          const win = withWindow ? Float64Array.from({ length: fl }, (_, i) => pool[(i * 3 + 1) % 100]!) : undefined;
          const y = runOp('STFT', [
            new Tensor('float64', data, [batch, length, c]), new Tensor('int64', [BigInt(step)], []),
            win && new Tensor('float64', win, [fl]), new Tensor('int64', [BigInt(fl)], []),
          ], { onesided: onesided ? 1 : 0 });
          const frames = Math.floor((length - fl) / step) + 1;
          const bins = onesided ? Math.floor(fl / 2) + 1 : fl;
          expect(y.dims).toEqual([batch, frames, bins, 2]);
          const want: number[] = [];
          // Both sides round each term of a sum of fl: absolute error up to a few ulps of the
          // largest sum of |terms| (values and window up to 1e3 make terms of 1e6), so the
          // tolerance scales with it rather than a fixed 1e-9 (which a near-zero bin of such
          // terms can miss by rounding alone).
          let scale = 0;
          for (let b = 0; b < batch; b++) {
            for (let f = 0; f < frames; f++) {
              const re: number[] = [];
              const im: number[] = [];
              let sum = 0;
              for (let k = 0; k < fl; k++) {
                const w = win ? win[k]! : 1;
                const at = (b * length + f * step + k) * c;
                re.push(data[at]! * w);
                im.push(c === 2 ? data[at + 1]! * w : 0);
                sum += Math.abs(re[k]!) + Math.abs(im[k]!);
              }
              scale = Math.max(scale, sum);
              const [fr, fi] = directDft(re, im, false);
              for (let k = 0; k < bins; k++) want.push(fr[k]!, fi[k]!);
            }
          }
          expect(compareArrays(y.data as Float64Array, want, { rtol: 1e-9, atol: Math.max(1e-9, 16 * fl * Number.EPSILON * scale) })).toBe('');
        },
      ),
      { numRuns: 100 },
    );
  });
});

// ------------------------------------------------------------------ windows and mel

describe('window functions', () => {
  const formulas: Record<string, (j: number, N: number) => number> = {
    HannWindow: (j, N) => Math.sin((Math.PI * j) / N) ** 2,
    HammingWindow: (j, N) => 0.54347826086956521 - 0.45652173913043478 * Math.cos((2 * Math.PI * j) / N),
    BlackmanWindow: (j, N) => 0.42 - 0.5 * Math.cos((2 * Math.PI * j) / N) + 0.08 * Math.cos((4 * Math.PI * j) / N),
  };
  it('match their formulas, periodic and symmetric, float32 and float64', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('HannWindow', 'HammingWindow', 'BlackmanWindow'), fc.integer({ min: 0, max: 40 }),
        fc.boolean(), fc.constantFrom(1, 11),
        (name, size, periodic, dtype) => {
          const y = runOp(name, [new Tensor('int32', [size], [])], { periodic: periodic ? 1 : 0, output_datatype: dtype });
          expect(y.type).toBe(dtype === 1 ? 'float32' : 'float64');
          expect(y.dims).toEqual([size]);
          const N = periodic ? size : size - 1;
          const want = Array.from({ length: size }, (_, j) => (N === 0 ? 1 : formulas[name]!(j, N)));
          expectClose(y.toNumbers(), want, dtype === 1 ? 1e-6 : 1e-12);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('MelWeightMatrix', () => {
  it('is a bank of triangles between consecutive mel-spaced bins', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }), fc.integer({ min: 8, max: 64 }), fc.integer({ min: 8000, max: 48000 }),
        fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0.1, max: 0.5, noNaN: true }),
        (bins, dftLength, rate, lower, upperFrac) => {
          const upper = Math.max(lower + 1, rate * upperFrac);
          const y = runOp('MelWeightMatrix', [
            new Tensor('int32', [bins], []), new Tensor('int32', [dftLength], []), new Tensor('int32', [rate], []),
            new Tensor('float32', [lower], []), new Tensor('float32', [upper], []),
          ], { output_datatype: 11 });
          const rows = Math.floor(dftLength / 2) + 1;
          expect(y.dims).toEqual([rows, bins]);
          const toMel = (f: number) => 2595 * Math.log10(1 + f / 700);
          const toHz = (m: number) => 700 * (10 ** (m / 2595) - 1);
          const lo = toMel(Math.fround(lower));
          const stepMel = (toMel(Math.fround(upper)) - lo) / (bins + 2);
          const edge = Array.from({ length: bins + 2 }, (_, i) => Math.floor(((dftLength + 1) * toHz(lo + i * stepMel)) / rate));
          const want = new Float64Array(rows * bins);
          for (let m = 0; m < bins; m++) {
            const [l, cc, r] = [edge[m]!, edge[m + 1]!, edge[m + 2]!];
            for (let j = 0; j < rows; j++) {
              let v = 0;
              if (cc === l && j === cc) v = 1;
              else if (j >= l && j <= cc && cc > l) v = (j - l) / (cc - l);
              if (j >= cc && j < r) v = (r - j) / (r - cc);
              want[j * bins + m] = v;
            }
          }
          expectClose(y.toNumbers(), want, 1e-12);
        },
      ),
      { numRuns: 100 },
    );
  });
});
