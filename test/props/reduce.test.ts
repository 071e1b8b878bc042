// Reduce* and ArgMax/ArgMin against plain references: every input element is routed to its
// output group by explicit multi-index arithmetic, and each group folded with obvious loops.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReduceKind, reduceFloat, reductionPlan } from '../../kernels/reduce.js';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { reduceOps } from '../../ops/onnx/reduce.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

// ---------- helpers ----------

/** The definition the runtime would pick at `opset`: the newest `since` <= opset. */
function findOp(name: string, opset: number): OpDef {
  let best: OpDef | undefined;
  for (const o of reduceOps) {
    if (o.name === name && o.since <= opset && (!best || o.since > best.since)) best = o;
  }
  if (!best) throw new Error(`no ${name} at opset ${opset}`);
  return best;
}

function runOp(
  name: string, opset: number, attrs: Record<string, number | number[]>, inputs: (Tensor | undefined)[],
): Tensor {
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    map.set(k, Array.isArray(v) ? { type: 'ints', value: v } : { type: 'int', value: v });
  }
  const d = findOp(name, opset);
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

function flatIndex(idx: readonly number[], dims: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < dims.length; d++) f = f * dims[d]! + idx[d]!;
  return f;
}

/** Groups input values by output element (keepdims shape); reduced coordinates collapse to 0. */
function groups(data: readonly number[], dims: readonly number[], flags: readonly boolean[]): number[][] {
  const keepDims = dims.map((d, i) => (flags[i] ? 1 : d));
  const out: number[][] = Array.from({ length: size(keepDims) }, () => []);
  for (let i = 0; i < data.length; i++) {
    const idx = multiIndex(i, dims).map((v, d) => (flags[d] ? 0 : v));
    out[flatIndex(idx, keepDims)]!.push(data[i]!);
  }
  return out;
}

function refFold(kind: ReduceKind, v: readonly number[]): number {
  let s = 0;
  switch (kind) {
    case 'sum': for (const x of v) s += x; return s;
    case 'mean': for (const x of v) s += x; return s / v.length;
    case 'max': return Math.max(...v); // Math.max: NaN wins, [] gives -Infinity
    case 'min': return Math.min(...v);
    case 'prod': s = 1; for (const x of v) s *= x; return s;
    case 'l1': for (const x of v) s += Math.abs(x); return s;
    case 'l2': for (const x of v) s += x * x; return Math.sqrt(s);
    case 'sumsquare': for (const x of v) s += x * x; return s;
    case 'logsum': for (const x of v) s += x; return Math.log(s);
    case 'logsumexp': {
      const m = Math.max(...v);
      if (Number.isNaN(m) || !Number.isFinite(m)) return m;
      for (const x of v) s += Math.exp(x - m);
      return m + Math.log(s);
    }
  }
}

function close(actual: number, expected: number, rel: number): boolean {
  return isClose(actual, expected, { rtol: rel, atol: rel });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!close(actual[i]!, expected[i]!, rel)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (all: ${Array.from(actual)} vs ${expected})`);
    }
  }
}

// ---------- generators ----------

const KINDS: ReduceKind[] = ['sum', 'mean', 'max', 'min', 'prod', 'l1', 'l2', 'logsum', 'logsumexp', 'sumsquare'];
const OP_NAME: Record<ReduceKind, string> = {
  sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd',
  l1: 'ReduceL1', l2: 'ReduceL2', logsum: 'ReduceLogSum', logsumexp: 'ReduceLogSumExp', sumsquare: 'ReduceSumSquare',
};

const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(1e3, -1e3, 0, -0, 1, -1) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN) },
);

const dimsArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });

/** A shape, data of that shape, and per-axis reduce flags. */
const caseArb = dimsArb.chain((dims) =>
  fc.record({
    dims: fc.constant(dims),
    data: fc.array(value, { minLength: size(dims), maxLength: size(dims) }),
    flags: fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
  }));

// ---------- kernel properties ----------

describe('reduceFloat vs grouped reference', () => {
  it('matches every kind on random shapes, axes, zero-sized dims and extremes (float64)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...KINDS), ({ dims, data, flags }, kind) => {
        const plan = reductionPlan(dims, flags);
        const out = new Float64Array(plan.outer.length);
        reduceFloat(kind, Float64Array.from(data), out, plan);
        expectClose(out, groups(data, dims, flags).map((g) => refFold(kind, g)), 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('logsumexp of large values stays finite and within [max, max + log n]', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 20 }), (v) => {
        const plan = reductionPlan([v.length], [true]);
        const out = new Float32Array(1);
        reduceFloat('logsumexp', Float32Array.from(v), out, plan);
        const m = Math.max(...v.map(Math.fround));
        expect(Number.isFinite(out[0]!)).toBe(true);
        expect(out[0]!).toBeGreaterThanOrEqual(Math.fround(m) - 1e-3);
        expect(out[0]!).toBeLessThanOrEqual(m + Math.log(v.length) + 1e-3);
      }),
      { numRuns: 100 },
    );
  });

  it('max/min propagate NaN wherever it sits in the group', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 10 }),
        fc.nat(), (v, at) => {
          const data = v.slice();
          data[at % data.length] = NaN;
          const plan = reductionPlan([data.length], [true]);
          for (const kind of ['max', 'min', 'logsumexp'] as const) {
            const out = new Float64Array(1);
            reduceFloat(kind, Float64Array.from(data), out, plan);
            expect(Number.isNaN(out[0]!)).toBe(true);
          }
        }),
      { numRuns: 100 },
    );
  });
});

// ---------- op-level properties ----------

describe('Reduce* ops', () => {
  it('input form (negative axes, keepdims) matches the reference for float32', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...KINDS), fc.boolean(), fc.boolean(),
        ({ dims, data, flags }, kind, keepdims, negate) => {
          const axes = flags.flatMap((f, d) => (f ? [negate ? d - dims.length : d] : []));
          const all = axes.length === 0;
          const refFlags = all ? dims.map(() => true) : flags;
          const x = new Tensor('float32', Float32Array.from(data), dims);
          const y = runOp(OP_NAME[kind], kind === 'sum' ? 13 : 18, { keepdims: keepdims ? 1 : 0 },
            [x, new Tensor('int64', axes.map(BigInt), [axes.length])]);
          const expectedDims = dims.flatMap((d, i) => (refFlags[i] ? (keepdims ? [1] : []) : [d]));
          expect(y.dims).toEqual(expectedDims);
          const ref = groups(Array.from(x.data as Float32Array), dims, refFlags).map((g) => Math.fround(refFold(kind, g)));
          expectClose(y.data as Float32Array, ref, 1e-6);
        }),
      { numRuns: 300 },
    );
  });

  it('attribute form equals input form', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...KINDS), ({ dims, data, flags }, kind) => {
        const axes = flags.flatMap((f, d) => (f ? [d] : []));
        const x = new Tensor('float64', Float64Array.from(data), dims);
        const a = runOp(OP_NAME[kind], 1, { axes, keepdims: 0 }, [x]);
        const b = runOp(OP_NAME[kind], kind === 'sum' ? 13 : 18, { keepdims: 0 }, [x, new Tensor('int64', axes.map(BigInt), [axes.length])]);
        expect(a.dims).toEqual(b.dims);
        expectClose(a.data as Float64Array, Array.from(b.data as Float64Array), 0);
      }),
      { numRuns: 100 },
    );
  });

  it('noop_with_empty_axes reduces over no axes: elementwise fold of single elements', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(...KINDS), ({ dims, data }, kind) => {
        const x = new Tensor('float64', Float64Array.from(data), dims);
        const y = runOp(OP_NAME[kind], 18, { noop_with_empty_axes: 1 }, [x]);
        expect(y.dims).toEqual(dims);
        expectClose(y.data as Float64Array, data.map((v) => refFold(kind, [v])), 1e-12);
      }),
      { numRuns: 100 },
    );
  });

  it('empty reductions give the identities (sum 0, prod 1, max -inf, min +inf, logsumexp -inf)', () => {
    const x = new Tensor('float32', new Float32Array(0), [2, 0, 3]);
    const axes = new Tensor('int64', [1n], [1]);
    const expected: Partial<Record<ReduceKind, number>> = {
      sum: 0, prod: 1, max: -Infinity, min: Infinity, logsumexp: -Infinity, logsum: -Infinity, l1: 0, l2: 0, sumsquare: 0,
    };
    for (const [kind, v] of Object.entries(expected) as [ReduceKind, number][]) {
      const y = runOp(OP_NAME[kind], 18, { keepdims: 1 }, [x, axes]);
      expect(y.dims).toEqual([2, 1, 3]);
      expect(Array.from(y.data as Float32Array)).toEqual(new Array(6).fill(v));
    }
  });

  it('int32 / int64 / uint8 / bool reductions match integer references', () => {
    fc.assert(
      fc.property(dimsArb.chain((dims) => fc.record({
        dims: fc.constant(dims),
        data: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: size(dims), maxLength: size(dims) }),
        flags: fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
      })), fc.constantFrom('sum', 'max', 'min', 'sumsquare', 'l1') as fc.Arbitrary<ReduceKind>,
      ({ dims, data, flags }, kind) => {
        const axes = flags.flatMap((f, d) => (f ? [d] : []));
        const refFlags = axes.length === 0 ? dims.map(() => true) : flags;
        const g = groups(data, dims, refFlags);
        const axesT = new Tensor('int64', axes.map(BigInt), [axes.length]);
        const since = kind === 'sum' ? 13 : 18;
        const i32 = runOp(OP_NAME[kind], since, {}, [new Tensor('int32', Int32Array.from(data), dims), axesT]);
        const lim32 = { max: -(2 ** 31), min: 2 ** 31 - 1 } as Record<string, number>;
        expect(Array.from(i32.data as Int32Array)).toEqual(g.map((v) => (v.length === 0 && kind in lim32 ? lim32[kind]! : refFold(kind, v) | 0)));
        const i64 = runOp(OP_NAME[kind], since, {}, [new Tensor('int64', data.map(BigInt), dims), axesT]);
        const lim64 = { max: -(2n ** 63n), min: 2n ** 63n - 1n } as Record<string, bigint>;
        expect(Array.from(i64.data as BigInt64Array)).toEqual(g.map((v) => (v.length === 0 && kind in lim64 ? lim64[kind]! : BigInt(refFold(kind, v)))));
        if (kind === 'max' || kind === 'min') {
          const bools = data.map((v) => (v > 0 ? 1 : 0));
          const b = runOp(OP_NAME[kind], 18, {}, [new Tensor('bool', Uint8Array.from(bools), dims), axesT]);
          const gb = groups(bools, dims, refFlags);
          expect(Array.from(b.data as Uint8Array)).toEqual(gb.map((v) => (kind === 'max' ? (v.some((e) => e) ? 1 : 0) : (v.every((e) => e) ? 1 : 0))));
          const u8 = data.map((v) => v & 255);
          const c = runOp(OP_NAME[kind], 18, {}, [new Tensor('uint8', Uint8Array.from(u8), dims), axesT]);
          const gu = groups(u8, dims, refFlags);
          expect(Array.from(c.data as Uint8Array)).toEqual(gu.map((v) => (v.length === 0 ? (kind === 'max' ? 0 : 255) : refFold(kind, v))));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('int32 prod / sumsquare / sum wrap like 32-bit arithmetic; int64 like 64-bit', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 0, maxLength: 6 }),
        fc.constantFrom('prod', 'sumsquare', 'sum') as fc.Arbitrary<ReduceKind>, (v, kind) => {
          let big = kind === 'prod' ? 1n : 0n;
          for (const e of v) {
            const b = BigInt(e);
            big = kind === 'prod' ? big * b : kind === 'sumsquare' ? big + b * b : big + b;
          }
          const y32 = runOp(OP_NAME[kind], 18, { keepdims: 0 }, [new Tensor('int32', Int32Array.from(v), [v.length])]);
          expect((y32.data as Int32Array)[0]).toBe(Number(BigInt.asIntN(32, big)));
          const y64 = runOp(OP_NAME[kind], 18, { keepdims: 0 }, [new Tensor('int64', v.map(BigInt), [v.length])]);
          expect((y64.data as BigInt64Array)[0]).toBe(BigInt.asIntN(64, big));
        }),
      { numRuns: 200 },
    );
  });

  it('rejects out-of-range and repeated axes', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp('ReduceSum', 13, {}, [x, new Tensor('int64', [2n], [1])])).toThrow(/axis 2 out of range/);
    expect(() => runOp('ReduceSum', 13, {}, [x, new Tensor('int64', [1n, -1n], [2])])).toThrow(/twice/);
  });
});

// ---------- ArgMax / ArgMin ----------

/** Independent reference: find the extreme value (NaN if any), then its first or last position. */
function refArg(v: readonly number[], isMax: boolean, last: boolean): number {
  const target = v.some(Number.isNaN) ? NaN : isMax ? Math.max(...v) : Math.min(...v);
  const hits = v.flatMap((x, i) => (Number.isNaN(target) ? Number.isNaN(x) : x === target) ? [i] : []);
  return last ? hits[hits.length - 1]! : hits[0]!;
}

describe('ArgMax / ArgMin', () => {
  const argCase = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((dims) => fc.record({
    dims: fc.constant(dims),
    // Few distinct values, so ties are common.
    data: fc.array(fc.oneof(fc.constantFrom(-1e3, -1, 0, 1, 1e3, Infinity, -Infinity), fc.constant(NaN)),
      { minLength: size(dims), maxLength: size(dims) }),
    axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
  }));

  it('matches the reference over axes, keepdims, select_last_index, ties and NaN', () => {
    fc.assert(
      fc.property(argCase, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(),
        ({ dims, data, axis }, isMax, keepdims, last, asInt64) => {
          const x = asInt64
            ? new Tensor('int64', data.map((v) => BigInt(Number.isFinite(v) ? v : v !== v ? 7 : Math.sign(v) * 5000)), dims)
            : new Tensor('float32', Float32Array.from(data), dims);
          const xs = asInt64 ? Array.from(x.data as BigInt64Array, Number) : Array.from(x.data as Float32Array);
          const y = runOp(isMax ? 'ArgMax' : 'ArgMin', 1,
            { axis, keepdims: keepdims ? 1 : 0, select_last_index: last ? 1 : 0 }, [x]);
          const a = axis < 0 ? axis + dims.length : axis;
          const flags = dims.map((_, d) => d === a);
          const expected = groups(xs, dims, flags).map((g) => refArg(g, isMax, last));
          expect(Array.from(y.data as BigInt64Array, Number)).toEqual(expected);
          expect(y.dims).toEqual(keepdims ? dims.map((d, i) => (i === a ? 1 : d)) : dims.filter((_, i) => i !== a));
        }),
      { numRuns: 300 },
    );
  });
});
