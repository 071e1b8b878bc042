// Det against cofactor (Laplace) expansion, and TensorScatter against a per-element loop.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../kernels/float16.js';
import { detOps } from '../../ops/onnx/det.js';
import { tensorScatterOps } from '../../ops/onnx/tensor-scatter.js';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

type AttrValue = number | string | readonly number[];

/** Runs the definition the runtime would pick at `opset`; numbers are int attributes. */
function runOp(ops: readonly OpDef[], name: string, opset: number, attrs: Record<string, AttrValue>, inputs: (Tensor | undefined)[]): Tensor[] {
  const d = ops.filter((o) => o.name === name && o.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'number') map.set(k, { type: 'int', value: v });
    else if (typeof v === 'string') map.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else map.set(k, { type: 'ints', value: v });
  }
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext) as Tensor[];
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Determinant by cofactor expansion along the first row. */
function cofactorDet(a: number[][]): number {
  const n = a.length;
  if (n === 0) return 1;
  if (n === 1) return a[0]![0]!;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const minor = a.slice(1).map((row) => row.filter((_, c) => c !== j));
    sum += (j % 2 === 0 ? 1 : -1) * a[0]![j]! * cofactorDet(minor);
  }
  return sum;
}

/** Hadamard's bound on |det|: the product of the rows' Euclidean norms (scale for tolerances). */
function hadamard(a: number[][]): number {
  return a.reduce((p, row) => p * Math.max(Math.hypot(...row), 1), 1);
}

function matrices(data: readonly number[], batch: number, m: number): number[][][] {
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => data[(b * m + i) * m + j]!)));
}

const detCase = fc.record({
  batchDims: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  m: fc.integer({ min: 0, max: 4 }),
}).chain(({ batchDims, m }) => fc.record({
  batchDims: fc.constant(batchDims),
  m: fc.constant(m),
  data: fc.array(fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    fc.constantFrom(0, 1e3, -1e3),
  ), { minLength: size(batchDims) * m * m, maxLength: size(batchDims) * m * m }),
}));

describe('Det', () => {
  it('float64 / float32 match cofactor expansion (batched, empty batches, 0 x 0 matrices)', () => {
    fc.assert(
      fc.property(detCase, fc.boolean(), ({ batchDims, m, data }, f64) => {
        const dims = [...batchDims, m, m];
        const x = f64 ? new Tensor('float64', Float64Array.from(data), dims) : new Tensor('float32', Float32Array.from(data), dims);
        const [y] = runOp(detOps, 'Det', 22, {}, [x]);
        expect(y!.type).toBe(x.type);
        expect(y!.dims).toEqual(batchDims);
        const mats = matrices(Array.from(x.data as Float32Array | Float64Array), size(batchDims), m);
        const got = Array.from(y!.data as Float32Array | Float64Array);
        mats.forEach((a, b) => {
          const ref = cofactorDet(a);
          const tol = (f64 ? 1e-12 : 1e-6) * hadamard(a);
          expect(Math.abs(got[b]! - ref)).toBeLessThanOrEqual(tol);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('integer matrices give the exact determinant; a repeated row gives 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 16, maxLength: 16 }), (m, vals) => {
        const a = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => vals[i * 4 + j]!));
        const [y] = runOp(detOps, 'Det', 22, {}, [new Tensor('float64', Float64Array.from(a.flat()), [m, m])]);
        expect(Math.round((y!.data as Float64Array)[0]!) + 0).toBe(cofactorDet(a) + 0);
        if (m >= 2) {
          const dup = a.map((row, i) => (i === m - 1 ? a[0]! : row));
          const [z] = runOp(detOps, 'Det', 22, {}, [new Tensor('float64', Float64Array.from(dup.flat()), [m, m])]);
          expect(Math.abs((z!.data as Float64Array)[0]!)).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a NaN element gives NaN; float16 is computed in float32 and rounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 16, maxLength: 16 }),
        fc.nat(), (m, vals, at) => {
          const data = vals.slice(0, m * m);
          const withNan = data.slice();
          withNan[at % (m * m)] = NaN;
          const [n] = runOp(detOps, 'Det', 22, {}, [new Tensor('float32', Float32Array.from(withNan), [m, m])]);
          expect((n!.data as Float32Array)[0]).toBeNaN();
          const half = new Uint16Array(m * m);
          float32ToFloat16(Float32Array.from(data), half);
          const back = new Float32Array(m * m);
          float16ToFloat32(half, back);
          const [h] = runOp(detOps, 'Det', 22, {}, [new Tensor('float16', half, [m, m])]);
          expect(h!.type).toBe('float16');
          const got = new Float32Array(1);
          float16ToFloat32(h!.data as Uint16Array, got);
          const a = matrices(Array.from(back), 1, m)[0]!;
          const ref = cofactorDet(a);
          expect(Math.abs(got[0]! - ref)).toBeLessThanOrEqual(1e-3 * Math.abs(ref) + 1e-5 * hadamard(a));
        }),
      { numRuns: 150 },
    );
  });

  it('rejects non-square input', () => {
    expect(() => runOp(detOps, 'Det', 22, {}, [new Tensor('float32', new Float32Array(6), [2, 3])])).toThrow(/\[\.\.\., M, M\]/);
  });
});

// ---- TensorScatter ----

/** Multi-index of flat offset i in dims. */
function unravel(i: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let a = dims.length - 1; a >= 0; a--) {
    idx[a] = i % dims[a]!;
    i = Math.floor(i / dims[a]!);
  }
  return idx;
}

function ravel(idx: readonly number[], dims: readonly number[]): number {
  return idx.reduce((off, v, a) => off * dims[a]! + v, 0);
}

const scatterCase = fc.integer({ min: 2, max: 4 }).chain((rank) => fc.record({
  dims: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: rank, maxLength: rank }),
  axisRaw: fc.integer({ min: 1, max: rank - 1 }),
  negative: fc.boolean(),
  maxSeq: fc.integer({ min: 1, max: 5 }),
  seqFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  circular: fc.boolean(),
  starts: fc.array(fc.nat({ max: 20 }), { minLength: 3, maxLength: 3 }),
  withIndices: fc.boolean(),
  type: fc.constantFrom('float32', 'int64', 'string', 'float16'),
}));

describe('TensorScatter', () => {
  it('matches the per-element reference (linear / circular, negative axis, empty dims, any type)', () => {
    fc.assert(
      fc.property(scatterCase, (c) => {
        const rank = c.dims.length;
        const axis = c.axisRaw;
        const past = c.dims.slice();
        past[axis] = c.maxSeq;
        const upd = past.slice();
        const seq = Math.round(c.seqFrac * c.maxSeq);
        upd[axis] = seq;
        const batch = past[0]!;
        const starts = Array.from({ length: batch }, (_, b) => {
          const s = c.starts[b]!;
          return c.circular ? s : s % (c.maxSeq - seq + 1);
        });
        const pastVals = Array.from({ length: size(past) }, (_, i) => i + 1);
        const updVals = Array.from({ length: size(upd) }, (_, i) => -(i + 1));
        const make = (vals: number[], dims: number[]): Tensor => {
          switch (c.type) {
            case 'int64': return new Tensor('int64', vals.map(BigInt), dims);
            case 'string': return new Tensor('string', vals.map(String), dims);
            case 'float16': {
              const h = new Uint16Array(vals.length);
              float32ToFloat16(Float32Array.from(vals), h);
              return new Tensor('float16', h, dims);
            }
            default: return new Tensor('float32', Float32Array.from(vals), dims);
          }
        };
        const expected = pastVals.slice();
        for (let u = 0; u < updVals.length; u++) {
          const idx = unravel(u, upd);
          let t = starts[idx[0]!]! + idx[axis]!;
          if (c.circular) t %= c.maxSeq;
          idx[axis] = t;
          expected[ravel(idx, past)] = updVals[u]!;
        }
        const useIdx = c.withIndices || starts.some((s) => s !== 0);
        const wi = useIdx ? new Tensor('int64', starts.map(BigInt), [batch]) : undefined;
        const [y] = runOp(tensorScatterOps, 'TensorScatter', 24,
          { axis: c.negative ? axis - rank : axis, mode: c.circular ? 'circular' : 'linear' },
          [make(pastVals, past), make(updVals, upd), wi]);
        expect(y!.dims).toEqual(past);
        expect(y!.type).toBe(c.type);
        expect(y!.data).toEqual(make(expected, past).data);
      }),
      { numRuns: 200 },
    );
  });

  it('linear mode rejects a write past the end; axis 0 is rejected', () => {
    const past = new Tensor('float32', new Float32Array(2 * 4 * 2), [2, 4, 2]);
    const upd = new Tensor('float32', new Float32Array(2 * 2 * 2), [2, 2, 2]);
    const wi = new Tensor('int64', [0n, 3n], [2]);
    expect(() => runOp(tensorScatterOps, 'TensorScatter', 24, { axis: 1 }, [past, upd, wi])).toThrow(/write index 3 of batch 1/);
    expect(() => runOp(tensorScatterOps, 'TensorScatter', 24, { axis: 0 }, [past, upd, wi])).toThrow(/batch axis/);
  });
});
