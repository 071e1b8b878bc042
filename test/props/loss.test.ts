// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against their definitions:
// loss[n, d...] = -input[n, target[n, d...], d...] * weight[target] (0 when ignored),
// summed, or averaged over the weights applied; SCE first takes log_softmax over axis 1.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nllLossFloat } from '../../kernels/loss.js';
import { lossOps } from '../../ops/onnx/loss.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

type Reduction = 'none' | 'sum' | 'mean';

interface Case {
  dims: number[]; // [N, C, d1..dk]
  x: number[];
  target: number[]; // [N, d1..dk]
  weight?: number[];
  ignoreIndex?: number;
  reduction: Reduction;
  /** Overrides the target's shape (for shape-error tests). */
  targetDims?: number[];
}

// ------------------------------------------------------------------ references

/** Multi-index walk: calls fn(n, spatial flat index) for every target element. */
function refNll(c: Case, logProb: number[]): { none: number[]; sum: number; mean: number } {
  const [N, C] = [c.dims[0]!, c.dims[1]!];
  const D = c.dims.slice(2).reduce((a, b) => a * b, 1);
  const none: number[] = [];
  let sum = 0;
  let wsum = 0;
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const t = c.target[n * D + d]!;
      if (t === c.ignoreIndex) { none.push(0); continue; }
      const w = c.weight ? c.weight[t]! : 1;
      const l = -logProb[(n * C + t) * D + d]! * w;
      none.push(l);
      sum += l;
      wsum += w;
    }
  }
  return { none, sum, mean: sum / wsum };
}

/** log_softmax over axis 1 of [N, C, D]: x - max - log(sum(exp(x - max))). */
function refLogSoftmax(c: Case): number[] {
  const [N, C] = [c.dims[0]!, c.dims[1]!];
  const D = c.dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Array<number>(c.x.length).fill(0);
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      const idx = Array.from({ length: C }, (_, k) => (n * C + k) * D + d);
      const m = Math.max(...idx.map((i) => c.x[i]!));
      const s = idx.reduce((a, i) => a + Math.exp(c.x[i]! - m), 0);
      for (const i of idx) out[i] = c.x[i]! - m - Math.log(s);
    }
  }
  return out;
}

// ------------------------------------------------------------------ running the ops

function runOp(name: string, c: Case, type: 'float32' | 'float64', targetType: 'int32' | 'int64'): Tensor[] {
  const def = lossOps.find((d) => d.name === name)!;
  const map = new Map<string, Attribute>();
  map.set('reduction', { type: 'string', value: c.reduction, bytes: new TextEncoder().encode(c.reduction) });
  if (c.ignoreIndex !== undefined) map.set('ignore_index', { type: 'int', value: c.ignoreIndex });
  const node = { name: 'n', domain: '', opType: name, inputs: [], outputs: ['loss', 'log_prob'], attributes: map };
  const ctx: OpContext = { node, opset: 13, runSubgraph: () => [] };
  const f = (v: number[], dims: number[]) =>
    new Tensor(type, type === 'float32' ? Float32Array.from(v) : Float64Array.from(v), dims);
  const tdims = c.targetDims ?? [c.dims[0]!, ...c.dims.slice(2)];
  const target = targetType === 'int32'
    ? new Tensor('int32', Int32Array.from(c.target), tdims)
    : new Tensor('int64', BigInt64Array.from(c.target.map(BigInt)), tdims);
  const inputs = [f(c.x, c.dims), target, c.weight ? f(c.weight, [c.weight.length]) : undefined];
  return def.run(inputs, def.parse!(new Attrs(map), node), ctx) as Tensor[];
}

function close(a: number, b: number, rel: number, abs: number): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(what: string, got: ArrayLike<number>, want: number[], rel: number, abs: number): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

// ------------------------------------------------------------------ generators

function caseArb(values: fc.Arbitrary<number>): fc.Arbitrary<Case> {
  return fc.record({
    n: fc.integer({ min: 0, max: 3 }),
    c: fc.integer({ min: 1, max: 4 }),
    spatial: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    reduction: fc.constantFrom<Reduction>('none', 'sum', 'mean'),
    useWeight: fc.boolean(),
    ignore: fc.option(fc.integer({ min: -2, max: 4 }), { nil: undefined }),
  }).chain(({ n, c, spatial, reduction, useWeight, ignore }) => {
    const dims = [n, c, ...spatial];
    const size = dims.reduce((a, b) => a * b, 1);
    const tsize = size / c;
    // Targets are valid classes, or the ignore index when there is one.
    const targetValue = ignore === undefined
      ? fc.integer({ min: 0, max: c - 1 })
      : fc.oneof(fc.integer({ min: 0, max: c - 1 }), fc.constant(ignore));
    return fc.record({
      dims: fc.constant(dims),
      x: fc.array(values, { minLength: size, maxLength: size }),
      target: fc.array(targetValue, { minLength: tsize, maxLength: tsize }),
      weight: useWeight
        ? fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: c, maxLength: c })
        : fc.constant(undefined),
      ignoreIndex: fc.constant(ignore),
      reduction: fc.constant(reduction),
    });
  });
}

const moderate = fc.double({ min: -5, max: 5, noNaN: true });
const extreme = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e3, -1e3, 0) },
);

function expectLoss(c: Case, got: Tensor, want: ReturnType<typeof refNll>, rel: number, abs: number): void {
  if (c.reduction === 'none') {
    expect(got.dims).toEqual([c.dims[0]!, ...c.dims.slice(2)]);
    expectClose('loss', got.data as Float64Array, want.none, rel, abs);
  } else {
    expect(got.dims).toEqual([]);
    expectClose('loss', got.data as Float64Array, [c.reduction === 'sum' ? want.sum : want.mean], rel, abs);
  }
}

// ------------------------------------------------------------------ properties

describe('NegativeLogLikelihoodLoss', () => {
  it('matches the definition (float64, int64 targets, ±1e3 inputs)', () => {
    fc.assert(fc.property(caseArb(extreme), (c) => {
      const got = runOp('NegativeLogLikelihoodLoss', c, 'float64', 'int64');
      expectLoss(c, got[0]!, refNll(c, c.x), 1e-12, 1e-9);
    }), { numRuns: 200 });
  });

  it('matches the definition (float32, int32 targets)', () => {
    fc.assert(fc.property(caseArb(moderate), (c) => {
      const rc = { ...c, x: Array.from(Float32Array.from(c.x)), weight: c.weight && Array.from(Float32Array.from(c.weight)) };
      const got = runOp('NegativeLogLikelihoodLoss', rc, 'float32', 'int32');
      expectLoss(rc, got[0]!, refNll(rc, rc.x), 1e-5, 1e-5);
    }), { numRuns: 150 });
  });

  it('kernel: NaN and ±Inf in the input propagate to the loss', () => {
    const x = Float64Array.from([NaN, 1, Infinity, 2]); // [N=2, C=2]
    const out = new Float64Array(2);
    expect(nllLossFloat(x, [0, 0], null, null, 2, 2, 1, 'none', out)).toBe(-1);
    expect(Number.isNaN(out[0]!)).toBe(true);
    expect(out[1]).toBe(-Infinity);
  });

  it('mean over all-ignored targets is NaN (0 / 0); sum is 0', () => {
    const c: Case = { dims: [2, 3], x: [1, 2, 3, 4, 5, 6], target: [-1, -1], ignoreIndex: -1, reduction: 'mean' };
    expect(Number.isNaN((runOp('NegativeLogLikelihoodLoss', c, 'float64', 'int64')[0]!.data as Float64Array)[0])).toBe(true);
    const s = runOp('NegativeLogLikelihoodLoss', { ...c, reduction: 'sum' }, 'float64', 'int64')[0]!;
    expect(Array.from(s.data as Float64Array)).toEqual([0]);
  });

  it('rejects out-of-range targets and mismatched shapes', () => {
    const c: Case = { dims: [2, 3], x: [1, 2, 3, 4, 5, 6], target: [0, 3], reduction: 'none' };
    expect(() => runOp('NegativeLogLikelihoodLoss', c, 'float32', 'int64')).toThrow(/target value 3 .* out of range \[0, 3\)/);
    expect(() => runOp('NegativeLogLikelihoodLoss', { ...c, target: [0, -1] }, 'float32', 'int64')).toThrow(/out of range/);
    expect(() => runOp('NegativeLogLikelihoodLoss', { ...c, weight: [1, 2] }, 'float32', 'int64')).toThrow(/weight has shape/);
    expect(() => runOp('NegativeLogLikelihoodLoss', { ...c, targetDims: [1, 2] }, 'float32', 'int64')).toThrow(/target has shape/);
  });
});

describe('SoftmaxCrossEntropyLoss', () => {
  it('matches NLL of log_softmax and returns log_prob (float64, ±1e3 stays finite)', () => {
    fc.assert(fc.property(caseArb(extreme), (c) => {
      const [loss, logProb] = runOp('SoftmaxCrossEntropyLoss', c, 'float64', 'int64');
      const lp = refLogSoftmax(c);
      expect(logProb!.dims).toEqual(c.dims);
      expectClose('log_prob', logProb!.data as Float64Array, lp, 1e-12, 1e-9);
      for (const v of logProb!.data as Float64Array) expect(Number.isFinite(v)).toBe(true);
      expectLoss(c, loss!, refNll(c, lp), 1e-12, 1e-9);
    }), { numRuns: 200 });
  });

  it('matches in float32 with int32 labels', () => {
    fc.assert(fc.property(caseArb(moderate), (c) => {
      const rc = { ...c, x: Array.from(Float32Array.from(c.x)), weight: c.weight && Array.from(Float32Array.from(c.weight)) };
      const [loss, logProb] = runOp('SoftmaxCrossEntropyLoss', rc, 'float32', 'int32');
      const lp = refLogSoftmax(rc);
      expectClose('log_prob', logProb!.data as Float32Array, lp, 1e-5, 1e-5);
      expectLoss(rc, loss!, refNll(rc, lp), 1e-4, 1e-4);
    }), { numRuns: 150 });
  });

  it('exp(log_prob) sums to 1 over the class axis for [-1000, 1000] scores', () => {
    const c: Case = { dims: [1, 3, 2], x: [-1000, -1000, 1000, 1000, 1000, -1000], target: [1, 0], reduction: 'none' };
    const [loss, logProb] = runOp('SoftmaxCrossEntropyLoss', c, 'float32', 'int64');
    const lp = Array.from(logProb!.data as Float32Array);
    for (let d = 0; d < 2; d++) {
      expect(Math.abs(Math.exp(lp[d]!) + Math.exp(lp[2 + d]!) + Math.exp(lp[4 + d]!) - 1)).toBeLessThan(1e-6);
    }
    // d=0: scores [-1000, 1000, 1000], class 1 ties class 2: loss = log 2.
    // d=1: scores [-1000, 1000, -1000], class 0 is 2000 below the maximum: loss = 2000.
    expectClose('loss', loss!.data as Float32Array, [Math.LN2, 2000], 1e-6, 1e-6);
  });
});
