import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../kernels/conv.js';
import { convPackedF32, convScratchElementsF32, packConvF32 } from '../../kernels/conv-f32.js';
import type { GemmActivation } from '../../kernels/gemm-f32.js';
import { convReference } from '../../kernels/reference/conv.js';
import { activationReference } from '../../kernels/reference/gemm.js';

// The float32 conv (packed weights, im2col into GEMM panels, pointwise, depthwise 3x3/5x5/any)
// with its fused epilogue and caller scratch, against the direct sum in kernels/reference/conv.ts.

const prod = (v: readonly number[]): number => v.reduce((x, y) => x * y, 1);

interface Problem {
  g: ConvGeometry;
  x: number[]; w: number[]; bias: number[] | null; residual: number[] | null;
  act: GemmActivation;
  scratch: boolean;
}

const smallInt = fc.integer({ min: -4, max: 4 });
const wide = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1e3, -1e3);
const exactActs = fc.constantFrom<GemmActivation>(
  { kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: 0, max: 6 }, { kind: 'leakyrelu', alpha: 0.5 },
);
const allActs = fc.oneof(exactActs, fc.constantFrom<GemmActivation>(
  { kind: 'sigmoid' }, { kind: 'hardswish' }, { kind: 'silu' }, { kind: 'gelu' }, { kind: 'gelu-tanh' },
  { kind: 'hardsigmoid', alpha: 0.2, beta: 0.5 },
));

interface Shape {
  rank?: number; maxSize?: number; kernels?: number[]; strides?: number[];
  depthwise?: boolean; cg?: [number, number]; mg?: [number, number];
}

function problem(values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>, s: Shape = {}): fc.Arbitrary<Problem> {
  return (s.rank ? fc.constant(s.rank) : fc.integer({ min: 1, max: 3 })).chain((rank) => {
    const axis = fc.record({
      size: fc.integer({ min: 0, max: s.maxSize ?? (rank === 3 ? 5 : 9) }),
      k: s.kernels ? fc.constantFrom(...s.kernels) : fc.integer({ min: 1, max: rank === 3 ? 3 : 5 }),
      s: s.strides ? fc.constantFrom(...s.strides) : fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pb: fc.integer({ min: 0, max: 2 }),
      pe: fc.integer({ min: 0, max: 2 }),
    });
    return fc.record({
      axes: fc.array(axis, { minLength: rank, maxLength: rank }),
      batch: fc.integer({ min: 0, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      cg: s.depthwise ? fc.constant(1) : fc.integer({ min: s.cg?.[0] ?? 1, max: s.cg?.[1] ?? 3 }),
      mg: fc.integer({ min: s.mg?.[0] ?? 1, max: s.mg?.[1] ?? 3 }),
      hasBias: fc.boolean(), hasResidual: fc.boolean(), scratch: fc.boolean(), act: acts,
    });
  }).filter(({ axes }) => axes.every((a) => a.size + a.pb + a.pe >= (a.k - 1) * a.d + 1))
    .chain(({ axes, batch, group, cg, mg, hasBias, hasResidual, scratch, act }) => {
      const g: ConvGeometry = {
        batch, inChannels: group * cg, outChannels: group * mg, group,
        inSize: axes.map((a) => a.size),
        outSize: axes.map((a) => Math.floor((a.size + a.pb + a.pe - ((a.k - 1) * a.d + 1)) / a.s) + 1),
        kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d),
        padsBegin: axes.map((a) => a.pb),
      };
      const ySize = batch * g.outChannels * prod(g.outSize);
      const arr = (v: fc.Arbitrary<number>, n: number) => fc.array(v, { minLength: n, maxLength: n });
      return fc.record({
        g: fc.constant(g),
        x: arr(values, batch * g.inChannels * prod(g.inSize)),
        w: arr(values, g.outChannels * cg * prod(g.kernel)),
        bias: hasBias ? arr(smallInt, g.outChannels) : fc.constant(null),
        residual: hasResidual ? arr(smallInt, ySize) : fc.constant(null),
        act: fc.constant(act), scratch: fc.constant(scratch),
      });
    });
}

function runFast(p: Problem): Float32Array {
  const y = new Float32Array(p.g.batch * p.g.outChannels * prod(p.g.outSize)).fill(Number.NaN);
  const packed = packConvF32(Float32Array.from(p.w), p.g);
  // Caller scratch of exactly the advertised size, full of NaN: the kernel must not read stale values.
  const scratch = p.scratch ? new Float32Array(convScratchElementsF32(p.g)).fill(Number.NaN) : undefined;
  convPackedF32(Float32Array.from(p.x), packed, y, p.g, {
    bias: p.bias && Float32Array.from(p.bias),
    ...(p.residual ? { residual: Float32Array.from(p.residual) } : {}),
    activation: p.act,
    ...(scratch ? { scratch } : {}),
  });
  return y;
}

function runReference(p: Problem): { want: number[]; tol: number[] } {
  const x = Array.from(Float32Array.from(p.x));
  const w = Array.from(Float32Array.from(p.w));
  const { out, absSum } = convReference(x, w, p.bias, p.g);
  const depth = (p.g.inChannels / p.g.group) * prod(p.g.kernel);
  const blocks = Math.ceil(depth / 256);
  const want: number[] = [];
  const tol: number[] = [];
  out.forEach((v, i) => {
    const r = p.residual ? p.residual[i]! : 0;
    const y = activationReference(p.act, v + r);
    want.push(y);
    tol.push(1.2 * 2 ** -23 * (blocks + 2) * (absSum[i]! + Math.abs(r)) + 2 ** -22 * Math.abs(y) + 2 ** -126);
  });
  return { want, tol };
}

function check(got: Float32Array, want: readonly number[], tol: readonly number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol[i]!;
    if (!ok) throw new Error(`element ${i}: got ${g}, want ${w} (tolerance ${tol[i]})`);
  }
}

const exact = (p: Problem) => {
  const { want } = runReference(p);
  expect(Array.from(runFast(p), (v) => v + 0)).toEqual(want.map((v) => v + 0));
};
const bounded = (p: Problem) => {
  const { want, tol } = runReference(p);
  check(runFast(p), want, tol);
};

describe('convPackedF32 vs the direct sum', () => {
  it('small integers: exact, 1-D/2-D/3-D, groups, strides, pads, dilations, fused epilogue', () => {
    fc.assert(fc.property(problem(smallInt, exactActs), exact), { numRuns: 150 });
  });

  it('depthwise 3x3 and 5x5, stride 1 and 2, with channel multipliers: exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 13, kernels: [3, 5], strides: [1, 2], depthwise: true }), exact),
      { numRuns: 100 });
  });

  it('depthwise, any kernel (1-D/2-D/3-D): exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { depthwise: true }), exact), { numRuns: 100 });
  });

  it('pointwise (1x1 stride 1) and depths past one 256-deep K block: exact', () => {
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 6, kernels: [1], strides: [1], cg: [20, 70], mg: [1, 11] }), exact),
      { numRuns: 40 });
    fc.assert(fc.property(problem(smallInt, exactActs, { rank: 2, maxSize: 7, kernels: [3], cg: [28, 40], mg: [1, 9] }), exact),
      { numRuns: 30 });
  });

  it('values in ±1e3 and every activation: within the float32 error bound', () => {
    fc.assert(fc.property(problem(wide, allActs), bounded), { numRuns: 100 });
    fc.assert(fc.property(problem(wide, allActs, { rank: 2, maxSize: 12, kernels: [3, 5], strides: [1, 2], depthwise: true }), bounded),
      { numRuns: 60 });
  });

  it('NaN and ±Inf propagate like the direct sum', () => {
    const values = fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt });
    fc.assert(fc.property(problem(values, allActs), bounded), { numRuns: 100 });
    fc.assert(fc.property(problem(values, allActs, { rank: 2, maxSize: 9, kernels: [3, 5], depthwise: true }), bounded),
      { numRuns: 60 });
  });
});
