// Property tests for the shape family (Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Expand,
// Identity, Dropout, Constant, ConstantOfShape, Range, EyeLike, NonZero, Compress) against plain
// references. Elements are compared by raw bytes where values only move.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shapeOps } from '../../ops/onnx/shape.js';
import { dropoutOps } from '../../ops/onnx/dropout.js';
import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

// ---- harness ----

function runOp(
  name: string, opset: number, inputs: (Tensor | undefined)[], attrs: Record<string, Attribute> = {}, nOut = 1,
): Tensor[] {
  const defs = [...shapeOps, ...dropoutOps].filter((d) => d.name === name && d.since <= opset);
  const def: OpDef = defs.reduce((a, b) => (b.since > a.since ? b : a));
  const map = new Map<string, Attribute>(Object.entries(attrs));
  const node: Node = {
    name: 'n', domain: '', opType: name, inputs: [], outputs: new Array<string>(nOut).fill('y'), attributes: map,
  };
  const parsed = def.parse ? def.parse(new Attrs(map), node) : undefined;
  const ctx = { node, opset, runSubgraph: () => { throw new Error('no subgraphs'); } };
  return def.run(inputs, parsed, ctx) as Tensor[];
}

const int = (value: number): Attribute => ({ type: 'int', value });
const ints = (value: readonly number[]): Attribute => ({ type: 'ints', value });
const int64 = (xs: readonly (number | bigint)[], dims = [xs.length]) =>
  new Tensor('int64', BigInt64Array.from(xs.map((x) => BigInt(x))), dims);
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function elements(t: Tensor): string[] {
  const d = t.data;
  if (Array.isArray(d)) return [...d];
  if (t.size === 0) return [];
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const per = d.byteLength / t.size;
  return Array.from({ length: t.size }, (_, i) =>
    Array.from(bytes.subarray(i * per, (i + 1) * per), (b) => b.toString(16).padStart(2, '0')).join(''));
}

const EXTREMES = [1e3, -1e3, Infinity, -Infinity, NaN, 0, -0, 1.5, -2.25];
const floatArb = fc.oneof(fc.constantFrom(...EXTREMES), fc.float({ noDefaultInfinity: false }));
const dimsArb = (maxRank = 4, maxDim = 4, minRank = 0) =>
  fc.array(fc.integer({ min: 0, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const f32Tensor = (dims: readonly number[]) =>
  fc.array(floatArb, { minLength: size(dims), maxLength: size(dims) })
    .map((xs) => new Tensor('float32', Float32Array.from(xs), dims));

// ---- Reshape / Flatten / Squeeze / Unsqueeze ----

describe('Reshape', () => {
  it('infers 0 (copy) and -1 (rest) and keeps the data', () => {
    fc.assert(fc.property(
      dimsArb(4, 4).chain((dims) => fc.tuple(
        f32Tensor(dims),
        // A target shape: a permutation-free regrouping of the dims, with some marked 0 / -1.
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: dims.length, maxLength: dims.length }),
        fc.option(fc.nat(), { nil: undefined }),
      )),
      ([x, marks, inferAt]) => {
        const dims = x.dims;
        const target = dims.map((d, i) => (marks[i] === 1 ? 0 : d));
        if (inferAt !== undefined && dims.length > 0) {
          const i = inferAt % dims.length;
          const others = dims.reduce((p, d, j) => (j === i ? p : p * d), 1);
          if (others !== 0) target[i] = -1;
        }
        const [y] = runOp('Reshape', 14, [x, int64(target)]);
        expect(y!.dims).toEqual(dims);
        expect(elements(y!)).toEqual(elements(x));
      },
    ), { numRuns: 150 });
  });

  it('merges and splits dims; rejects sizes that do not match', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }),
      (a, b, c) => {
        const x = new Tensor('int32', Int32Array.from({ length: a * b * c }, (_, i) => i), [a, b, c]);
        expect(runOp('Reshape', 5, [x, int64([a, b * c])])[0]!.dims).toEqual([a, b * c]);
        expect(runOp('Reshape', 5, [x, int64([-1])])[0]!.dims).toEqual([a * b * c]);
        if (a > 0) expect(runOp('Reshape', 5, [x, int64([0, -1])])[0]!.dims).toEqual([a, b * c]);
        else expect(() => runOp('Reshape', 5, [x, int64([0, -1])])).toThrow(/ambiguous/);
        expect(() => runOp('Reshape', 5, [x, int64([a * b * c + 1])])).toThrow(/reshape/);
        expect(() => runOp('Reshape', 5, [x, int64([-1, -1])])).toThrow(/-1/);
      }), { numRuns: 50 });
  });

  it('allowzero=1 keeps a literal 0 and refuses 0 with -1', () => {
    const x = new Tensor('float32', new Float32Array(0), [0, 3]);
    expect(runOp('Reshape', 14, [x, int64([3, 0])], { allowzero: int(1) })[0]!.dims).toEqual([3, 0]);
    expect(runOp('Reshape', 14, [x, int64([0, 3])], { allowzero: int(0) })[0]!.dims).toEqual([0, 3]);
    expect(() => runOp('Reshape', 14, [x, int64([0, -1])], { allowzero: int(1) })).toThrow();
    const y = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp('Reshape', 14, [y, int64([3, 0])], { allowzero: int(1) })).toThrow();
  });
});

describe('Flatten, Squeeze, Unsqueeze', () => {
  it('Flatten splits the dims at axis (negative axes too)', () => {
    fc.assert(fc.property(dimsArb(4, 3).chain((d) => fc.tuple(f32Tensor(d), fc.integer({ min: -d.length, max: d.length }))),
      ([x, axis]) => {
        const a = axis < 0 ? axis + x.dims.length : axis;
        const [y] = runOp('Flatten', 13, [x], { axis: int(axis) });
        expect(y!.dims).toEqual([size(x.dims.slice(0, a)), size(x.dims.slice(a))]);
        expect(elements(y!)).toEqual(elements(x));
      }), { numRuns: 100 });
  });

  it('Unsqueeze inserts 1s where asked; Squeeze with the same axes undoes it (attribute and input forms)', () => {
    fc.assert(fc.property(
      dimsArb(3, 3).chain((d) => fc.tuple(f32Tensor(d), fc.integer({ min: 1, max: 3 }))).chain(([x, k]) => {
        const r = x.dims.length + k;
        return fc.tuple(fc.constant(x), fc.shuffledSubarray([...Array(r).keys()], { minLength: k, maxLength: k }),
          fc.array(fc.boolean(), { minLength: k, maxLength: k }));
      }),
      ([x, axes, neg]) => {
        const r = x.dims.length + axes.length;
        const given = axes.map((a, i) => (neg[i] ? a - r : a));
        const expected: number[] = [];
        let j = 0;
        for (let i = 0; i < r; i++) expected.push(axes.includes(i) ? 1 : x.dims[j++]!);
        const [u13] = runOp('Unsqueeze', 13, [x, int64(given)]);
        const [u1] = runOp('Unsqueeze', 11, [x], { axes: ints(given) });
        expect(u13!.dims).toEqual(expected);
        expect(u1!.dims).toEqual(expected);
        const [s13] = runOp('Squeeze', 13, [u13!, int64(given)]);
        const [s1] = runOp('Squeeze', 11, [u1!], { axes: ints(given) });
        expect(s13!.dims).toEqual(x.dims);
        expect(s1!.dims).toEqual(x.dims);
        expect(elements(s13!)).toEqual(elements(x));
      },
    ), { numRuns: 100 });
  });

  it('Squeeze without axes drops every 1 and refuses a non-1 axis', () => {
    fc.assert(fc.property(dimsArb(5, 3).chain(f32Tensor), (x) => {
      const [y] = runOp('Squeeze', 13, [x]);
      expect(y!.dims).toEqual(x.dims.filter((d) => d !== 1));
      const bad = x.dims.findIndex((d) => d !== 1);
      if (bad >= 0) expect(() => runOp('Squeeze', 13, [x, int64([bad])])).toThrow(/not 1/);
    }), { numRuns: 60 });
  });
});

// ---- Shape / Size ----

describe('Shape and Size', () => {
  it('Shape(start, end) is the Python slice dims[start:end]', () => {
    fc.assert(fc.property(dimsArb(5, 4), fc.integer({ min: -7, max: 7 }), fc.option(fc.integer({ min: -7, max: 7 })),
      (dims, start, end) => {
        const x = Tensor.zeros('float32', dims);
        const attrs: Record<string, Attribute> = { start: int(start) };
        if (end !== null) attrs.end = int(end);
        const [y] = runOp('Shape', 15, [x], attrs);
        // Python slicing, written out: negative counts from the end, then clamp to [0, rank].
        const r = dims.length;
        const norm = (v: number) => Math.min(r, Math.max(0, v < 0 ? r + v : v));
        const expected: number[] = [];
        for (let i = norm(start); i < (end === null ? r : norm(end)); i++) expected.push(dims[i]!);
        expect(y!.type).toBe('int64');
        expect(y!.toNumbers()).toEqual(expected);
        const [s] = runOp('Size', 13, [x]);
        expect(s!.dims).toEqual([]);
        expect(s!.toNumbers()).toEqual([size(dims)]);
      }), { numRuns: 100 });
  });
});

// ---- Expand ----

describe('Expand', () => {
  it('broadcasts both ways and matches a coordinate reference', () => {
    fc.assert(fc.property(
      dimsArb(4, 3).chain((d) => fc.tuple(
        f32Tensor(d.map((x, i) => (i % 2 === 0 ? x : 1))),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 4 }),
      )),
      ([x, extra]) => {
        // A shape that broadcasts with x: 1 where x has a real dim, or x's dim, or anything against a 1.
        const r = Math.max(x.dims.length, extra.length);
        const xd = [...new Array<number>(r - x.dims.length).fill(1), ...x.dims];
        const sd = new Array<number>(r).fill(1).map((_, i) => (xd[i] === 1 ? (extra[i] ?? 1) : (extra[i] ?? 0) % 2 ? 1 : xd[i]!));
        const shape = sd.slice(r - Math.max(extra.length, 0));
        const [y] = runOp('Expand', 13, [x, int64(shape)]);
        const outDims = xd.map((d, i) => {
          const s = i - (r - shape.length) >= 0 ? shape[i - (r - shape.length)]! : 1;
          return d === 1 ? s : d;
        });
        expect(y!.dims).toEqual(outDims);
        const xs = elements(x);
        const ref: string[] = [];
        for (let i = 0; i < size(outDims); i++) {
          let rem = i;
          let src = 0;
          let mul = 1;
          for (let a = r - 1; a >= 0; a--) {
            const c = rem % outDims[a]!;
            rem = Math.floor(rem / outDims[a]!);
            src += (xd[a] === 1 ? 0 : c) * mul;
            mul *= xd[a]!;
          }
          ref.push(xs[src]!);
        }
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 150 });
  });

  it('rejects shapes that do not broadcast', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp('Expand', 13, [x, int64([4])])).toThrow(/broadcast/);
  });
});

// ---- Identity / Dropout ----

describe('Identity and Dropout', () => {
  it('pass the input through; the Dropout mask is all true (or ones before opset 10)', () => {
    fc.assert(fc.property(dimsArb(3, 3).chain(f32Tensor), fc.double({ min: 0, max: 0.9, noNaN: true }), (x, ratio) => {
      expect(elements(runOp('Identity', 16, [x])[0]!)).toEqual(elements(x));
      const [y, mask] = runOp('Dropout', 13, [x, new Tensor('float32', Float32Array.of(ratio), [])], {}, 2);
      expect(elements(y!)).toEqual(elements(x));
      expect(mask!.type).toBe('bool');
      expect([...(mask!.data as Uint8Array)].every((v) => v === 1)).toBe(true);
      const [, old] = runOp('Dropout', 7, [x], {}, 2);
      expect(old!.type).toBe('float32');
      expect([...(old!.data as Float32Array)].every((v) => v === 1)).toBe(true);
      const zero = runOp('Dropout', 13, [x, new Tensor('float32', Float32Array.of(0), []), new Tensor('bool', [true], [])]);
      expect(elements(zero[0]!)).toEqual(elements(x));
    }), { numRuns: 50 });
    // Training mode: every output is 0 or x / (1 - ratio), as the mask says; the same seed
    // gives the same mask; an integer input is refused.
    const x = new Tensor('float32', Float32Array.from({ length: 64 }, (_, i) => i + 1), [64]);
    const train = [x, new Tensor('float32', Float32Array.of(0.5), []), new Tensor('bool', [true], [])];
    const seed = { seed: { type: 'int', value: 7 } as Attribute };
    const [y, mask] = runOp('Dropout', 13, train, seed, 2);
    const yv = y!.data as Float32Array;
    const mv = mask!.data as Uint8Array;
    for (let i = 0; i < 64; i++) expect(yv[i]).toBe(mv[i] ? (i + 1) * 2 : 0);
    expect(mv.some((v) => v === 1) && mv.some((v) => v === 0)).toBe(true);
    expect(Array.from(runOp('Dropout', 13, train, seed, 2)[1]!.data as Uint8Array)).toEqual(Array.from(mv));
    const ints = new Tensor('int32', new Int32Array(4), [4]);
    expect(() => runOp('Dropout', 13, [ints, train[1], train[2]])).toThrow(/training needs a float input/);
  });
});

// ---- Constant / ConstantOfShape ----

describe('Constant and ConstantOfShape', () => {
  it('Constant builds each attribute form', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 5 }), (xs) => {
      expect(runOp('Constant', 13, [], { value_ints: ints(xs) })[0]!.toNumbers()).toEqual(xs);
      const f = runOp('Constant', 13, [], { value_floats: { type: 'floats', value: xs } })[0]!;
      expect([f.type, f.dims]).toEqual(['float32', [xs.length]]);
      const s = runOp('Constant', 13, [], { value_strings: { type: 'strings', value: xs.map(String) } })[0]!;
      expect(s.data).toEqual(xs.map(String));
    }), { numRuns: 30 });
    expect(runOp('Constant', 13, [], { value_int: int(7) })[0]!.dims).toEqual([]);
    const sparse: Attribute = {
      type: 'sparse_tensor',
      value: { values: new Tensor('float32', [5, 6], [2]), indices: int64([1, 4]), dims: [2, 3] },
    };
    expect([...(runOp('Constant', 13, [], { sparse_value: sparse })[0]!.data as Float32Array)]).toEqual([0, 5, 0, 0, 6, 0]);
    expect(() => runOp('Constant', 13, [], { value_int: int(1), value_ints: ints([1]) })).toThrow(/exactly one/);
  });

  it('Constant sparse_value densifies linear and coordinate indices alike', () => {
    fc.assert(fc.property(
      dimsArb(3, 4, 1).chain((dims) => fc.tuple(fc.constant(dims),
        fc.shuffledSubarray([...Array(size(dims)).keys()]),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: size(dims), maxLength: size(dims) }))),
      ([dims, positions, vals]) => {
        const values = new Tensor('int32', Int32Array.from(positions, (_, i) => vals[i]!), [positions.length]);
        const dense = new Array<number>(size(dims)).fill(0);
        positions.forEach((p, i) => { dense[p] = vals[i]!; });
        const linear: Attribute = { type: 'sparse_tensor', value: { values, indices: int64(positions), dims } };
        expect(runOp('Constant', 13, [], { sparse_value: linear })[0]!.toNumbers()).toEqual(dense);
        const coords = positions.flatMap((p) => {
          const c: number[] = [];
          for (let a = dims.length - 1; a >= 0; a--) { c.unshift(p % dims[a]!); p = Math.floor(p / dims[a]!); }
          return c;
        });
        const coo: Attribute = {
          type: 'sparse_tensor', value: { values, indices: int64(coords, [positions.length, dims.length]), dims },
        };
        const [y] = runOp('Constant', 13, [], { sparse_value: coo });
        expect(y!.dims).toEqual(dims);
        expect(y!.toNumbers()).toEqual(dense);
      },
    ), { numRuns: 60 });
  });

  it('ConstantOfShape repeats the value bits (int64, float16, default 0)', () => {
    fc.assert(fc.property(dimsArb(3, 3), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (dims, v) => {
      const value: Attribute = { type: 'tensor', value: new Tensor('int64', BigInt64Array.of(v), [1]) };
      const [y] = runOp('ConstantOfShape', 20, [int64(dims)], { value });
      expect(y!.dims).toEqual(dims);
      expect([...(y!.data as BigInt64Array)].every((x) => x === v)).toBe(true);
      const half: Attribute = { type: 'tensor', value: new Tensor('float16', Uint16Array.of(0x7e01), [1]) };
      expect([...(runOp('ConstantOfShape', 20, [int64(dims)], { value: half })[0]!.data as Uint16Array)]
        .every((x) => x === 0x7e01)).toBe(true);
      const [z] = runOp('ConstantOfShape', 20, [int64(dims)]);
      expect(z!.type).toBe('float32');
      expect([...(z!.data as Float32Array)].every((x) => Object.is(x, 0))).toBe(true);
    }), { numRuns: 50 });
  });
});

// ---- Range / EyeLike ----

describe('Range and EyeLike', () => {
  it('Range over ints matches a counting loop (both directions, int32 and int64)', () => {
    fc.assert(fc.property(fc.integer({ min: -30, max: 30 }), fc.integer({ min: -30, max: 30 }),
      fc.integer({ min: -7, max: 7 }).filter((d) => d !== 0), (start, limit, delta) => {
        const ref: number[] = [];
        for (let v = start; delta > 0 ? v < limit : v > limit; v += delta) ref.push(v);
        const i32 = (v: number) => new Tensor('int32', Int32Array.of(v), []);
        expect(runOp('Range', 11, [i32(start), i32(limit), i32(delta)])[0]!.toNumbers()).toEqual(ref);
        const i64 = (v: number) => int64([v], []);
        const [y] = runOp('Range', 11, [i64(start), i64(limit), i64(delta)]);
        expect(y!.type).toBe('int64');
        expect(y!.toNumbers()).toEqual(ref);
      }), { numRuns: 100 });
  });

  it('Range over floats has ceil((limit - start) / delta) entries start + i * delta', () => {
    fc.assert(fc.property(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }),
      fc.double({ min: 0.25, max: 10, noNaN: true }), fc.boolean(), (start, limit, d, neg) => {
        const delta = neg ? -d : d;
        const f64 = (v: number) => new Tensor('float64', Float64Array.of(v), []);
        const [y] = runOp('Range', 11, [f64(start), f64(limit), f64(delta)]);
        const n = Math.max(0, Math.ceil((limit - start) / delta));
        expect(y!.dims).toEqual([n]);
        (y!.data as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(start + i * delta, 9));
      }), { numRuns: 100 });
    const f = (v: number) => new Tensor('float32', Float32Array.of(v), []);
    expect(() => runOp('Range', 11, [f(0), f(1), f(0)])).toThrow(/delta/);
  });

  it('EyeLike puts ones on the k-th diagonal, in the requested type', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: -6, max: 6 }),
      fc.constantFrom(1, 7, 9, 10, 11), (rows, cols, k, dtype) => {
        const x = Tensor.zeros('int32', [rows, cols]);
        const [y] = runOp('EyeLike', 9, [x], { k: int(k), dtype: int(dtype) });
        const expected: number[] = [];
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expected.push(j - i === k ? 1 : 0);
        const got = y!.type === 'float16'
          ? [...(y!.data as Uint16Array)].map((b) => (b === 0x3c00 ? 1 : b))
          : y!.toNumbers();
        expect(got).toEqual(expected);
      }), { numRuns: 80 });
  });
});

// ---- NonZero / Compress ----

describe('NonZero and Compress', () => {
  it('NonZero lists the coordinates of non-zero entries (NaN counts, -0 does not)', () => {
    fc.assert(fc.property(dimsArb(3, 4).chain(f32Tensor), (x) => {
      const [y] = runOp('NonZero', 13, [x]);
      const xs = x.data as Float32Array;
      const dims = x.dims.length === 0 ? [1] : x.dims;
      const coords: number[][] = dims.map(() => []);
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] !== 0) {
          let rem = i;
          for (let a = dims.length - 1; a >= 0; a--) { coords[a]!.push(rem % dims[a]!); rem = Math.floor(rem / dims[a]!); }
        }
      }
      expect(y!.dims).toEqual([dims.length, coords[0]!.length]);
      expect(y!.toNumbers()).toEqual(coords.flat());
      // The same through float16 bits and int64.
      const half = new Tensor('float16', Uint16Array.from(xs, (v) => (v === 0 ? (Object.is(v, -0) ? 0x8000 : 0) : 0x3c00)), x.dims);
      expect(runOp('NonZero', 13, [half])[0]!.toNumbers()).toEqual(coords.flat());
      const big = new Tensor('int64', BigInt64Array.from(xs, (v) => (v === 0 ? 0n : -1n)), x.dims);
      expect(runOp('NonZero', 13, [big])[0]!.toNumbers()).toEqual(coords.flat());
    }), { numRuns: 100 });
  });

  it('Compress keeps the slices whose condition is set (axis, negative axis, flattened)', () => {
    fc.assert(fc.property(
      dimsArb(3, 4, 1).chain((d) => fc.tuple(f32Tensor(d), fc.integer({ min: -d.length, max: d.length - 1 }), fc.boolean()))
        .chain(([x, axis, flat]) => {
          const len = flat ? x.size : x.dims[axis < 0 ? axis + x.dims.length : axis]!;
          return fc.tuple(fc.constant(x), fc.constant(axis), fc.constant(flat),
            fc.array(fc.boolean(), { minLength: 0, maxLength: len }));
        }),
      ([x, axis, flat, cond]) => {
        const c = new Tensor('bool', cond, [cond.length]);
        const [y] = runOp('Compress', 11, [x, c], flat ? {} : { axis: int(axis) });
        const dims = flat ? [x.size] : x.dims;
        const a = flat ? 0 : axis < 0 ? axis + dims.length : axis;
        const keep = cond.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
        const outDims = [...dims];
        outDims[a] = keep.length;
        expect(y!.dims).toEqual(outDims);
        const xs = elements(x);
        const ref: string[] = [];
        const inner = size(dims.slice(a + 1));
        for (let o = 0; o < size(dims.slice(0, a)); o++) {
          for (const i of keep) for (let j = 0; j < inner; j++) ref.push(xs[(o * dims[a]! + i) * inner + j]!);
        }
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 150 });
  });
});
