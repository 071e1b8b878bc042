// Unique against a sort-and-dedupe reference: slices are extracted by index arithmetic, the
// distinct ones sorted with an explicit comparator (NaN last and equal to NaN, -0 equal to 0).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uniqueOps } from '../../ops/onnx/unique.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

function runUnique(attrs: Record<string, number>, x: Tensor): Tensor[] {
  const d = uniqueOps.find((o) => o.name === 'Unique')!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) map.set(k, { type: 'int', value: v });
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run([x], parsed, undefined as unknown as OpContext) as Tensor[];
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

type Scalar = number | bigint | string;

function compareScalar(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') {
    const an = Number.isNaN(a);
    const bn = Number.isNaN(b);
    if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSlices(a: readonly Scalar[], b: readonly Scalar[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareScalar(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Reference: slices along axis (or single elements), deduplicated and ordered. */
function refUnique(values: readonly Scalar[], dims: readonly number[], axis: number | null, sorted: boolean) {
  let slices: Scalar[][];
  if (axis === null) {
    slices = values.map((v) => [v]);
  } else {
    const n = dims[axis]!;
    slices = Array.from({ length: n }, () => []);
    // Walk elements in row-major order; each goes to the slice of its axis coordinate, so every
    // slice lists its elements in row-major order of the remaining axes.
    for (let flat = 0; flat < values.length; flat++) {
      let rest = flat;
      let coord = 0;
      for (let a = dims.length - 1; a >= 0; a--) {
        if (a === axis) coord = rest % dims[a]!;
        rest = Math.floor(rest / dims[a]!);
      }
      slices[coord]!.push(values[flat]!);
    }
  }
  const groups: { slice: Scalar[]; first: number; count: number }[] = [];
  slices.forEach((s, i) => {
    const g = groups.find((q) => compareSlices(q.slice, s) === 0);
    if (g) g.count++;
    else groups.push({ slice: s, first: i, count: 1 });
  });
  if (sorted) groups.sort((p, q) => compareSlices(p.slice, q.slice));
  const inverse = slices.map((s) => groups.findIndex((g) => compareSlices(g.slice, s) === 0));
  return { groups, inverse };
}

/** The reference's Y values in row-major order of the output tensor. */
function refY(values: readonly Scalar[], dims: readonly number[], axis: number | null, firsts: readonly number[]): Scalar[] {
  if (axis === null) return firsts.map((i) => values[i]!);
  const outer = size(dims.slice(0, axis));
  const inner = size(dims.slice(axis + 1));
  const n = dims[axis]!;
  const out: Scalar[] = [];
  for (let o = 0; o < outer; o++) {
    for (const f of firsts) for (let k = 0; k < inner; k++) out.push(values[(o * n + f) * inner + k]!);
  }
  return out;
}

const TYPES = ['float32', 'float64', 'int32', 'int64', 'uint64', 'bool', 'string', 'uint8'] as const;
type Ty = typeof TYPES[number];

function makeTensor(type: Ty, pool: readonly number[], dims: readonly number[]): { t: Tensor; vals: Scalar[] } {
  switch (type) {
    case 'float32': { const d = Float32Array.from(pool); return { t: new Tensor(type, d, dims), vals: Array.from(d) }; }
    case 'float64': return { t: new Tensor(type, Float64Array.from(pool), dims), vals: pool.slice() };
    case 'int32': { const d = Int32Array.from(pool.map((v) => (Number.isFinite(v) ? v : 7))); return { t: new Tensor(type, d, dims), vals: Array.from(d) }; }
    case 'uint8': { const d = Uint8Array.from(pool.map((v) => (Number.isFinite(v) ? Math.abs(v) % 256 : 9))); return { t: new Tensor(type, d, dims), vals: Array.from(d) }; }
    case 'bool': { const d = Uint8Array.from(pool.map((v) => (v > 0 ? 1 : 0))); return { t: new Tensor(type, d, dims), vals: Array.from(d) }; }
    case 'int64': {
      // Large magnitudes exercise both 32-bit halves.
      const b = pool.map((v) => (Number.isFinite(v) ? BigInt(Math.trunc(v)) * 0x1_0000_0001n : -(2n ** 63n)));
      return { t: new Tensor(type, b, dims), vals: b };
    }
    case 'uint64': {
      const b = pool.map((v) => (Number.isFinite(v) ? BigInt(Math.abs(Math.trunc(v))) * 0x8000_0001n : 2n ** 64n - 1n));
      return { t: new Tensor(type, BigUint64Array.from(b), dims), vals: b };
    }
    case 'string': { const s = pool.map((v) => String(v)); return { t: new Tensor(type, s, dims), vals: s }; }
  }
}

const caseArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }).chain((dims) => fc.record({
  dims: fc.constant(dims),
  // Few distinct values so duplicates (and duplicate slices) are common.
  data: fc.array(fc.oneof(
    fc.constantFrom(-1e3, -1, 0, -0, 1, 2, 1e3, Infinity, -Infinity, NaN),
    fc.integer({ min: -2, max: 2 }),
  ), { minLength: size(dims), maxLength: size(dims) }),
  axis: fc.option(fc.integer({ min: -dims.length, max: dims.length - 1 }), { nil: null }),
  sorted: fc.boolean(),
  type: fc.constantFrom(...TYPES),
}));

describe('Unique', () => {
  it('matches the sort-and-dedupe reference: all four outputs, any axis, sorted or not, every type', () => {
    fc.assert(
      fc.property(caseArb, ({ dims, data, axis, sorted, type }) => {
        const { t, vals } = makeTensor(type, data, dims);
        const attrs: Record<string, number> = { sorted: sorted ? 1 : 0 };
        if (axis !== null) attrs.axis = axis;
        const [y, indices, inverse, counts] = runUnique(attrs, t);
        const ax = axis === null ? null : axis < 0 ? axis + dims.length : axis;
        const ref = refUnique(vals, dims, ax, sorted);
        const firsts = ref.groups.map((g) => g.first);
        expect(y!.type).toBe(type);
        expect(y!.dims).toEqual(ax === null ? [firsts.length] : dims.map((d, i) => (i === ax ? firsts.length : d)));
        const got = type === 'string' ? (y!.data as string[]) : Array.from(y!.data as ArrayLike<number | bigint>);
        const want = refY(vals, dims, ax, firsts);
        // Compare with NaN == NaN and -0 == 0 (the first occurrence's bits are kept).
        expect(got.length).toBe(want.length);
        got.forEach((v, i) => expect(compareScalar(v, want[i]!)).toBe(0));
        expect(Array.from(indices!.data as BigInt64Array, Number)).toEqual(firsts);
        expect(Array.from(inverse!.data as BigInt64Array, Number)).toEqual(ref.inverse);
        expect(Array.from(counts!.data as BigInt64Array, Number)).toEqual(ref.groups.map((g) => g.count));
        for (const o of [indices, inverse, counts]) expect(o!.type).toBe('int64');
      }),
      { numRuns: 300 },
    );
  });

  it('Y gathered by inverse_indices rebuilds the input (flattened)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 30 }), fc.boolean(), (data, sorted) => {
        const x = new Tensor('float64', Float64Array.from(data), [data.length]);
        const [y, , inv] = runUnique({ sorted: +sorted }, x);
        const yv = y!.data as Float64Array;
        const rebuilt = Array.from(inv!.data as BigInt64Array, (i) => yv[Number(i)]! + 0);
        expect(rebuilt).toEqual(data.map((v) => v + 0));
        if (sorted) for (let i = 1; i < yv.length; i++) expect(yv[i]!).toBeGreaterThan(yv[i - 1]!);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects an axis out of range', () => {
    expect(() => runUnique({ axis: 2 }, new Tensor('float32', new Float32Array(4), [2, 2]))).toThrow(/axis 2 out of range/);
  });
});
