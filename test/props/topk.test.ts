// TopK against a sort reference: each slice's (value, index) pairs sorted by an explicit
// comparator (NaN above every number, ties by lower index), first k taken.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { topkOps } from '../../ops/onnx/topk.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

/** Runs the definition the runtime would pick at `opset` (newest since <= opset). */
function runOp(opset: number, attrs: Record<string, number>, inputs: Tensor[]): Tensor[] {
  const d = topkOps.filter((o: OpDef) => o.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) map.set(k, { type: 'int', value: v });
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext) as Tensor[];
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Rank of a against b: negative when a comes first. */
function order(a: { v: number; i: number }, b: { v: number; i: number }, largest: boolean): number {
  const an = Number.isNaN(a.v);
  const bn = Number.isNaN(b.v);
  if (an !== bn) return (an ? -1 : 1) * (largest ? 1 : -1);
  if (!an && a.v !== b.v) return largest ? (a.v > b.v ? -1 : 1) : (a.v < b.v ? -1 : 1);
  return a.i - b.i;
}

/** Reference over dims [outer, n, inner]; returns values and indices in output order. */
function refTopK(data: readonly number[], dims: readonly number[], axis: number, k: number, largest: boolean) {
  const outer = size(dims.slice(0, axis));
  const n = dims[axis]!;
  const inner = size(dims.slice(axis + 1));
  const values = new Array<number>(outer * k * inner);
  const indices = new Array<number>(outer * k * inner);
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const slice = Array.from({ length: n }, (_, i) => ({ v: data[(a * n + i) * inner + b]!, i }));
      slice.sort((p, q) => order(p, q, largest));
      for (let j = 0; j < k; j++) {
        values[(a * k + j) * inner + b] = slice[j]!.v;
        indices[(a * k + j) * inner + b] = slice[j]!.i;
      }
    }
  }
  return { values, indices };
}

const caseArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }).chain((dims) => fc.record({
  dims: fc.constant(dims),
  // Few distinct values so ties are frequent; extremes and NaN included.
  data: fc.array(fc.oneof(
    fc.constantFrom(-1e3, -1, 0, 1, 2, 1e3, Infinity, -Infinity, NaN),
    fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  ), { minLength: size(dims), maxLength: size(dims) }),
  axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
  kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  largest: fc.boolean(),
}));

describe('TopK', () => {
  it('float32 / float64 match the sort reference (ties, NaN, ±Inf, negative axes, k = 0 and k = n)', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ dims, data, axis, kFrac, largest }, f64) => {
        const ax = axis < 0 ? axis + dims.length : axis;
        const k = Math.round(kFrac * dims[ax]!);
        const x = f64 ? new Tensor('float64', Float64Array.from(data), dims) : new Tensor('float32', Float32Array.from(data), dims);
        const [vals, idx] = runOp(11, { axis, largest: largest ? 1 : 0 }, [x, new Tensor('int64', [BigInt(k)], [1])]);
        const ref = refTopK(Array.from(x.data as Float32Array | Float64Array), dims, ax, k, largest);
        const outDims = dims.map((d, i) => (i === ax ? k : d));
        expect(vals!.dims).toEqual(outDims);
        expect(idx!.dims).toEqual(outDims);
        expect(Array.from(idx!.data as BigInt64Array, Number)).toEqual(ref.indices);
        expect(Array.from(vals!.data as Float32Array | Float64Array)).toEqual(ref.values);
      }),
      { numRuns: 300 },
    );
  });

  it('int64 / uint64 / int32 match the sort reference', () => {
    fc.assert(
      fc.property(caseArb, ({ dims, data, axis, kFrac, largest }) => {
        const ax = axis < 0 ? axis + dims.length : axis;
        const k = Math.round(kFrac * dims[ax]!);
        const ints = data.map((v) => (Number.isFinite(v) ? Math.trunc(v) + 0 : 3)); // + 0: no -0
        const ref = refTopK(ints, dims, ax, k, largest);
        const kT = new Tensor('int64', [BigInt(k)], [1]);
        const [v64, i64] = runOp(11, { axis, largest: +largest }, [new Tensor('int64', ints.map(BigInt), dims), kT]);
        expect(Array.from(v64!.data as BigInt64Array, Number)).toEqual(ref.values);
        expect(Array.from(i64!.data as BigInt64Array, Number)).toEqual(ref.indices);
        const [v32, i32] = runOp(11, { axis, largest: +largest }, [new Tensor('int32', Int32Array.from(ints), dims), kT]);
        expect(Array.from(v32!.data as Int32Array)).toEqual(ref.values);
        expect(Array.from(i32!.data as BigInt64Array, Number)).toEqual(ref.indices);
        const u = ints.map((v) => Math.abs(v));
        const refU = refTopK(u, dims, ax, k, largest);
        const [vu, iu] = runOp(11, { axis, largest: +largest }, [new Tensor('uint64', u.map(BigInt), dims), kT]);
        expect(Array.from(vu!.data as BigUint64Array, Number)).toEqual(refU.values);
        expect(Array.from(iu!.data as BigInt64Array, Number)).toEqual(refU.indices);
      }),
      { numRuns: 200 },
    );
  });

  it('long slices with small k (the heap-selection path) match the reference', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(NaN, Infinity, -Infinity, 1e3, -1e3)),
          { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 3 }), fc.nat(), fc.boolean(),
        (pool, inner, kSeed, largest) => {
          const n = pool.length;
          const k = kSeed % (Math.floor(n / 4) + 1);
          const data = Array.from({ length: n * inner }, (_, i) => pool[(i * 5) % n]!);
          const x = new Tensor('float32', Float32Array.from(data), [n, inner]);
          const [vals, idx] = runOp(11, { axis: 0, largest: +largest }, [x, new Tensor('int64', [BigInt(k)], [1])]);
          const ref = refTopK(Array.from(x.data as Float32Array), [n, inner], 0, k, largest);
          expect(Array.from(idx!.data as BigInt64Array, Number)).toEqual(ref.indices);
          expect(Array.from(vals!.data as Float32Array)).toEqual(ref.values);
        }),
      { numRuns: 200 },
    );
  });

  it('opset 1 takes k from the attribute, largest first', () => {
    const x = new Tensor('float32', Float32Array.from([3, 1, 4, 1, 5, 9]), [6]);
    const [v, i] = runOp(1, { k: 3 }, [x]);
    expect(Array.from(v!.data as Float32Array)).toEqual([9, 5, 4]);
    expect(Array.from(i!.data as BigInt64Array, Number)).toEqual([5, 4, 2]);
  });

  it('rejects k larger than the axis', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp(11, {}, [x, new Tensor('int64', [4n], [1])])).toThrow(/k = 4 out of range/);
  });
});

describe('argsortByKeys', () => {
  it('is a stable sort by key, in either direction, with NaN first or last', async () => {
    const { argsortByKeys } = await import('../../kernels/argsort.js');
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN)), { maxLength: 40 }),
      fc.boolean(), fc.boolean(),
      (vals, descending, nanFirst) => {
        const n = vals.length;
        const keys = Float64Array.from(vals);
        const idx = Int32Array.from({ length: n }, (_, i) => i);
        const got = Array.from(argsortByKeys(keys, idx, new Int32Array(n), n, descending, nanFirst).subarray(0, n));
        // Reference: group NaN apart, order numbers with a comparator, ties by index.
        const nums = vals.map((_, i) => i).filter((i) => !Number.isNaN(vals[i]!))
          .sort((a, b) => (descending ? vals[b]! - vals[a]! : vals[a]! - vals[b]!) || a - b);
        const nans = vals.map((_, i) => i).filter((i) => Number.isNaN(vals[i]!));
        expect(got).toEqual(nanFirst ? [...nans, ...nums] : [...nums, ...nans]);
      },
    ), { numRuns: 300 });
  });
});
