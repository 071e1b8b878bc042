// Property tests for the aten library against plain references written here: PyTorch's
// promotion table, elementwise arithmetic with broadcasting and extreme values, Python
// integer division, slicing, adaptive pooling, softmax, indexing, and in-place aliasing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensorOps } from '../../ops/aten/index.js';
import type { TsValue } from '../../ops/aten/aten-op.js';
import type { DataType } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';
import { adaptivePoolFloat } from '../../kernels/adaptive-pool.js';
import { sliceAssign } from '../../kernels/slice-assign.js';

function op(name: string, schema?: string) {
  const o = tensorOps.find((x) => x.name === `aten::${name}` && (schema === undefined || x.schema === schema));
  if (o === undefined) throw new Error(`no aten::${name} ${schema ?? ''}`);
  return o;
}
const run = (name: string, args: TsValue[], schema?: string) => op(name, schema).run(args);
const ADD_TT = '(Tensor self, Tensor other, *, Scalar alpha=1)';

/** c10's promoteTypes table (ScalarType.h), written out for u8 i8 i16 i32 i64 f32 f64 bool. */
const ORDER: DataType[] = ['uint8', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'bool'];
const TABLE: string[][] = [
  /* u8  */ ['uint8', 'int16', 'int16', 'int32', 'int64', 'float32', 'float64', 'uint8'],
  /* i8  */ ['int16', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'int8'],
  /* i16 */ ['int16', 'int16', 'int16', 'int32', 'int64', 'float32', 'float64', 'int16'],
  /* i32 */ ['int32', 'int32', 'int32', 'int32', 'int64', 'float32', 'float64', 'int32'],
  /* i64 */ ['int64', 'int64', 'int64', 'int64', 'int64', 'float32', 'float64', 'int64'],
  /* f32 */ ['float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float64', 'float32'],
  /* f64 */ ['float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64'],
  /* b   */ ['uint8', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'bool'],
];

function tensorOf(type: DataType, values: number[], dims: number[]): Tensor {
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))), dims);
  if (type === 'bool') return new Tensor('bool', Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)), dims);
  return new Tensor(type, values.map((v) => (type.startsWith('float') ? v : Math.trunc(v))), dims);
}

const extreme = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e3, -1e3, Infinity, -Infinity, NaN),
  fc.float({ min: -100, max: 100, noNaN: true }),
);

/** A shape and one broadcast-compatible partner shape (some dims set to 1 or dropped). */
const broadcastPair = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 }).chain((dims) =>
  fc.tuple(fc.constant(dims), fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }), fc.integer({ min: 0, max: dims.length }))
    .map(([d, ones, drop]) => [d, d.map((v, i) => (ones[i] ? 1 : v)).slice(drop)] as [number[], number[]]));

function size(d: readonly number[]): number { return d.reduce((a, b) => a * b, 1); }

/** Plain broadcast reference: out[i] = f(a[ia], b[ib]). */
function broadcastRef(a: number[], ad: number[], b: number[], bd: number[], f: (x: number, y: number) => number): number[] {
  const rank = Math.max(ad.length, bd.length);
  const A = [...new Array(rank - ad.length).fill(1), ...ad];
  const B = [...new Array(rank - bd.length).fill(1), ...bd];
  const O = A.map((v, i) => Math.max(v, B[i]!) * (v === 0 || B[i] === 0 ? 0 : 1));
  const out: number[] = [];
  const idx = new Array(rank).fill(0);
  for (let n = 0; n < size(O); n++) {
    let ia = 0, ib = 0;
    for (let k = 0; k < rank; k++) {
      ia = ia * A[k]! + (A[k] === 1 ? 0 : idx[k]);
      ib = ib * B[k]! + (B[k] === 1 ? 0 : idx[k]);
    }
    out.push(f(a[ia]!, b[ib]!));
    for (let k = rank - 1; k >= 0; k--) { if (++idx[k] < O[k]!) break; idx[k] = 0; }
  }
  return out;
}

const same = (x: number, y: number) => (Number.isNaN(y) ? Number.isNaN(x) : x === y || Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y)));

describe('type promotion', () => {
  it('tensor op tensor follows c10 promoteTypes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), (i, j) => {
      const a = tensorOf(ORDER[i]!, [1, 0], [2]);
      const b = tensorOf(ORDER[j]!, [1, 1], [2]);
      const want = TABLE[i]![j]!;
      const r = run(i === 7 && j === 7 ? 'mul' : 'add', [a, b, ...(i === 7 && j === 7 ? [] : [1n])], i === 7 && j === 7 ? '(Tensor self, Tensor other)' : ADD_TT) as Tensor;
      expect(r.type).toBe(want);
    }), { numRuns: 100 });
  });

  it('scalars and zero-dim tensors only raise the category', () => {
    const i32 = tensorOf('int32', [1, 2], [2]);
    const f32 = tensorOf('float32', [1, 2], [2]);
    const addS = (t: Tensor, s: TsValue) => (run('add', [t, s, 1n], '(Tensor self, Scalar other, Scalar alpha=1)') as Tensor).type;
    expect(addS(i32, 2n)).toBe('int32');
    expect(addS(i32, 2.5)).toBe('float32');
    expect(addS(tensorOf('bool', [1], [1]), 2n)).toBe('int64');
    expect(addS(f32, 2.5)).toBe('float32');
    expect((run('add', [f32, new Tensor('float64', [1], []), 1n], ADD_TT) as Tensor).type).toBe('float32');
    expect((run('add', [i32, new Tensor('float64', [1], []), 1n], ADD_TT) as Tensor).type).toBe('float64');
    expect((run('add', [new Tensor('float32', [1], []), new Tensor('float64', [1], []), 1n], ADD_TT) as Tensor).type).toBe('float64');
  });
});

describe('elementwise arithmetic', () => {
  const cases: [string, (x: number, y: number) => number, string][] = [
    ['add', (x, y) => x + y, ADD_TT], ['sub', (x, y) => x - y, ADD_TT],
    ['mul', (x, y) => x * y, '(Tensor self, Tensor other)'], ['div', (x, y) => x / y, '(Tensor self, Tensor other)'],
    ['maximum', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)), '(Tensor self, Tensor other)'],
  ];
  for (const [name, f, schema] of cases) {
    it(`${name} broadcasts and keeps IEEE semantics (float64)`, () => {
      fc.assert(fc.property(broadcastPair, fc.array(extreme, { minLength: 27, maxLength: 27 }), fc.array(extreme, { minLength: 27, maxLength: 27 }),
        ([ad, bd], av, bv) => {
          const a = av.slice(0, size(ad));
          const b = bv.slice(0, size(bd));
          const args: TsValue[] = [new Tensor('float64', a, ad), new Tensor('float64', b, bd)];
          if (schema === ADD_TT) args.push(1n);
          const r = run(name, args, schema) as Tensor;
          const want = broadcastRef(a, ad, b, bd, f);
          expect(r.toNumbers().length).toBe(want.length);
          r.toNumbers().forEach((v, i) => expect(same(v, want[i]!), `${v} vs ${want[i]}`).toBe(true));
        }), { numRuns: 150 });
    });
  }

  it('floor_divide and remainder follow Python on integers', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: -7, max: 7 }).filter((d) => d !== 0),
      (xs, d) => {
        const x = tensorOf('int64', xs, [xs.length]);
        const q = run('floor_divide', [x, BigInt(d)], '(Tensor self, Scalar other)') as Tensor;
        const m = run('remainder', [x, BigInt(d)], '(Tensor self, Scalar other)') as Tensor;
        xs.forEach((v, i) => {
          const fq = Math.floor(v / d) + 0; // no -0 in integers
          expect(Number((q.data as BigInt64Array)[i])).toBe(fq);
          expect(Number((m.data as BigInt64Array)[i])).toBe(v - fq * d);
        });
      }), { numRuns: 100 });
  });

  it('remainder on floats takes the sign of the divisor', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.constantFrom(-3, -0.5, 2, 7),
      (xs, d) => {
        const r = run('remainder', [new Tensor('float64', xs, [xs.length]), d], '(Tensor self, Scalar other)') as Tensor;
        r.toNumbers().forEach((v, i) => {
          const want = xs[i]! - Math.floor(xs[i]! / d) * d;
          expect(Math.abs(v - want) <= 1e-9 * Math.max(1, Math.abs(xs[i]!)) || Math.abs(Math.abs(v - want) - Math.abs(d)) < 1e-9).toBe(true);
        });
      }), { numRuns: 100 });
  });
});

describe('slice', () => {
  it('matches Python slicing of a list', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.option(fc.integer({ min: -12, max: 12 })), fc.option(fc.integer({ min: -12, max: 12 })),
      fc.integer({ min: 1, max: 4 }), (n, start, end, step) => {
        const xs = Array.from({ length: n }, (_, i) => i * 10);
        const r = run('slice', [new Tensor('float32', xs, [n]), 0n, start === null ? null : BigInt(start), end === null ? null : BigInt(end), BigInt(step)]) as Tensor;
        // Python's slice on a list (step > 0).
        const norm = (v: number | null, dflt: number) => (v === null ? dflt : v < 0 ? Math.max(0, v + n) : Math.min(v, n));
        const want: number[] = [];
        for (let i = norm(start, 0); i < norm(end, n); i += step) want.push(xs[i]!);
        expect(r.toNumbers()).toEqual(want);
      }), { numRuns: 200 });
  });
});

describe('adaptive pooling kernel', () => {
  it('matches a plain reference, NaN propagating in max', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }),
      fc.array(extreme, { minLength: 49, maxLength: 49 }), fc.boolean(), (h, w, oh, ow, vals, isMax) => {
        const x = Float64Array.from(vals.slice(0, h * w));
        const out = new Float64Array(oh * ow);
        adaptivePoolFloat(x, out, 1, [1, h, w], [1, oh, ow], isMax, null);
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            const cells: number[] = [];
            for (let y = Math.floor((i * h) / oh); y < Math.ceil(((i + 1) * h) / oh); y++) {
              for (let z = Math.floor((j * w) / ow); z < Math.ceil(((j + 1) * w) / ow); z++) cells.push(x[y * w + z]!);
            }
            const want = isMax
              ? (cells.some(Number.isNaN) ? NaN : Math.max(...cells))
              : cells.reduce((a, b) => a + b, 0) / cells.length;
            expect(same(out[i * ow + j]!, want), `${out[i * ow + j]} vs ${want}`).toBe(true);
          }
        }
      }), { numRuns: 150 });
  });
});

describe('softmax', () => {
  it('rows sum to 1 for finite inputs, including ±1e3', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.oneof(fc.constantFrom(1e3, -1e3, 0), fc.float({ min: -50, max: 50, noNaN: true })), { minLength: 12, maxLength: 12 }),
      (n, vals) => {
        const x = new Tensor('float32', vals.slice(0, 2 * n), [2, n]);
        const r = run('softmax', [x, -1n, null]) as Tensor;
        const v = r.toNumbers();
        for (let row = 0; row < 2; row++) {
          const s = v.slice(row * n, row * n + n).reduce((a, b) => a + b, 0);
          expect(Math.abs(s - 1)).toBeLessThan(1e-5);
        }
      }), { numRuns: 100 });
  });
});

describe('indexing', () => {
  it('index with a long tensor gathers rows; index_put writes them back', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      (rows, cols, picks) => {
        const xs = Array.from({ length: rows * cols }, (_, i) => i);
        const x = new Tensor('float32', xs, [rows, cols]);
        const idx = picks.map((p) => (p % (2 * rows)) - rows); // negative indices too
        const it = new Tensor('int64', BigInt64Array.from(idx, BigInt), [idx.length]);
        const r = run('index', [x, [it]], '(Tensor self, Tensor?[] indices)') as Tensor;
        const want = idx.flatMap((i) => xs.slice(((i + rows) % rows) * cols, ((i + rows) % rows + 1) * cols));
        expect(r.toNumbers()).toEqual(want);
        const put = run('index_put', [x, [it], new Tensor('float32', [-1], []), false], '(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False)') as Tensor;
        const hit = new Set(idx.map((i) => (i + rows) % rows));
        expect(put.toNumbers()).toEqual(xs.map((v, k) => (hit.has(Math.floor(k / cols)) ? -1 : v)));
      }), { numRuns: 100 });
  });

  it('a bool mask selects like a filter', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true, min: -5, max: 5 }), { minLength: 0, maxLength: 10 }), (vals) => {
      const x = new Tensor('float32', vals, [vals.length]);
      const mask = run('gt', [x, 0], '(Tensor self, Scalar other)') as Tensor;
      const r = run('index', [x, [mask]], '(Tensor self, Tensor?[] indices)') as Tensor;
      expect(r.toNumbers()).toEqual(Array.from(new Float32Array(vals)).filter((v) => v > 0));
    }), { numRuns: 100 });
  });
});

describe('shape round trips', () => {
  it('split undoes cat', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), (lens, other) => {
      const parts = lens.map((l, k) => new Tensor('float32', Array.from({ length: l * other }, (_, i) => k * 100 + i), [l, other]));
      const whole = run('cat', [parts, 0n]) as Tensor;
      const back = run('split', [whole, lens.map(BigInt), 0n], '(Tensor self, int[] split_size, int dim=0)') as Tensor[];
      back.forEach((t, k) => expect(t.toNumbers()).toEqual(parts[k]!.toNumbers()));
    }), { numRuns: 100 });
  });
});

describe('in-place ops and aliasing', () => {
  it('add_ mutates self, returns it, and views sharing the data see the change', () => {
    const base = new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]);
    const view = run('view', [base, [3n, 2n]]) as Tensor;
    const flat = run('flatten', [base, 0n, -1n]) as Tensor;
    const r = run('add_', [base, 10n, 1n], '(Tensor self, Scalar other, Scalar alpha=1)');
    expect(r).toBe(base);
    expect(view.toNumbers()).toEqual([11, 12, 13, 14, 15, 16]);
    expect(flat.toNumbers()).toEqual([11, 12, 13, 14, 15, 16]);
  });

  it('x[:, 0] += 1 (select + add_) writes back into the base', () => {
    const base = new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]);
    const col = run('select', [run('slice', [base, 0n, 0n, 9223372036854775807n, 1n]), 1n, 0n]) as Tensor;
    run('add_', [col, 1n, 1n], '(Tensor self, Scalar other, Scalar alpha=1)');
    expect(base.toNumbers()).toEqual([2, 2, 3, 5, 5, 6]);
  });

  it('x[a:b:s, c] = y (slice + select + copy_) matches a plain reference', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }),
      fc.integer({ min: 1, max: 3 }), fc.nat(), (rows, cols, start, end, step, c) => {
        const xs = Array.from({ length: rows * cols }, (_, i) => i);
        const base = new Tensor('float32', xs, [rows, cols]);
        const sl = run('slice', [base, 0n, BigInt(start), BigInt(end), BigInt(step)]) as Tensor;
        const col = run('select', [sl, 1n, BigInt(c % cols)]) as Tensor;
        run('copy_', [col, new Tensor('float32', [-1], []), false]);
        const norm = (v: number) => (v < 0 ? Math.max(0, v + rows) : Math.min(v, rows));
        const want = [...xs];
        for (let r = norm(start); r < norm(end); r += step) want[r * cols + (c % cols)] = -1;
        expect(base.toNumbers()).toEqual(want);
      }), { numRuns: 150 });
  });

  it('in-place ops through reshape and transpose of a slice reach the base', () => {
    const base = new Tensor('float32', [0, 1, 2, 3, 4, 5, 6, 7], [2, 4]);
    const right = run('slice', [base, 1n, 2n, 4n, 1n]) as Tensor; // [[2, 3], [6, 7]]
    const t = run('t', [right]) as Tensor; // [[2, 6], [3, 7]]
    const flat = run('view', [t, [-1n]]) as Tensor;
    run('mul_', [flat, 10n], '(Tensor self, Scalar other)');
    expect(base.toNumbers()).toEqual([0, 1, 20, 30, 4, 5, 60, 70]);
  });

  it('limitation: a view taken before its base is mutated keeps its old values', () => {
    const base = new Tensor('float32', [1, 2, 3, 4], [2, 2]);
    const row = run('select', [base, 0n, 0n]) as Tensor;
    run('zero_', [base]);
    expect(row.toNumbers()).toEqual([1, 2]); // PyTorch would give [0, 0]
  });

  it('in-place integer ops refuse a float result', () => {
    const x = new Tensor('int64', BigInt64Array.of(1n, 2n), [2]);
    expect(() => run('add_', [x, 0.5, 1n], '(Tensor self, Scalar other, Scalar alpha=1)')).toThrow(/can't be cast/);
  });
});

describe('sliceAssign kernel', () => {
  it('writes a block into strided positions (plain reference), any element width', () => {
    const dimsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });
    fc.assert(fc.property(dimsArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 }), fc.nat()), { minLength: 3, maxLength: 3 }),
      fc.constantFrom(1, 2), (dims, picks, width) => {
        const starts: number[] = [];
        const steps: number[] = [];
        const block: number[] = [];
        dims.forEach((d, a) => {
          const [s0, st, c0] = picks[a]!;
          const s = s0 % d;
          const maxCount = Math.floor((d - 1 - s) / st) + 1;
          starts.push(s);
          steps.push(st);
          block.push(c0 % (maxCount + 1));
        });
        const n = dims.reduce((p, d) => p * d, 1) * width;
        const m = block.reduce((p, d) => p * d, 1) * width;
        const dst = Uint32Array.from({ length: n }, (_, i) => i);
        const src = Uint32Array.from({ length: m }, (_, i) => 1000 + i);
        const want = Array.from(dst);
        const idx = new Array(block.length).fill(0);
        for (let k = 0; k < m / width; k++) {
          let off = 0;
          dims.forEach((d, a) => { off = off * d + starts[a]! + idx[a] * steps[a]!; });
          for (let w = 0; w < width; w++) want[off * width + w] = src[k * width + w]!;
          for (let a = block.length - 1; a >= 0; a--) { if (++idx[a] < block[a]!) break; idx[a] = 0; }
        }
        sliceAssign(dst, src, dims, starts, steps, block, width);
        expect(Array.from(dst)).toEqual(want);
      }), { numRuns: 200 });
  });
});
