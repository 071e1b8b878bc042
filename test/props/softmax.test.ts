// Softmax / LogSoftmax / Hardmax against plain references (numpy semantics).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hardmaxFloat, logSoftmaxFloat, softmaxFloat } from '../../kernels/softmax.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { softmaxOps } from '../../ops/onnx/softmax.js';
import { isClose } from '../helpers/allclose.js';

// ------------------------------------------------------------------ references

/** Row-major strides of `dims`. */
/** For every element of a [outer, n, inner] view, the flat indices of its row. */
function rows(outer: number, n: number, inner: number): number[][] {
  const out: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r: number[] = [];
      for (let k = 0; k < n; k++) r.push((o * n + k) * inner + i);
      out.push(r);
    }
  }
  return out;
}

/** numpy: e = exp(x - x.max()); e / e.sum(). Math.max propagates NaN like np.max. */
function refSoftmax(x: number[], row: number[], out: number[]): void {
  const m = Math.max(...row.map((i) => x[i]!));
  const e = row.map((i) => Math.exp(x[i]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  row.forEach((i, k) => { out[i] = e[k]! / s; });
}

function refLogSoftmax(x: number[], row: number[], out: number[]): void {
  const m = Math.max(...row.map((i) => x[i]!));
  const s = row.reduce((a, i) => a + Math.exp(x[i]! - m), 0);
  row.forEach((i) => { out[i] = x[i]! - m - Math.log(s); });
}

/** np.argmax semantics: first maximum, a NaN wins. */
function refHardmax(x: number[], row: number[], out: number[]): void {
  let best = 0;
  for (let k = 0; k < row.length; k++) {
    const v = x[row[k]!]!;
    if (Number.isNaN(v)) { best = k; break; }
    if (v > x[row[best]!]!) best = k;
  }
  row.forEach((i, k) => { out[i] = k === best ? 1 : 0; });
}

function close(a: number, b: number, rel = 1e-5, abs = 1e-6): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(got: ArrayLike<number>, want: number[], rel?: number, abs?: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (all: [${Array.from(got).join(', ')}] vs [${want.join(', ')}])`);
    }
  }
}

// ------------------------------------------------------------------ generators

const finite = fc.oneof(
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.constantFrom(-1e3, 1e3, 0, -0, 1e-30),
);
const extreme = fc.oneof(finite, fc.constantFrom(Infinity, -Infinity, NaN));

/** A shape of rank 1..4 with dims 0..4 and values for it. */
function shaped(values: fc.Arbitrary<number>) {
  return fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }).chain((dims) =>
    fc.record({
      dims: fc.constant(dims),
      x: fc.array(values, { minLength: dims.reduce((a, b) => a * b, 1), maxLength: dims.reduce((a, b) => a * b, 1) }),
      axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
    }));
}

function view(dims: number[], axis: number): [number, number, number] {
  const a = axis < 0 ? axis + dims.length : axis;
  const prod = (d: number[]) => d.reduce((p, v) => p * v, 1);
  return [prod(dims.slice(0, a)), dims[a]!, prod(dims.slice(a + 1))];
}

const kernels = [
  ['softmax', softmaxFloat, refSoftmax],
  ['logSoftmax', logSoftmaxFloat, refLogSoftmax],
  ['hardmax', hardmaxFloat, refHardmax],
] as const;

// ------------------------------------------------------------------ kernels

describe('softmax kernels vs plain references', () => {
  for (const [name, kernel, ref] of kernels) {
    it(`${name} matches the reference (float64, with ±Inf / NaN)`, () => {
      fc.assert(fc.property(shaped(extreme), ({ dims, x, axis }) => {
        const [outer, n, inner] = view(dims, axis);
        const out = new Float64Array(x.length);
        kernel(Float64Array.from(x), out, outer, n, inner);
        const want = new Array<number>(x.length).fill(0);
        for (const r of rows(outer, n, inner)) ref(x, r, want);
        expectClose(out, want, 1e-12, 1e-12);
      }), { numRuns: 200 });
    });

    it(`${name} matches the reference in float32`, () => {
      fc.assert(fc.property(shaped(finite), ({ dims, x, axis }) => {
        const [outer, n, inner] = view(dims, axis);
        const xf = Float32Array.from(x);
        const out = new Float32Array(x.length);
        kernel(xf, out, outer, n, inner);
        const want = new Array<number>(x.length).fill(0);
        for (const r of rows(outer, n, inner)) ref(Array.from(xf), r, want);
        expectClose(out, want, 1e-5, 1e-6);
      }), { numRuns: 150 });
    });
  }

  it('softmax rows sum to 1 and stay in [0, 1] for finite inputs', () => {
    fc.assert(fc.property(shaped(finite), ({ dims, x, axis }) => {
      const [outer, n, inner] = view(dims, axis);
      const out = new Float64Array(x.length);
      softmaxFloat(Float64Array.from(x), out, outer, n, inner);
      for (const r of rows(outer, n, inner)) {
        if (r.length === 0) continue;
        const s = r.reduce((a, i) => a + out[i]!, 0);
        expect(Math.abs(s - 1)).toBeLessThan(1e-9);
        for (const i of r) expect(out[i]! >= 0 && out[i]! <= 1).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('exp(logSoftmax) sums to 1 for finite inputs', () => {
    fc.assert(fc.property(shaped(finite), ({ dims, x, axis }) => {
      const [outer, n, inner] = view(dims, axis);
      const out = new Float64Array(x.length);
      logSoftmaxFloat(Float64Array.from(x), out, outer, n, inner);
      for (const r of rows(outer, n, inner)) {
        if (r.length === 0) continue;
        expect(Math.abs(r.reduce((a, i) => a + Math.exp(out[i]!), 0) - 1)).toBeLessThan(1e-9);
      }
    }), { numRuns: 150 });
  });

  it('handles [-1000, -1000], [1000, 1000] and ±1e3 mixes', () => {
    const cases: [number[], number[]][] = [
      [[-1000, -1000], [0.5, 0.5]],
      [[1000, 1000], [0.5, 0.5]],
      [[-1000, 1000], [0, 1]],
      [[1000, 1000, 1000, 1000], [0.25, 0.25, 0.25, 0.25]],
    ];
    for (const [x, want] of cases) {
      const out = new Float32Array(x.length);
      softmaxFloat(Float32Array.from(x), out, 1, x.length, 1);
      expectClose(out, want, 1e-6, 1e-7);
    }
    const ls = new Float64Array(2);
    logSoftmaxFloat(Float64Array.from([-1000, -1000]), ls, 1, 2, 1);
    expectClose(ls, [-Math.LN2, -Math.LN2], 1e-12, 1e-12);
  });

  it('a row of -Inf gives NaN like numpy; a +Inf makes the row NaN; a -Inf gets 0', () => {
    const out = new Float64Array(2);
    softmaxFloat(Float64Array.from([-Infinity, -Infinity]), out, 1, 2, 1);
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
    softmaxFloat(Float64Array.from([Infinity, 1]), out, 1, 2, 1);
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
    softmaxFloat(Float64Array.from([-Infinity, 3]), out, 1, 2, 1);
    expect(Array.from(out)).toEqual([0, 1]);
  });

  it('hardmax marks exactly one element per non-empty row', () => {
    fc.assert(fc.property(shaped(finite), ({ dims, x, axis }) => {
      const [outer, n, inner] = view(dims, axis);
      const out = new Float64Array(x.length);
      hardmaxFloat(Float64Array.from(x), out, outer, n, inner);
      for (const r of rows(outer, n, inner)) {
        if (r.length === 0) continue;
        expect(r.reduce((a, i) => a + out[i]!, 0)).toBe(1);
      }
    }), { numRuns: 100 });
  });
});

// ------------------------------------------------------------------ ops (axis semantics)

function runOp(name: string, opset: number, attrs: Record<string, number>, x: Tensor): Tensor {
  const defs = softmaxOps.filter((d) => d.name === name && d.since <= opset).sort((a, b) => b.since - a.since);
  const def = defs[0]!;
  const map = new Map<string, Attribute>(Object.entries(attrs).map(([k, v]) => [k, { type: 'int', value: v }]));
  const node = { name: 'n', domain: '', opType: name, inputs: ['x'], outputs: ['y'], attributes: map };
  const ctx: OpContext = { node, opset, runSubgraph: () => [] };
  return def.run([x], def.parse ? def.parse(new Attrs(map), node) : undefined, ctx)[0] as Tensor;
}

describe('softmax ops', () => {
  for (const [name, , ref] of kernels) {
    const opName = name[0]!.toUpperCase() + name.slice(1);
    it(`${opName} opset 13 works along the axis; opset 11 coerces to 2-D at the axis`, () => {
      fc.assert(fc.property(shaped(finite), ({ dims, x, axis }) => {
        const xf = Float32Array.from(x);
        const xs = Array.from(xf);
        // opset 13: per axis
        const y13 = runOp(opName, 13, { axis }, new Tensor('float32', xf, dims));
        expect(y13.dims).toEqual(dims);
        const [outer, n, inner] = view(dims, axis);
        const want13 = new Array<number>(x.length).fill(0);
        for (const r of rows(outer, n, inner)) ref(xs, r, want13);
        expectClose(y13.data as Float32Array, want13);
        // opset 11: rows of the 2-D coercion [prod(dims[:a]), prod(dims[a:])]
        const a = axis < 0 ? axis + dims.length : axis;
        const y11 = runOp(opName, 11, { axis }, new Tensor('float32', xf, dims));
        const lead = dims.slice(0, a).reduce((p, v) => p * v, 1);
        const want11 = new Array<number>(x.length).fill(0);
        for (const r of rows(lead, x.length / Math.max(lead, 1) || 0, 1)) ref(xs, r, want11);
        expectClose(y11.data as Float32Array, want11);
      }), { numRuns: 100 });
    });
  }

  it('defaults: axis -1 from opset 13, axis 1 before', () => {
    const x = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
    const y13 = runOp('Softmax', 13, {}, x).data as Float32Array;
    const y1 = runOp('Softmax', 1, {}, x).data as Float32Array;
    const e = [1, 2, 3].map((v) => Math.exp(v - 3));
    const s3 = e.reduce((a, b) => a + b);
    expectClose(y13, [...e, ...e].map((v) => v / s3));
    const e6 = [1, 2, 3, 4, 5, 6].map((v) => Math.exp(v - 6));
    const s6 = e6.reduce((a, b) => a + b);
    expectClose(y1, e6.map((v) => v / s6));
  });

  it('float16 input is computed in float32 and rounded back', () => {
    const bits = Uint16Array.from([0x3c00, 0x4000, 0xc000]); // 1, 2, -2
    const y = runOp('Softmax', 13, {}, new Tensor('float16', bits, [3]));
    expect(y.type).toBe('float16');
    const e = [1, 2, -2].map((v) => Math.exp(v - 2));
    const s = e.reduce((a, b) => a + b);
    const half = (h: number) => {
      const exp = (h >> 10) & 31, frac = h & 1023;
      return (exp === 0 ? frac * 2 ** -24 : (1 + frac / 1024) * 2 ** (exp - 15)) * (h & 0x8000 ? -1 : 1);
    };
    expectClose(Array.from(y.data as Uint16Array, half), e.map((v) => v / s), 1e-3, 1e-4);
  });

  it('rejects an out-of-range axis and non-float input', () => {
    const x = new Tensor('float32', Float32Array.from([1, 2]), [2]);
    expect(() => runOp('Softmax', 13, { axis: 1 }, x)).toThrow(/axis 1 out of range/);
    expect(() => runOp('Softmax', 13, {}, new Tensor('int32', Int32Array.from([1]), [1]))).toThrow(/float/);
  });
});
