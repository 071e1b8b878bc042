// ai.onnx.preview.training optimizers (Adagrad, Momentum, Adam) against their update equations
// written here element by element, including several tensors per node and the T = 0 special cases.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trainingOps } from '../../ops/onnx/training.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

function attrs(map: Record<string, number | string>): Attrs {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(map)) {
    if (typeof v === 'string') m.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else m.set(k, { type: 'float', value: v });
  }
  return new Attrs(m);
}

function runOp(name: string, inputs: Tensor[], a: Record<string, number | string>): Tensor[] {
  const def = trainingOps.find((d) => d.name === name)!;
  expect(def.domain).toBe('ai.onnx.preview.training');
  const node = { name: '', domain: def.domain, opType: name, inputs: [], outputs: [], attributes: new Map() } as unknown as Node;
  const ctx: OpContext = { node, opset: 1, runSubgraph: () => { throw new Error('no subgraph'); } };
  return def.run(inputs, def.parse!(attrs(a), node), ctx) as Tensor[];
}

function close(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!isClose(got[i]!, want[i]!, { rtol: 1e-12, atol: 1e-12 })) throw new Error(`element ${i}: got ${got[i]} want ${want[i]}`);
  }
}

const val = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e3, -1e3, 0) },
);
const positive = fc.double({ min: 0, max: 5, noNaN: true });

/** n tensors (float64) of a common shape per group. */
const problem = (groups: number) => fc
  .record({
    dims: fc.oneof(
      { weight: 9, arbitrary: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }) },
      { weight: 1, arbitrary: fc.constant<number[]>([2, 0]) }, // zero-sized
    ),
    n: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ dims, n }) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return fc.record({
      dims: fc.constant(dims),
      tensors: fc.array(fc.array(fc.array(val, { minLength: size, maxLength: size }), { minLength: n, maxLength: n }),
        { minLength: groups, maxLength: groups }),
    });
  });

const t64 = (v: number[], dims: number[]) => new Tensor('float64', Float64Array.from(v), dims);

describe('Adagrad', () => {
  it('follows r = R/(1+T*decay); H += g^2; X -= r*g/(sqrt(H)+eps)', () => {
    fc.assert(
      fc.property(problem(3), positive, fc.integer({ min: 0, max: 5 }), positive, positive, val, ({ dims, tensors }, R, T, decay, eps, norm) => {
        const [xs, gs, hs] = tensors as [number[][], number[][], number[][]];
        hs.forEach((h) => h.forEach((v, i) => { h[i] = Math.abs(v); }));
        const out = runOp('Adagrad', [t64([R], []), new Tensor('int64', [BigInt(T)], []),
          ...xs.map((v) => t64(v, dims)), ...gs.map((v) => t64(v, dims)), ...hs.map((v) => t64(v, dims))],
        { decay_factor: decay, epsilon: eps, norm_coefficient: norm });
        expect(out.length).toBe(2 * xs.length);
        xs.forEach((x, k) => {
          const r = R / (1 + T * decay);
          const g = x.map((xv, i) => norm * xv + gs[k]![i]!);
          const h = hs[k]!.map((hv, i) => hv + g[i]! * g[i]!);
          close(out[xs.length + k]!.data as Float64Array, h);
          close(out[k]!.data as Float64Array, x.map((xv, i) => xv - (r * g[i]!) / (Math.sqrt(h[i]!) + eps)));
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('Momentum', () => {
  it('standard and nesterov follow their update rules; beta counts as 1 at T = 0', () => {
    fc.assert(
      fc.property(problem(3), positive, fc.integer({ min: 0, max: 3 }), val, val, val, fc.constantFrom('standard', 'nesterov'),
        ({ dims, tensors }, R, T, alpha, beta, norm, mode) => {
          const [xs, gs, vs] = tensors as [number[][], number[][], number[][]];
          const out = runOp('Momentum', [t64([R], []), new Tensor('int64', [BigInt(T)], []),
            ...xs.map((v) => t64(v, dims)), ...gs.map((v) => t64(v, dims)), ...vs.map((v) => t64(v, dims))],
          { alpha, beta, mode, norm_coefficient: norm });
          xs.forEach((x, k) => {
            const b = T > 0 ? beta : 1;
            const g = x.map((xv, i) => norm * xv + gs[k]![i]!);
            const v = vs[k]!.map((vv, i) => alpha * vv + b * g[i]!);
            close(out[xs.length + k]!.data as Float64Array, v);
            const want = mode === 'standard'
              ? x.map((xv, i) => xv - R * v[i]!)
              : x.map((xv, i) => xv - R * (g[i]! + alpha * v[i]!));
            close(out[k]!.data as Float64Array, want);
          });
        }),
      { numRuns: 100 },
    );
  });

  it('rejects an unknown mode', () => {
    expect(() => trainingOps.find((d) => d.name === 'Momentum')!.parse!(
      attrs({ alpha: 1, beta: 1, norm_coefficient: 0, mode: 'heavy' }), {} as Node)).toThrow(/mode/);
  });
});

describe('Adam', () => {
  it('follows the bias-corrected update with pre- and post-regularization', () => {
    fc.assert(
      fc.property(problem(4), positive, fc.integer({ min: 0, max: 4 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 1e-8, max: 1, noNaN: true }), val, fc.double({ min: 0, max: 0.5, noNaN: true }),
        ({ dims, tensors }, R, T, alpha, beta, eps, norm, post) => {
          const [xs, gs, vs, hs] = tensors as [number[][], number[][], number[][], number[][]];
          hs.forEach((h) => h.forEach((v, i) => { h[i] = Math.abs(v); }));
          const out = runOp('Adam', [t64([R], []), new Tensor('int64', [BigInt(T)], []),
            ...[xs, gs, vs, hs].flatMap((grp) => grp.map((v) => t64(v, dims)))],
          { alpha, beta, epsilon: eps, norm_coefficient: norm, norm_coefficient_post: post });
          const n = xs.length;
          expect(out.length).toBe(3 * n);
          xs.forEach((x, k) => {
            const g = x.map((xv, i) => norm * xv + gs[k]![i]!);
            const v = vs[k]!.map((vv, i) => alpha * vv + (1 - alpha) * g[i]!);
            const h = hs[k]!.map((hv, i) => beta * hv + (1 - beta) * g[i]! * g[i]!);
            const rAdj = T > 0 ? (R * Math.sqrt(1 - beta ** T)) / (1 - alpha ** T) : R;
            close(out[n + k]!.data as Float64Array, v);
            close(out[2 * n + k]!.data as Float64Array, h);
            close(out[k]!.data as Float64Array, x.map((xv, i) => (1 - post) * (xv - rAdj * (v[i]! / (Math.sqrt(h[i]!) + eps)))));
          });
        }),
      { numRuns: 100 },
    );
  });

  it('keeps float32 tensors float32', () => {
    const f = (v: number[]) => new Tensor('float32', v, [v.length]);
    const out = runOp('Adam', [new Tensor('float32', [0.1], []), new Tensor('int64', [0n], []), f([1, 2]), f([0.5, -0.5]), f([0, 0]), f([0, 0])], {});
    expect(out.map((t) => t.type)).toEqual(['float32', 'float32', 'float32']);
  });
});
