// Pooling ops against a direct reference: enumerate every output position and every
// kernel tap, keep the taps that land inside the input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { poolOps } from '../../ops/onnx/pool.js';
import { isClose } from '../helpers/allclose.js';

// ------------------------------------------------------------------ op runner

type AttrValue = number | number[] | string;

function runOp(name: string, attrs: Record<string, AttrValue>, x: Tensor, outputs = 1, opset = 22): Tensor[] {
  const def = poolOps.filter((d) => d.name === name && d.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>(Object.entries(attrs).map(([k, v]): [string, Attribute] => [
    k,
    typeof v === 'string'
      ? { type: 'string', value: v, bytes: new TextEncoder().encode(v) }
      : Array.isArray(v) ? { type: 'ints', value: v } : { type: 'int', value: v },
  ]));
  const outs = ['y', 'i'].slice(0, outputs);
  const node = { name: 'n', domain: '', opType: name, inputs: ['x'], outputs: outs, attributes: map };
  const ctx: OpContext = { node, opset, runSubgraph: () => [] };
  return def.run([x], def.parse ? def.parse(new Attrs(map), node) : undefined, ctx) as Tensor[];
}

// ------------------------------------------------------------------ reference

interface Case {
  dims: number[]; // [N, C, ...spatial]
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[]; // begins then ends
  ceil: boolean;
  x: number[];
}

/** Output size of one spatial dim, as the spec (and onnxruntime) define it. */
function refOutSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const window = d * (k - 1) + 1;
  const exact = (inSize + pb + pe - window) / s + 1;
  let out = ceil ? Math.ceil(exact) : Math.floor(exact);
  // In ceil mode the last window must start inside the input or its begin padding.
  if (ceil && (out - 1) * s >= inSize + pb) out -= 1;
  return out;
}

/** All index tuples of a shape, row-major. */
function coords(shape: number[]): number[][] {
  let acc: number[][] = [[]];
  for (const n of shape) {
    const next: number[][] = [];
    for (const c of acc) for (let i = 0; i < n; i++) next.push([...c, i]);
    acc = next;
  }
  return acc;
}

interface Window { values: number[]; flat: number[]; spatial: number[][]; inPadded: number }

/** For each (n, c, output position): the taps inside the input, and how many fall inside input + pads. */
function windows(c: Case): { outDims: number[]; wins: Window[] } {
  const sp = c.dims.slice(2);
  const r = sp.length;
  const outSp = sp.map((n, i) => refOutSize(n, c.kernel[i]!, c.strides[i]!, c.dilations[i]!, c.pads[i]!, c.pads[i + r]!, c.ceil));
  const spatialSize = sp.reduce((a, b) => a * b, 1);
  const wins: Window[] = [];
  for (let nc = 0; nc < c.dims[0]! * c.dims[1]!; nc++) {
    for (const o of coords(outSp)) {
      const w: Window = { values: [], flat: [], spatial: [], inPadded: 0 };
      for (const k of coords(c.kernel)) {
        const pos = o.map((oi, i) => oi * c.strides[i]! - c.pads[i]! + k[i]! * c.dilations[i]!);
        if (pos.every((p, i) => p >= -c.pads[i]! && p < sp[i]! + c.pads[i + r]!)) w.inPadded++;
        if (pos.every((p, i) => p >= 0 && p < sp[i]!)) {
          let flat = 0;
          for (let i = 0; i < r; i++) flat = flat * sp[i]! + pos[i]!;
          w.values.push(c.x[nc * spatialSize + flat]!);
          w.flat.push(nc * spatialSize + flat);
          w.spatial.push(pos);
        }
      }
      wins.push(w);
    }
  }
  return { outDims: [c.dims[0]!, c.dims[1]!, ...outSp], wins };
}

function refMax(w: Window): { v: number; at: number } {
  let v = -Infinity;
  let at = -1;
  w.values.forEach((x, i) => {
    if (Number.isNaN(x)) return;
    if (at < 0 ? x >= v : x > v) { v = x; at = i; }
  });
  return { v, at };
}

function close(a: number, b: number, rel = 1e-9, abs = 1e-9): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(got: ArrayLike<number>, want: number[], rel?: number, abs?: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

// ------------------------------------------------------------------ generators

const finite = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(-1e3, 1e3, 0));
const extreme = fc.oneof({ weight: 5, arbitrary: finite }, fc.constantFrom(Infinity, -Infinity, NaN));

function poolCase(values: fc.Arbitrary<number>, maxRank = 3): fc.Arbitrary<Case> {
  return fc.integer({ min: 1, max: maxRank }).chain((r) => {
    const per = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: r, maxLength: r });
    return fc.record({
      n: fc.integer({ min: 1, max: 2 }), ch: fc.integer({ min: 1, max: 2 }),
      sp: per(1, r === 3 ? 4 : 6), kernel: per(1, 3), strides: per(1, 3), dilations: per(1, 2),
      padFrac: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2 * r, maxLength: 2 * r }),
      ceil: fc.boolean(),
    }).chain(({ n, ch, sp, kernel, strides, dilations, padFrac, ceil }) => {
      // pads up to the window size on each side (a window may hold padding only)
      const pads = padFrac.map((f, i) => Math.floor(f * (dilations[i % r]! * (kernel[i % r]! - 1) + 1)));
      const dims = [n, ch, ...sp];
      const size = dims.reduce((a, b) => a * b, 1);
      return fc.record({
        dims: fc.constant(dims), kernel: fc.constant(kernel), strides: fc.constant(strides),
        dilations: fc.constant(dilations), pads: fc.constant(pads), ceil: fc.constant(ceil),
        x: fc.array(values, { minLength: size, maxLength: size }),
      });
    });
  }).filter((c) => {
    const r = c.kernel.length;
    return c.dims.slice(2).every((n, i) =>
      refOutSize(n, c.kernel[i]!, c.strides[i]!, c.dilations[i]!, c.pads[i]!, c.pads[i + r]!, c.ceil) >= 1);
  });
}

function attrsOf(c: Case): Record<string, AttrValue> {
  return {
    kernel_shape: c.kernel, strides: c.strides, dilations: c.dilations, pads: c.pads, ceil_mode: c.ceil ? 1 : 0,
  };
}

// ------------------------------------------------------------------ properties

describe('MaxPool', () => {
  it('matches the reference (values, shape, argmax indices) with NaN / ±Inf', () => {
    fc.assert(fc.property(poolCase(extreme), (c) => {
      const [y, idx] = runOp('MaxPool', attrsOf(c), new Tensor('float64', Float64Array.from(c.x), c.dims), 2);
      const { outDims, wins } = windows(c);
      expect(y!.dims).toEqual(outDims);
      const ref = wins.map(refMax);
      expectClose(y!.data as Float64Array, ref.map((m) => m.v));
      expect(Array.from(idx!.data as BigInt64Array, Number)).toEqual(
        ref.map((m, i) => (m.at < 0 ? -1 : wins[i]!.flat[m.at]!)));
    }), { numRuns: 150 });
  });

  it('float32 without indices (the two-dim kernel, maxPool2dF32) matches the reference with NaN / ±Inf', () => {
    fc.assert(fc.property(poolCase(extreme, 2), (c) => {
      const x = Float32Array.from(c.x);
      const [y] = runOp('MaxPool', attrsOf(c), new Tensor('float32', x, c.dims));
      const { outDims, wins } = windows({ ...c, x: Array.from(x) });
      expect(y!.dims).toEqual(outDims);
      expect(y!.data).toBeInstanceOf(Float32Array);
      expect(Array.from(y!.data as Float32Array)).toEqual(wins.map((w) => refMax(w).v));
    }), { numRuns: 200 });
  });

  it('storage_order = 1 numbers spatial positions column-major', () => {
    fc.assert(fc.property(poolCase(finite), (c) => {
      const attrs = { ...attrsOf(c), storage_order: 1 };
      const [, idx] = runOp('MaxPool', attrs, new Tensor('float64', Float64Array.from(c.x), c.dims), 2);
      const sp = c.dims.slice(2);
      const spatialSize = sp.reduce((a, b) => a * b, 1);
      const { wins } = windows(c);
      const want = wins.map((w, i) => {
        const m = refMax(w);
        if (m.at < 0) return -1;
        const nc = Math.floor(i / (wins.length / (c.dims[0]! * c.dims[1]!)));
        const pos = w.spatial[m.at]!;
        let colMajor = 0;
        for (let d = sp.length - 1; d >= 0; d--) colMajor = colMajor * sp[d]! + pos[d]!;
        return nc * spatialSize + colMajor;
      });
      expect(Array.from(idx!.data as BigInt64Array, Number)).toEqual(want);
    }), { numRuns: 100 });
  });

  it('float32 and int8 / uint8 inputs keep their type', () => {
    fc.assert(fc.property(poolCase(fc.integer({ min: -128, max: 127 }), 2), (c) => {
      const { wins } = windows(c);
      // A window with no input value gives the type's lowest value (onnxruntime).
      const want = wins.map((w) => refMax(w).v);
      const lowest = (lo: number) => want.map((v) => (v === -Infinity ? lo : v));
      const y8 = runOp('MaxPool', attrsOf(c), new Tensor('int8', Int8Array.from(c.x), c.dims))[0]!;
      expect(y8.type).toBe('int8');
      expect(Array.from(y8.data as Int8Array)).toEqual(lowest(-128));
      const u = c.x.map((v) => v + 128);
      const yu = runOp('MaxPool', attrsOf(c), new Tensor('uint8', Uint8Array.from(u), c.dims))[0]!;
      expect(yu.type).toBe('uint8');
      expect(Array.from(yu.data as Uint8Array)).toEqual(lowest(-128).map((v) => v + 128));
      const yf = runOp('MaxPool', attrsOf(c), new Tensor('float32', Float32Array.from(c.x), c.dims))[0]!;
      expect(yf.type).toBe('float32');
      expect(Array.from(yf.data as Float32Array)).toEqual(want);
    }), { numRuns: 60 });
  });
});

/** binary16 bits of an integer |v| <= 2048 (exact), and back. */
function halfBits(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}
function halfValue(h: number): number {
  const exp = (h >> 10) & 31, frac = h & 1023;
  if (exp === 31) return frac ? NaN : (h & 0x8000 ? -Infinity : Infinity);
  return (exp === 0 ? frac * 2 ** -24 : (1 + frac / 1024) * 2 ** (exp - 15)) * (h & 0x8000 ? -1 : 1);
}

describe('float16', () => {
  it('MaxPool / AveragePool on float16 compute in float32 and round back', () => {
    fc.assert(fc.property(poolCase(fc.integer({ min: -2048, max: 2048 }), 2), (c) => {
      const x = new Tensor('float16', Uint16Array.from(c.x, halfBits), c.dims);
      const { wins } = windows(c);
      const [ym] = runOp('MaxPool', attrsOf(c), x);
      expect(ym!.type).toBe('float16');
      expect(Array.from(ym!.data as Uint16Array, halfValue)).toEqual(wins.map((w) => refMax(w).v));
      const [ya] = runOp('AveragePool', attrsOf(c), x);
      expect(ya!.type).toBe('float16');
      const want = wins.map((w) => w.values.reduce((a, b) => a + b, 0) / w.values.length);
      expectClose(Array.from(ya!.data as Uint16Array, halfValue), want, 1e-3, 1e-3);
    }), { numRuns: 60 });
  });
});

describe('AveragePool', () => {
  for (const include of [false, true]) {
    it(`matches the reference with count_include_pad = ${include ? 1 : 0}`, () => {
      fc.assert(fc.property(poolCase(extreme), (c) => {
        const attrs = { ...attrsOf(c), count_include_pad: include ? 1 : 0 };
        const [y] = runOp('AveragePool', attrs, new Tensor('float64', Float64Array.from(c.x), c.dims));
        const { outDims, wins } = windows(c);
        expect(y!.dims).toEqual(outDims);
        const want = wins.map((w) => w.values.reduce((a, b) => a + b, 0) / (include ? w.inPadded : w.values.length));
        expectClose(y!.data as Float64Array, want, 1e-12, 1e-9);
      }), { numRuns: 150 });
    });
  }

  it('auto_pad SAME_UPPER / SAME_LOWER / VALID equal explicit pads from the spec formula', () => {
    const arb = fc.record({
      c: poolCase(finite).map((c) => ({ ...c, ceil: false })),
      mode: fc.constantFrom('SAME_UPPER', 'SAME_LOWER', 'VALID'),
    });
    fc.assert(fc.property(arb, ({ c, mode }) => {
      const r = c.kernel.length;
      const sp = c.dims.slice(2);
      const begins: number[] = [], ends: number[] = [];
      let ok = true;
      sp.forEach((n, i) => {
        const window = c.dilations[i]! * (c.kernel[i]! - 1) + 1;
        if (mode === 'VALID') {
          begins.push(0); ends.push(0);
          if (n < window) ok = false;
          return;
        }
        const out = Math.ceil(n / c.strides[i]!);
        const total = Math.max(0, (out - 1) * c.strides[i]! + window - n);
        const half = Math.floor(total / 2);
        begins.push(mode === 'SAME_UPPER' ? half : total - half);
        ends.push(mode === 'SAME_UPPER' ? total - half : half);
      });
      fc.pre(ok);
      const explicit: Case = { ...c, pads: [...begins, ...ends] };
      const { outDims, wins } = windows(explicit);
      if (mode !== 'VALID') expect(outDims.slice(2)).toEqual(sp.map((n, i) => Math.ceil(n / c.strides[i]!)));
      const attrs: Record<string, AttrValue> = {
        kernel_shape: c.kernel, strides: c.strides, dilations: c.dilations, auto_pad: mode,
        pads: new Array<number>(2 * r).fill(0),
      };
      const [y] = runOp('AveragePool', attrs, new Tensor('float64', Float64Array.from(c.x), c.dims));
      expect(y!.dims).toEqual(outDims);
      const want = wins.map((w) => w.values.reduce((a, b) => a + b, 0) / w.values.length);
      expectClose(y!.data as Float64Array, want, 1e-12, 1e-9);
    }), { numRuns: 100 });
  });
});

describe('LpPool', () => {
  it('matches (sum |x|^p)^(1/p) over the taps inside the input', () => {
    fc.assert(fc.property(poolCase(finite), fc.integer({ min: 1, max: 3 }), (c, p) => {
      const [y] = runOp('LpPool', { ...attrsOf(c), p }, new Tensor('float64', Float64Array.from(c.x), c.dims));
      const { outDims, wins } = windows(c);
      expect(y!.dims).toEqual(outDims);
      const want = wins.map((w) => w.values.reduce((a, b) => a + Math.abs(b) ** p, 0) ** (1 / p));
      expectClose(y!.data as Float64Array, want, 1e-9, 1e-9);
    }), { numRuns: 100 });
  });
});

describe('global pools', () => {
  const arb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 5 }).chain((dims) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return fc.record({ dims: fc.constant(dims), x: fc.array(extreme, { minLength: size, maxLength: size }) });
  });

  it('GlobalAveragePool / GlobalMaxPool / GlobalLpPool reduce every spatial dim', () => {
    fc.assert(fc.property(arb, ({ dims, x }) => {
      const t = new Tensor('float64', Float64Array.from(x), dims);
      const outDims = dims.map((d, i) => (i < 2 ? d : 1));
      const per = dims.slice(2).reduce((a, b) => a * b, 1);
      const groups = Array.from({ length: dims[0]! * dims[1]! }, (_, g) => x.slice(g * per, (g + 1) * per));
      const avg = runOp('GlobalAveragePool', {}, t)[0]!;
      expect(avg.dims).toEqual(outDims);
      expectClose(avg.data as Float64Array, groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length), 1e-12, 1e-9);
      const max = runOp('GlobalMaxPool', {}, t)[0]!;
      expectClose(max.data as Float64Array, groups.map((g) => (g.some(Number.isNaN) ? NaN : Math.max(-Infinity, ...g))));
      const lp = runOp('GlobalLpPool', { p: 2 }, t)[0]!;
      expectClose(lp.data as Float64Array, groups.map((g) => Math.sqrt(g.reduce((a, b) => a + b * b, 0))), 1e-12, 1e-9);
    }), { numRuns: 150 });
  });
});

describe('pool errors', () => {
  it('names the problem', () => {
    const x = new Tensor('float32', new Float32Array(4), [1, 1, 4]);
    expect(() => runOp('MaxPool', { kernel_shape: [2, 2] }, x)).toThrow(/rank 4/);
    expect(() => runOp('MaxPool', { kernel_shape: [5] }, x)).toThrow(/does not fit/);
    expect(() => runOp('AveragePool', { kernel_shape: [2], strides: [1, 1] }, x)).toThrow(/strides/);
    const xi = new Tensor('int32', new Int32Array(4), [1, 1, 4]);
    expect(() => runOp('MaxPool', { kernel_shape: [2] }, xi)).toThrow(/int32/);
  });
});
