// Resize against a direct per-output-element reference written from the ONNX spec formulas:
// every output element maps each axis coordinate back to the input (per
// coordinate_transformation_mode), takes the interpolation weights of each axis, and sums
// weight products over the cartesian product of contributing inputs (edges clamped).
// No separability, no precomputed plans. Plus: scale 1 returns the input exactly.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { resizeOps } from '../../ops/onnx/resize.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

type AttrValue = number | string | readonly number[];

function runOp(name: string, opset: number, attrs: Record<string, AttrValue>, inputs: (Tensor | undefined)[]): Tensor {
  const d = resizeOps.filter((o: OpDef) => o.name === name && o.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'string') map.set(k, { type: 'string', value: v, bytes: new Uint8Array() });
    else if (typeof v === 'number') map.set(k, Number.isInteger(v) && k !== 'cubic_coeff_a' && k !== 'extrapolation_value' ? { type: 'int', value: v } : { type: 'float', value: v });
    else map.set(k, k === 'scales' ? { type: 'floats', value: v } : { type: 'ints', value: v });
  }
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext)[0] as Tensor;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
function unravel(p: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = p % dims[d]!;
    p = Math.floor(p / dims[d]!);
  }
  return out;
}
function ravel(idx: readonly number[], dims: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < dims.length; d++) p = p * dims[d]! + idx[d]!;
  return p;
}

type Coord = 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize';
type Mode = 'nearest' | 'linear' | 'cubic';
type Nearest = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';
const COORDS: Coord[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];

interface Case {
  dims: number[];
  mode: Mode;
  coord: Coord;
  nearest: Nearest;
  a: number;
  exclude: boolean;
  antialias: boolean;
  /** per axis of the full rank */
  scale: number[];
  outDims: number[];
  roi: [number, number][];
  extrapolation: number;
}

/** Spec: x_original for output coordinate x on one axis; null outside a crop. */
function specCoordinate(c: Case, d: number, x: number): number | null {
  const inLen = c.dims[d]!;
  const scale = c.scale[d]!;
  const lengthResized = scale * inLen; // fractional when it comes from a scale
  const [start, end] = c.roi[d]!;
  switch (c.coord) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = c.outDims[d]! / lengthResized;
      const offset = (inLen / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel': return c.outDims[d]! > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return c.outDims[d]! > 1 ? x * (inLen - 1) / (lengthResized - 1) : 0;
    case 'asymmetric': return x / scale;
    case 'tf_crop_and_resize': {
      const xo = c.outDims[d]! > 1
        ? start * (inLen - 1) + x * (end - start) * (inLen - 1) / (lengthResized - 1)
        : 0.5 * (start + end) * (inLen - 1);
      return xo < 0 || xo > inLen - 1 ? null : xo;
    }
  }
}

function keys(a: number, x: number): number {
  // Keys cubic convolution kernel, written out in full.
  const t = Math.abs(x);
  if (t === 0) return 1;
  if (t === 1 || t >= 2) return 0; // the kernel vanishes at non-zero integer distances
  if (t < 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
  return 0;
}

/** Spec weights for one axis: [input index (clamped), weight] pairs with non-zero weight. */
function axisWeights(c: Case, d: number, xo: number): [number, number][] {
  const n = c.dims[d]!;
  const clamp = (i: number) => Math.min(Math.max(i, 0), n - 1);
  if (c.mode === 'nearest') {
    const fl = Math.floor(xo);
    const frac = xo - fl;
    let i: number;
    switch (c.nearest) {
      case 'round_prefer_floor': i = frac > 0.5 ? fl + 1 : fl; break;
      case 'round_prefer_ceil': i = frac >= 0.5 ? fl + 1 : fl; break;
      case 'floor': i = fl; break;
      case 'ceil': i = Math.ceil(xo); break;
    }
    return [[clamp(i), 1]];
  }
  // Filter stretched by 1/scale when antialiasing a downsample.
  const s = c.antialias ? Math.min(c.scale[d]!, 1) : 1;
  const kernel = (dist: number) => (c.mode === 'linear' ? Math.max(0, 1 - Math.abs(dist)) : keys(c.a, dist));
  const reach = Math.ceil(2 / s) + 2;
  let taps: [number, number][] = [];
  for (let i = Math.floor(xo) - reach; i <= Math.floor(xo) + reach; i++) {
    const w = kernel((i - xo) * s);
    if (w !== 0) taps.push([i, w]);
  }
  // exclude_outside: drop taps beyond the edges, unless that leaves nothing (then keep edges).
  const inside = taps.filter(([i]) => i >= 0 && i < n);
  if (c.exclude && inside.reduce((acc, [, w]) => acc + w, 0) !== 0) taps = inside;
  const sum = taps.reduce((acc, [, w]) => acc + w, 0);
  const normalize = c.antialias || c.exclude;
  // Weights under 1e-12 are rounding noise around a kernel zero; like the implementation,
  // drop them so inf/NaN inputs do not leak through a weight that is zero in exact arithmetic.
  return taps.map(([i, w]): [number, number] => [clamp(i), normalize ? w / sum : w]).filter(([, w]) => Math.abs(w) >= 1e-12);
}

function refResize(c: Case, data: readonly number[]): number[] {
  const out: number[] = [];
  const rank = c.dims.length;
  for (let p = 0; p < size(c.outDims); p++) {
    const o = unravel(p, c.outDims);
    const perAxis: [number, number][][] = [];
    let outside = false;
    for (let d = 0; d < rank; d++) {
      const xo = specCoordinate(c, d, o[d]!);
      if (xo === null) {
        outside = true;
        break;
      }
      perAxis.push(axisWeights(c, d, xo));
    }
    if (outside) {
      out.push(c.extrapolation);
      continue;
    }
    let acc = 0;
    const pick = new Array<number>(rank).fill(0);
    for (;;) {
      let w = 1;
      const at: number[] = [];
      for (let d = 0; d < rank; d++) {
        const [i, wd] = perAxis[d]![pick[d]!]!;
        w *= wd;
        at.push(i);
      }
      acc += w * data[ravel(at, c.dims)]!;
      let d = rank - 1;
      while (d >= 0 && ++pick[d]! === perAxis[d]!.length) pick[d--] = 0;
      if (d < 0) break;
    }
    out.push(acc);
  }
  return out;
}

/** Close enough for float32 output: NaN matches NaN, infinities match exactly. */
function expectClose(got: ArrayLike<number>, want: readonly number[], rtol = 1e-4, atol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!isClose(got[i]!, want[i]!, { rtol, atol })) {
      expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const valueArb = (extreme: boolean) => extreme
  ? fc.oneof(fc.constantFrom(-1e3, 0, 1e3, Infinity, -Infinity, NaN), fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8))
  : fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8);

const SCALES = [0.5, 0.6, 0.75, 1, 1.25, 1.5, 2, 2.5, 3];

const caseArb = fc.record({
  dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
  mode: fc.constantFrom<Mode>('nearest', 'linear', 'cubic'),
  coord: fc.constantFrom(...COORDS),
  nearest: fc.constantFrom<Nearest>('round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'),
  a: fc.constantFrom(-0.75, -0.5, -0.6),
  exclude: fc.boolean(),
  antialias: fc.boolean(),
  useSizes: fc.boolean(),
  picks: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 12, maxLength: 12 }),
  extreme: fc.boolean(),
  extrapolation: fc.constantFrom(0, -7.5),
  withAxes: fc.boolean(),
  policy: fc.constantFrom('stretch', 'not_larger', 'not_smaller'),
}).chain((r) => {
  const rank = r.dims.length;
  // Resize only a few axes in larger ranks to keep the reference cheap.
  const axes = r.withAxes ? [...new Set(r.picks.slice(0, 2).map((v) => v % rank))] : [...Array(rank).keys()];
  const scale = r.dims.map(() => 1);
  const outDims = [...r.dims];
  const roi: [number, number][] = r.dims.map(() => [0, 1]);
  const given: number[] = [];
  const roiGiven: number[] = [];
  for (const [j, ax] of axes.entries()) {
    if (r.useSizes) {
      const out = 1 + (r.picks[2 + j]! % 7);
      scale[ax] = out / r.dims[ax]!;
      outDims[ax] = out;
      given.push(out);
    } else {
      const s = SCALES[r.picks[2 + j]! % SCALES.length]!;
      scale[ax] = s;
      outDims[ax] = Math.floor(s * r.dims[ax]!);
      given.push(s);
    }
    roi[ax] = [(r.picks[6 + j]! % 5) / 10 - 0.1, 1.1 - (r.picks[8 + j]! % 5) / 10];
  }
  if (r.useSizes && r.policy !== 'stretch') {
    // keep_aspect_ratio_policy: one scale for all resized axes, output rounded half up.
    const ratios = axes.map((ax) => scale[ax]!);
    const s = r.policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    for (const ax of axes) {
      scale[ax] = s;
      outDims[ax] = Math.floor(s * r.dims[ax]! + 0.5);
    }
  }
  for (const ax of axes) roiGiven.push(roi[ax]![0]);
  for (const ax of axes) roiGiven.push(roi[ax]![1]);
  const c: Case = {
    dims: r.dims, mode: r.mode, coord: r.coord, nearest: r.nearest, a: r.a, exclude: r.exclude,
    antialias: r.antialias && r.mode !== 'nearest', scale, outDims, roi, extrapolation: r.extrapolation,
  };
  return fc.record({
    c: fc.constant(c),
    policy: fc.constant(r.policy),
    axes: fc.constant(r.withAxes ? axes : null),
    given: fc.constant(given),
    roiGiven: fc.constant(roiGiven),
    useSizes: fc.constant(r.useSizes),
    data: fc.array(valueArb(r.extreme), { minLength: size(r.dims), maxLength: size(r.dims) }),
  });
});

function resizeInputs(x: Tensor, useSizes: boolean, given: number[], roi: number[]): (Tensor | undefined)[] {
  return [
    x,
    new Tensor('float32', Float32Array.from(roi), [roi.length]),
    useSizes ? undefined : new Tensor('float32', Float32Array.from(given), [given.length]),
    useSizes ? new Tensor('int64', BigInt64Array.from(given, BigInt), [given.length]) : undefined,
  ];
}

function attrsOf(c: Case, axes: number[] | null, policy: string): Record<string, AttrValue> {
  return {
    keep_aspect_ratio_policy: policy,
    mode: c.mode, coordinate_transformation_mode: c.coord, nearest_mode: c.nearest, cubic_coeff_a: c.a,
    exclude_outside: c.exclude ? 1 : 0, antialias: c.antialias ? 1 : 0, extrapolation_value: c.extrapolation,
    ...(axes ? { axes } : {}),
  };
}

describe('Resize', () => {
  it('matches the per-element spec reference (float32; every mode and coordinate mode)', () => {
    fc.assert(fc.property(caseArb, ({ c, axes, given, roiGiven, useSizes, data, policy }) => {
      // Scales given as float32 values: use the same rounded values in the reference.
      if (!useSizes) c.scale = c.scale.map(Math.fround);
      const roundedRoi = Array.from(Float32Array.from(roiGiven));
      const nAx = roundedRoi.length / 2;
      const axesList = axes ?? [...c.dims.keys()];
      axesList.forEach((ax, j) => { c.roi[ax] = [roundedRoi[j]!, roundedRoi[nAx + j]!]; });
      const x = new Tensor('float32', Float32Array.from(data), c.dims);
      const y = runOp('Resize', 19, attrsOf(c, axes, policy), resizeInputs(x, useSizes, given, roiGiven));
      expect(y.dims).toEqual(c.outDims);
      expectClose(y.data as Float32Array, refResize(c, Array.from(Float32Array.from(data))));
    }), { numRuns: 200 });
  });

  it('scale 1 returns the input exactly (any mode, incl. inf/NaN and int64 bits)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom<Mode>('nearest', 'linear', 'cubic'),
      fc.constantFrom<Coord>('half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric'),
      fc.constantFrom(-0.75, -0.5, -0.6),
      fc.array(valueArb(true), { minLength: 256, maxLength: 256 }),
      (dims, mode, coord, a, vals) => {
        const n = size(dims);
        const x = new Tensor('float32', Float32Array.from(vals.slice(0, n)), dims);
        const ones = dims.map(() => 1);
        const y = runOp('Resize', 19, { mode, coordinate_transformation_mode: coord, cubic_coeff_a: a },
          [x, undefined, new Tensor('float32', Float32Array.from(ones), [dims.length])]);
        expect(y.dims).toEqual(dims);
        expect(Array.from(y.data as Float32Array)).toEqual(Array.from(x.data as Float32Array));
        const big = new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => 2n ** 62n + BigInt(i)), dims);
        const yb = runOp('Resize', 19, { mode: 'nearest', coordinate_transformation_mode: coord },
          [big, undefined, undefined, new Tensor('int64', BigInt64Array.from(dims, BigInt), [dims.length])]);
        expect(Array.from(yb.data as BigInt64Array)).toEqual(Array.from(big.data as BigInt64Array));
      }), { numRuns: 100 });
  });

  it('float64, float16 and uint8 follow the same reference (computed in float, cast like C)', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('float64', 'float16', 'uint8'), ({ c, axes, given, roiGiven, useSizes, data, policy }, type) => {
      if (!useSizes) c.scale = c.scale.map(Math.fround);
      const roundedRoi = Array.from(Float32Array.from(roiGiven));
      const nAx = roundedRoi.length / 2;
      (axes ?? [...c.dims.keys()]).forEach((ax, j) => { c.roi[ax] = [roundedRoi[j]!, roundedRoi[nAx + j]!]; });
      if (type === 'uint8') {
        const ints = data.map((v) => (Number.isFinite(v) ? Math.abs(Math.trunc(v)) % 256 : 0));
        const y = runOp('Resize', 19, attrsOf(c, axes, policy), resizeInputs(new Tensor('uint8', Uint8Array.from(ints), c.dims), useSizes, given, roiGiven));
        const want = refResize(c, ints).map((v) => ((Math.trunc(v) % 256) + 256) % 256);
        // Truncation can flip by one where the float sum lands within rounding of an integer.
        const got = Array.from(y.data as Uint8Array);
        want.forEach((w, i) => expect(Math.min(Math.abs(got[i]! - w), 256 - Math.abs(got[i]! - w)), `element ${i}`).toBeLessThanOrEqual(1));
        return;
      }
      if (type === 'float64') {
        const y = runOp('Resize', 19, attrsOf(c, axes, policy), resizeInputs(new Tensor('float64', Float64Array.from(data), c.dims), useSizes, given, roiGiven));
        expectClose(y.data as Float64Array, refResize(c, data), 1e-9, 1e-9);
        return;
      }
      // float16: inputs exactly representable (multiples of 1/8 up to 1e3), output rounded to half.
      const x16 = new Tensor('float16', Uint16Array.from(data, halfBits), c.dims);
      const y = runOp('Resize', 19, attrsOf(c, axes, policy), resizeInputs(x16, useSizes, given, roiGiven));
      expectClose(Array.from(y.data as Uint16Array, halfValue), refResize(c, data), 2e-3, 2e-3);
    }), { numRuns: 100 });
  });

  it('Upsample-9 / Resize-10 nearest repeats elements (floor of x / scale)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      (dims, reps) => {
        const scales = dims.map((_, i) => reps[i]!);
        const x = new Tensor('int32', Int32Array.from({ length: size(dims) }, (_, i) => i * 3 - 5), dims);
        const outDims = dims.map((d, i) => d * scales[i]!);
        const want = Array.from({ length: size(outDims) }, (_, p) =>
          (x.data as Int32Array)[ravel(unravel(p, outDims).map((v, i) => Math.floor(v / scales[i]!)), dims)]!);
        const s = new Tensor('float32', Float32Array.from(scales), [scales.length]);
        for (const [name, opset] of [['Upsample', 9], ['Resize', 10]] as const) {
          const y = runOp(name, opset, { mode: 'nearest' }, [x, s]);
          expect(y.dims).toEqual(outDims);
          expect(Array.from(y.data as Int32Array)).toEqual(want);
        }
        const y7 = runOp('Upsample', 7, { mode: 'nearest', scales }, [x]);
        expect(Array.from(y7.data as Int32Array)).toEqual(want);
      }), { numRuns: 50 });
  });

  it('zero-sized dims give empty outputs', () => {
    const x = new Tensor('float32', new Float32Array(0), [2, 0, 3]);
    const y = runOp('Resize', 19, { mode: 'linear' }, [x, undefined, new Tensor('float32', [1, 2, 2], [3])]);
    expect(y.dims).toEqual([2, 0, 6]);
  });
});

// Half-precision helpers written independently of kernels/float16.ts (exact for the values used).
function halfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  const m = Math.round((a / 2 ** e - 1) * 1024); // exact for multiples of 1/8 below 2048
  return sign | ((e + 15) << 10) | m;
}
function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
