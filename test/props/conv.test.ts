import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConvGeometry, convF32, convF64, convTransposeF32, convTransposeF64 } from '../../kernels/conv.js';
import type { Attribute } from '../../src/ir/graph.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { convOps } from '../../ops/onnx/conv.js';
import { Tensor } from '../../src/tensor.js';

// ---- direct references -----------------------------------------------------------------

const prod = (v: readonly number[]): number => v.reduce((x, y) => x * y, 1);

/** Row-major multi-index -> flat index. */
function flat(idx: readonly number[], dims: readonly number[]): number {
  let f = 0;
  for (let i = 0; i < dims.length; i++) f = f * dims[i]! + idx[i]!;
  return f;
}

/** Every multi-index of `dims` in row-major order. */
function* indices(dims: readonly number[]): Generator<number[]> {
  if (dims.some((d) => d === 0)) return;
  const idx = new Array<number>(dims.length).fill(0);
  while (true) {
    yield [...idx];
    let d = dims.length - 1;
    while (d >= 0 && ++idx[d]! === dims[d]) idx[d--] = 0;
    if (d < 0) return;
  }
}

/** Conv as the textbook sum, in float64. */
function convReference(x: number[], w: number[], bias: number[] | null, g: ConvGeometry): number[] {
  const Cg = g.inChannels / g.group;
  const Mg = g.outChannels / g.group;
  const y = new Array<number>(g.batch * g.outChannels * prod(g.outSize)).fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let oc = 0; oc < g.outChannels; oc++) {
      const grp = Math.floor(oc / Mg);
      for (const o of indices(g.outSize)) {
        let s = bias ? bias[oc]! : 0;
        for (let c = 0; c < Cg; c++) {
          for (const k of indices(g.kernel)) {
            const pos = o.map((oi, i) => oi * g.strides[i]! - g.padsBegin[i]! + k[i]! * g.dilations[i]!);
            if (pos.some((p, i) => p < 0 || p >= g.inSize[i]!)) continue;
            const xv = x[flat([n, grp * Cg + c, ...pos], [g.batch, g.inChannels, ...g.inSize])]!;
            const wv = w[flat([oc, c, ...k], [g.outChannels, Cg, ...g.kernel])]!;
            s += xv * wv;
          }
        }
        y[flat([n, oc, ...o], [g.batch, g.outChannels, ...g.outSize])] = s;
      }
    }
  }
  return y;
}

/** ConvTranspose as a direct scatter: every input value spreads through the kernel. */
function convTransposeReference(x: number[], w: number[], bias: number[] | null, g: ConvGeometry): number[] {
  const Cg = g.inChannels / g.group;
  const Mg = g.outChannels / g.group;
  const yDims = [g.batch, g.outChannels, ...g.outSize];
  const y = new Array<number>(prod(yDims)).fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let oc = 0; oc < g.outChannels; oc++) {
      for (const o of indices(g.outSize)) y[flat([n, oc, ...o], yDims)] = bias ? bias[oc]! : 0;
    }
    for (let ic = 0; ic < g.inChannels; ic++) {
      const grp = Math.floor(ic / Cg);
      for (const i of indices(g.inSize)) {
        const xv = x[flat([n, ic, ...i], [g.batch, g.inChannels, ...g.inSize])]!;
        for (let m = 0; m < Mg; m++) {
          for (const k of indices(g.kernel)) {
            const pos = i.map((ii, d) => ii * g.strides[d]! - g.padsBegin[d]! + k[d]! * g.dilations[d]!);
            if (pos.some((p, d) => p < 0 || p >= g.outSize[d]!)) continue;
            const wv = w[flat([ic, m, ...k], [g.inChannels, Mg, ...g.kernel])]!;
            y[flat([n, grp * Mg + m, ...pos], yDims)] += xv * wv;
          }
        }
      }
    }
  }
  return y;
}

// ---- generators ------------------------------------------------------------------------

interface Problem {
  g: ConvGeometry;
  x: number[];
  w: number[];
  bias: number[] | null;
}

const smallInt = fc.integer({ min: -4, max: 4 });
const wide = fc.double({ min: -1e3, max: 1e3, noNaN: true });

function data(n: number, values: fc.Arbitrary<number>): fc.Arbitrary<number[]> {
  return fc.array(values, { minLength: n, maxLength: n });
}

/**
 * Random convolution problems. `transpose` builds ConvTranspose geometry (W is C x M/group x k,
 * the output may be cropped or extended past the full size).
 */
function problem(
  transpose: boolean, values: fc.Arbitrary<number>, depthwise = false, weights: fc.Arbitrary<number> = values,
  fixed?: { rank: number; k: number },
): fc.Arbitrary<Problem> {
  return (fixed ? fc.constant(fixed.rank) : fc.integer({ min: 1, max: 3 })).chain((rank) => {
    const axis = fc.record({
      size: fc.integer({ min: 0, max: rank === 3 ? 4 : 7 }),
      k: fixed ? fc.constant(fixed.k) : fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pb: fc.integer({ min: transpose ? -2 : 0, max: 2 }),
      pe: fc.integer({ min: transpose ? -2 : 0, max: 2 }),
    });
    return fc.record({
      axes: fc.array(axis, { minLength: rank, maxLength: rank }),
      batch: fc.integer({ min: 0, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      cg: depthwise ? fc.constant(1) : fc.integer({ min: 1, max: 3 }),
      mg: fc.integer({ min: 1, max: 3 }),
      hasBias: fc.boolean(),
    });
  }).filter(({ axes }) => transpose || axes.every((a) => a.size + a.pb + a.pe >= (a.k - 1) * a.d + 1))
    .chain(({ axes, batch, group, cg, mg, hasBias }) => {
      const inChannels = group * cg;
      const outChannels = group * mg;
      const outSize = axes.map((a) => (transpose
        ? Math.max(0, a.s * (a.size - 1) + (a.k - 1) * a.d + 1 - a.pb - a.pe)
        : Math.floor((a.size + a.pb + a.pe - ((a.k - 1) * a.d + 1)) / a.s) + 1));
      const g: ConvGeometry = {
        batch, inChannels, outChannels, group,
        inSize: axes.map((a) => a.size),
        outSize,
        kernel: axes.map((a) => a.k),
        strides: axes.map((a) => a.s),
        dilations: axes.map((a) => a.d),
        padsBegin: axes.map((a) => a.pb),
      };
      const wLen = (transpose ? inChannels * mg : outChannels * cg) * prod(g.kernel);
      return fc.record({
        g: fc.constant(g),
        x: data(batch * inChannels * prod(g.inSize), values),
        w: data(wLen, weights),
        bias: hasBias ? data(outChannels, weights) : fc.constant(null),
      });
    });
}

function check(got: ArrayLike<number>, want: readonly number[], rel: number, abs: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]!) ? Number.isNaN(got[i]!)
      : !Number.isFinite(want[i]!) ? got[i] === want[i]
      : Math.abs(got[i]! - want[i]!) <= abs + rel * Math.abs(want[i]!);
    if (!ok) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function runConv(p: Problem, f64: boolean): Float32Array | Float64Array {
  const size = p.g.batch * p.g.outChannels * prod(p.g.outSize);
  if (f64) {
    const y = new Float64Array(size).fill(Number.NaN); // the kernel must write every element
    convF64(Float64Array.from(p.x), Float64Array.from(p.w), p.bias && Float64Array.from(p.bias), y, p.g);
    return y;
  }
  const y = new Float32Array(size).fill(Number.NaN);
  convF32(Float32Array.from(p.x), Float32Array.from(p.w), p.bias && Float32Array.from(p.bias), y, p.g);
  return y;
}

function runConvTranspose(p: Problem, f64: boolean): Float32Array | Float64Array {
  const size = p.g.batch * p.g.outChannels * prod(p.g.outSize);
  if (f64) {
    const y = new Float64Array(size).fill(Number.NaN);
    convTransposeF64(Float64Array.from(p.x), Float64Array.from(p.w), p.bias && Float64Array.from(p.bias), y, p.g);
    return y;
  }
  const y = new Float32Array(size).fill(Number.NaN);
  convTransposeF32(Float32Array.from(p.x), Float32Array.from(p.w), p.bias && Float32Array.from(p.bias), y, p.g);
  return y;
}

// ---- kernel properties -----------------------------------------------------------------

describe('conv (im2col + blocked matmul, pointwise, depthwise) vs the direct sum', () => {
  it('small integers: exact, 1-D/2-D/3-D, groups, strides, pads, dilations', () => {
    fc.assert(fc.property(problem(false, smallInt), (p) => {
      const want = convReference(p.x, p.w, p.bias, p.g);
      expect(Array.from(runConv(p, true))).toEqual(want.map((v) => v + 0));
      expect(Array.from(runConv(p, false))).toEqual(want.map((v) => v + 0));
    }), { numRuns: 150 });
  });

  it('depthwise (one input channel per group) and channel multipliers', () => {
    fc.assert(fc.property(problem(false, smallInt, true), (p) => {
      const want = convReference(p.x, p.w, p.bias, p.g);
      expect(Array.from(runConv(p, false))).toEqual(want.map((v) => v + 0));
    }), { numRuns: 100 });
  });

  it('depthwise 3x3 2-D (the register-summed path)', () => {
    fc.assert(fc.property(problem(false, smallInt, true, smallInt, { rank: 2, k: 3 }), (p) => {
      const want = convReference(p.x, p.w, p.bias, p.g);
      expect(Array.from(runConv(p, true))).toEqual(want.map((v) => v + 0));
      expect(Array.from(runConv(p, false))).toEqual(want.map((v) => v + 0));
    }), { numRuns: 60 });
  });

  it('values in ±1e3 within float rounding', () => {
    fc.assert(fc.property(problem(false, wide), (p) => {
      const want = convReference(p.x, p.w, p.bias, p.g);
      const terms = (p.g.inChannels / p.g.group) * prod(p.g.kernel) + 1;
      check(runConv(p, true), want, 1e-12, 1e-9 * terms);
      check(runConv(p, false), want, 1e-5, 1e-1 * terms);
    }), { numRuns: 80 });
  });

  it('NaN and Inf in X reach exactly the outputs whose window covers them', () => {
    const values = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
      { weight: 6, arbitrary: smallInt });
    // Finite weights: a padded tap times a NaN weight is NaN under zero padding but a skipped
    // tap in a direct loop, and neither is an input value reaching an output.
    fc.assert(fc.property(problem(false, values, false, smallInt), (p) => {
      const want = convReference(p.x, p.w, p.bias, p.g);
      check(runConv(p, true), want, 0, 0);
      check(runConv(p, false), want, 0, 0);
    }), { numRuns: 100 });
  });

  it('a 1x1 stride-1 convolution is a matrix product over channels', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 9 }),
      fc.integer(), (C, M, HW, seed) => {
        let r = seed;
        const rnd = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 16) % 9 - 4;
        const x = Array.from({ length: C * HW }, rnd);
        const w = Array.from({ length: M * C }, rnd);
        const g: ConvGeometry = {
          batch: 1, inChannels: C, outChannels: M, group: 1, inSize: [HW], outSize: [HW],
          kernel: [1], strides: [1], dilations: [1], padsBegin: [0],
        };
        const y = runConv({ g, x, w, bias: null }, false);
        for (let m = 0; m < M; m++) {
          for (let q = 0; q < HW; q++) {
            let s = 0;
            for (let c = 0; c < C; c++) s += w[m * C + c]! * x[c * HW + q]!;
            expect(y[m * HW + q]! + 0).toBe(s + 0);
          }
        }
      }), { numRuns: 50 });
  });
});

describe('convTranspose (matmul + col2im) vs the direct scatter', () => {
  it('small integers: exact, including cropped and extended outputs', () => {
    fc.assert(fc.property(problem(true, smallInt), (p) => {
      const want = convTransposeReference(p.x, p.w, p.bias, p.g);
      expect(Array.from(runConvTranspose(p, true))).toEqual(want.map((v) => v + 0));
      expect(Array.from(runConvTranspose(p, false))).toEqual(want.map((v) => v + 0));
    }), { numRuns: 150 });
  });

  it('values in ±1e3 within float rounding', () => {
    fc.assert(fc.property(problem(true, wide), (p) => {
      const want = convTransposeReference(p.x, p.w, p.bias, p.g);
      const terms = (p.g.inChannels / p.g.group) * prod(p.g.kernel) + 1;
      check(runConvTranspose(p, true), want, 1e-12, 1e-9 * terms);
      check(runConvTranspose(p, false), want, 1e-5, 1e-1 * terms);
    }), { numRuns: 80 });
  });
});

// ---- op-level properties: output shapes --------------------------------------------------

const ctx = {} as OpContext;
const attrs = (entries: [string, Attribute][]) => new Attrs(new Map(entries));
const ints = (value: number[]): Attribute => ({ type: 'ints', value });
const str = (value: string): Attribute => ({ type: 'string', value, bytes: new TextEncoder().encode(value) });

describe('Conv / ConvTranspose ops', () => {
  const conv = convOps.find((o) => o.name === 'Conv')!;
  const convT = convOps.find((o) => o.name === 'ConvTranspose')!;

  it('auto_pad SAME_* gives ceil(in / stride) for Conv and in * stride for ConvTranspose', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ n: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }) }),
        { minLength: 1, maxLength: 3 }),
      fc.constantFrom('SAME_UPPER', 'SAME_LOWER'),
      (axes, mode) => {
        const x = Tensor.zeros('float32', [1, 2, ...axes.map((a) => a.n)]);
        const a = attrs([['auto_pad', str(mode)], ['strides', ints(axes.map((v) => v.s))]]);
        const w = Tensor.zeros('float32', [3, 2, ...axes.map((v) => v.k)]);
        const [y] = conv.run([x, w], conv.parse!(a, {} as never), ctx) as Tensor[];
        expect(y!.dims).toEqual([1, 3, ...axes.map((v) => Math.ceil(v.n / v.s))]);
        const wt = Tensor.zeros('float32', [2, 3, ...axes.map((v) => v.k)]);
        const [yt] = convT.run([x, wt], convT.parse!(a, {} as never), ctx) as Tensor[];
        expect(yt!.dims).toEqual([1, 3, ...axes.map((v) => v.n * v.s)]);
      },
    ), { numRuns: 100 });
  });

  it('rejects channel counts that do not fit the group', () => {
    const x = Tensor.zeros('float32', [1, 3, 4, 4]);
    const w = Tensor.zeros('float32', [2, 2, 3, 3]);
    expect(() => conv.run([x, w], conv.parse!(attrs([]), {} as never), ctx)).toThrow(/group=1/);
  });

  it('ConvInteger and QLinearConv: the float conv of zero-point-shifted bytes, requantized', () => {
    const conv8 = fc.record({
      signed: fc.boolean(), perChannel: fc.boolean(), hasBias: fc.boolean(), seed: fc.integer(),
    });
    fc.assert(fc.property(problem(false, fc.constant(0)), conv8, (p, { signed, perChannel, hasBias, seed }) => {
      let r = seed;
      const next = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 8) & 0xffff;
      const byte = () => (signed ? (next() % 256) - 128 : next() % 256);
      const type = signed ? 'int8' : 'uint8';
      const { g } = p;
      const M = g.outChannels;
      const x = p.x.map(byte);
      const w = p.w.map(byte);
      const xz = byte();
      const wz = Array.from({ length: perChannel ? M : 1 }, byte);
      const bias = hasBias ? Array.from({ length: M }, () => next() - 32768) : null;
      const taps = prod(g.kernel) * (g.inChannels / g.group);
      const wc = w.map((v, i) => v - wz[perChannel ? Math.floor(i / taps) : 0]!);
      const want = convReference(x.map((v) => v - xz), wc, bias, g);
      const a = attrs([
        ['group', { type: 'int', value: g.group }], ['strides', ints([...g.strides])],
        ['dilations', ints([...g.dilations])],
        // the smallest end pads giving the same output size
        ['pads', ints([...g.padsBegin, ...g.inSize.map((n, i) => Math.max(0, (g.outSize[i]! - 1) * g.strides[i]!
          + (g.kernel[i]! - 1) * g.dilations[i]! + 1 - n - g.padsBegin[i]!))])],
      ]);
      const X = new Tensor(type, x, [g.batch, g.inChannels, ...g.inSize]);
      const W = new Tensor(type, w, [M, g.inChannels / g.group, ...g.kernel]);
      const WZ = new Tensor(type, wz, perChannel ? [M] : []);
      const ci = convOps.find((o) => o.name === 'ConvInteger')!;
      if (!hasBias) {
        const [y] = ci.run([X, W, new Tensor(type, [xz], []), WZ], ci.parse!(a, {} as never), ctx) as Tensor[];
        expect(y!.type).toBe('int32');
        expect(Array.from(y!.data as Int32Array)).toEqual(want.map((v) => v + 0));
      }
      const ql = convOps.find((o) => o.name === 'QLinearConv')!;
      const wScale = Array.from({ length: perChannel ? M : 1 }, (_, i) => 0.01 * (i + 1));
      const yz = byte();
      const [q] = ql.run([
        X, new Tensor('float32', [0.5], []), new Tensor(type, [xz], []),
        W, new Tensor('float32', wScale, perChannel ? [M] : []), WZ,
        new Tensor('float32', [0.75], []), new Tensor(type, [yz], []),
        ...(bias ? [new Tensor('int32', bias, [M])] : []),
      ], ql.parse!(a, {} as never), ctx) as Tensor[];
      expect(q!.dims).toEqual([g.batch, M, ...g.outSize]);
      const plane = prod(g.outSize);
      const f = Math.fround;
      const got = Array.from(q!.data as Int8Array);
      want.forEach((v, i) => {
        const oc = Math.floor(i / plane) % M;
        const mult = f(f(f(0.5) * f(wScale[perChannel ? oc : 0]!)) / f(0.75));
        const t = v * mult;
        const fl = Math.floor(t);
        const rounded = t - fl < 0.5 ? fl : t - fl > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1;
        expect(got[i]).toBe(Math.min(signed ? 127 : 255, Math.max(signed ? -128 : 0, rounded + yz)));
      });
    }), { numRuns: 100 });
  });
});
