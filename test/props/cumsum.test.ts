// CumSum / CumProd against a naive reference: each output element is the sum (product) of the
// input elements before it along the axis, found by explicit multi-index comparison.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { cumsumOps } from '../../ops/onnx/cumsum.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

function runOp(name: string, attrs: Record<string, number>, inputs: Tensor[]): Tensor {
  const d = cumsumOps.find((o) => o.name === name)!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) map.set(k, { type: 'int', value: v });
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext)[0] as Tensor;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function multiIndex(flat: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = flat % dims[d]!;
    flat = Math.floor(flat / dims[d]!);
  }
  return idx;
}

/** For output i: the input positions j on the same line along `axis` that it accumulates. */
function contributors(i: number, dims: readonly number[], axis: number, exclusive: boolean, reverse: boolean): number[] {
  const a = multiIndex(i, dims);
  const out: number[] = [];
  for (let j = 0; j < size(dims); j++) {
    const b = multiIndex(j, dims);
    if (!a.every((v, d) => d === axis || v === b[d])) continue;
    const before = reverse ? b[axis]! > a[axis]! : b[axis]! < a[axis]!;
    if (before || (!exclusive && b[axis] === a[axis])) out.push(j);
  }
  // Accumulation order: along the scan direction.
  return reverse ? out.reverse() : out;
}

function refScan(
  data: readonly number[], dims: readonly number[], axis: number, exclusive: boolean, reverse: boolean, prod: boolean,
): number[] {
  return data.map((_, i) => contributors(i, dims, axis, exclusive, reverse)
    .reduce((acc, j) => (prod ? acc * data[j]! : acc + data[j]!), prod ? 1 : 0));
}

const caseArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }).chain((dims) => fc.record({
  dims: fc.constant(dims),
  data: fc.array(fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN, 1e3, -1e3, 0) },
  ), { minLength: size(dims), maxLength: size(dims) }),
  axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
  exclusive: fc.boolean(),
  reverse: fc.boolean(),
  prod: fc.boolean(),
}));

function same(a: number, b: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

describe('CumSum / CumProd', () => {
  it('float64 matches the naive reference (exclusive, reverse, negative axes, zero-sized dims, ±Inf, NaN)', () => {
    fc.assert(
      fc.property(caseArb, ({ dims, data, axis, exclusive, reverse, prod }) => {
        const x = new Tensor('float64', Float64Array.from(data), dims);
        const y = runOp(prod ? 'CumProd' : 'CumSum', { exclusive: +exclusive, reverse: +reverse },
          [x, new Tensor('int64', [BigInt(axis)], [])]);
        expect(y.dims).toEqual(dims);
        const ref = refScan(data, dims, axis < 0 ? axis + dims.length : axis, exclusive, reverse, prod);
        const got = Array.from(y.data as Float64Array);
        for (let i = 0; i < ref.length; i++) {
          if (!same(got[i]!, ref[i]!)) throw new Error(`element ${i}: got ${got[i]}, expected ${ref[i]}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('int32 wraps like 32-bit arithmetic; int64 is exact', () => {
    fc.assert(
      fc.property(caseArb, fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 64, maxLength: 64 }),
        ({ dims, axis, exclusive, reverse, prod }, pool) => {
          const data = Array.from({ length: size(dims) }, (_, i) => pool[i % 64]!);
          const ax = axis < 0 ? axis + dims.length : axis;
          const y32 = runOp(prod ? 'CumProd' : 'CumSum', { exclusive: +exclusive, reverse: +reverse },
            [new Tensor('int32', Int32Array.from(data), dims), new Tensor('int32', [axis], [1])]);
          const y64 = runOp(prod ? 'CumProd' : 'CumSum', { exclusive: +exclusive, reverse: +reverse },
            [new Tensor('int64', data.map(BigInt), dims), new Tensor('int64', [BigInt(axis)], [1])]);
          for (let i = 0; i < data.length; i++) {
            const big = contributors(i, dims, ax, exclusive, reverse)
              .reduce((acc, j) => (prod ? acc * BigInt(data[j]!) : acc + BigInt(data[j]!)), prod ? 1n : 0n);
            expect((y32.data as Int32Array)[i]).toBe(Number(BigInt.asIntN(32, big)));
            expect((y64.data as BigInt64Array)[i]).toBe(BigInt.asIntN(64, big));
          }
        }),
      { numRuns: 150 },
    );
  });

  it('float16 rounds the float32 scan back to half', () => {
    const x = new Tensor('float16', Uint16Array.from([0x3c00, 0x4000, 0x4200]), [3]); // 1, 2, 3
    const y = runOp('CumSum', {}, [x, new Tensor('int64', [0n], [])]);
    expect(Array.from(y.data as Uint16Array)).toEqual([0x3c00, 0x4200, 0x4600]); // 1, 3, 6
  });

  it('rejects an axis out of range', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp('CumSum', {}, [x, new Tensor('int64', [2n], [])])).toThrow(/axis 2 out of range/);
  });
});
