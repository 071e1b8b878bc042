// The 'webgl' provider's shaders for the ops between the products (kernels/gpujs/elementwise.ts
// and pool.ts), property-tested in headless Chromium (WebGL2 on SwiftShader) against the CPU
// kernels of the same ops: Add/Sub/Mul/Div over broadcast shapes, every unary shader, Clip,
// MaxPool/AveragePool over 1-3 spatial dims with strides, dilations, pads and ceil-mode shapes,
// the global pools, Softmax and LogSoftmax along any axis.
//
// Tolerances (stated per test): the arithmetic within 3 float32 ulps of the CPU's (GLSL ES 3.00
// allows 2.5 for division); the pools' sums within one float32 rounding per term; exp, log, tanh
// and what is built on them within the bounds GLSL ES 3.00 gives (exp: 3 + 2|x| ulps), checked as
// rtol 1e-5 + atol 1e-6 on the inputs drawn here. NaN, ±Inf and subnormals are not tested: GLSL ES
// leaves them to the device (the provider never sends an empty window or a NaN Clip bound).

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { activationFloat, type ActivationOp } from '../../kernels/activation.js';
import { binaryFloat, type FloatBinaryOp } from '../../kernels/elementwise-binary.js';
import { broadcastPlan } from '../../kernels/elementwise-binary-plan.js';
import { clipFloat, type UnaryFloatOp, unaryFloat } from '../../kernels/elementwise-unary.js';
import { type GpuUnaryOp, elementwiseShaderSource, elementwiseSpec, gpuUnarySupported } from '../../kernels/gpujs/elementwise.js';
import { globalPoolShaderSource, type PoolShaderSpec, poolShaderSource, poolWindowsNonEmpty, softmaxShaderSource } from '../../kernels/gpujs/pool.js';
import { averagePoolFloat, globalAveragePoolFloat, globalMaxPoolFloat, maxPoolFloat, type PoolGeometry } from '../../kernels/pool.js';
import { logSoftmaxFloat, softmaxFloat } from '../../kernels/softmax.js';
import { EPS, mismatch, prod } from '../helpers/conv-problems.js';
import { openTestPage, type TestPage } from './harness.js';
import type { ShaderCase, TesseraWebgl } from './webgl-page.js';

let page: Page;
let log: string[];

let t: TestPage | undefined;

beforeAll(async () => {
  t = await openTestPage({}, { url: '/webgl-page.js', global: 'tesseraWebgl' });
  ({ page, log } = t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

/** Runs each shader in the page on its inputs (as float32) and returns what it read back. */
async function shaders(cases: ShaderCase[]): Promise<Float32Array[]> {
  try {
    const out = await page.evaluate((c) => (globalThis as unknown as { tesseraWebgl: TesseraWebgl }).tesseraWebgl.shaders(c), cases);
    return out.map((v) => Float32Array.from(v));
  } catch (e) {
    throw new Error(`in the browser: ${(e as Error).message}\n${log.join('\n')}`);
  }
}

const f32 = (v: readonly number[]): Float32Array => Float32Array.from(v);
/** Float32 values in [min, max], none below 1e-6 in magnitude but 0 (GPUs flush subnormals to 0, and products of tiny values reach them). */
const floats = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : Math.fround(v)));
const arrayOf = (values: fc.Arbitrary<number>, n: number) => fc.array(values, { minLength: n, maxLength: n });

// ---- Add, Sub, Mul, Div with broadcasting ----

interface BinaryProblem {
  readonly op: FloatBinaryOp & ('Add' | 'Sub' | 'Mul' | 'Div');
  readonly aDims: number[];
  readonly bDims: number[];
  readonly outDims: number[];
  readonly a: number[];
  readonly b: number[];
}

/** An operand's dims: a suffix of the output's, some set to 1 (numpy broadcasting). */
const operandDims = (out: number[]) => fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
  .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

const binaryProblem: fc.Arbitrary<BinaryProblem> = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((outDims) =>
  fc.record({ op: fc.constantFrom('Add' as const, 'Sub' as const, 'Mul' as const, 'Div' as const), aDims: operandDims(outDims), bDims: operandDims(outDims) })
    // The output must be the broadcast of the two (a dim no operand carries would be missing).
    .filter((s) => outDims.every((d, i) => [s.aDims, s.bDims].some((o) => o.length >= outDims.length - i && o[o.length - (outDims.length - i)] === d)))
    .chain((s) => fc.record({
      op: fc.constant(s.op), aDims: fc.constant(s.aDims), bDims: fc.constant(s.bDims), outDims: fc.constant(outDims),
      a: arrayOf(floats(-1e3, 1e3), prod(s.aDims)),
      // Divisors away from 0 (a quotient past float32's range is the device's Inf).
      b: arrayOf(s.op === 'Div' ? fc.tuple(floats(1e-3, 1e3), fc.boolean()).map(([v, neg]) => (neg ? -v : v)) : floats(-1e3, 1e3), prod(s.bDims)),
    })));

// ---- unary ops ----

/** Each unary shader: its parameters as the ops parse them, the inputs drawn for it, and the CPU kernel. */
const UNARY_CASES: { op: GpuUnaryOp; alpha?: number; beta?: number; gamma?: number; values: fc.Arbitrary<number> }[] = [
  { op: 'Relu', values: floats(-1e3, 1e3) },
  { op: 'LeakyRelu', alpha: 0.01, values: floats(-1e3, 1e3) },
  { op: 'Elu', alpha: 1, values: floats(-20, 20) },
  { op: 'Selu', alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875, values: floats(-20, 20) },
  { op: 'Celu', alpha: 0.5, values: floats(-20, 20) },
  { op: 'GeluTanh', values: floats(-20, 20) },
  { op: 'Sigmoid', values: floats(-30, 30) },
  { op: 'HardSigmoid', alpha: 0.2, beta: 0.5, values: floats(-10, 10) },
  { op: 'HardSwish', alpha: 1 / 6, beta: 0.5, values: floats(-10, 10) },
  { op: 'Tanh', values: floats(-20, 20) },
  { op: 'Softplus', values: floats(-30, 30) },
  { op: 'Softsign', values: floats(-1e3, 1e3) },
  { op: 'ThresholdedRelu', alpha: 1, values: floats(-10, 10) },
  { op: 'Swish', alpha: 1, values: floats(-30, 30) },
  { op: 'Abs', values: floats(-1e3, 1e3) },
  { op: 'Neg', values: floats(-1e3, 1e3) },
  { op: 'Reciprocal', values: fc.tuple(floats(1e-3, 1e3), fc.boolean()).map(([v, neg]) => (neg ? -v : v)) },
  { op: 'Sqrt', values: floats(0, 1e3) },
  { op: 'Exp', values: floats(-80, 80) },
  { op: 'Log', values: floats(1e-3, 1e3) },
  { op: 'Floor', values: floats(-1e3, 1e3) },
  { op: 'Ceil', values: floats(-1e3, 1e3) },
  { op: 'Clip', alpha: -0.5, beta: 2, values: floats(-10, 10) },
];
const MATH: ReadonlySet<string> = new Set(['Abs', 'Neg', 'Reciprocal', 'Sqrt', 'Exp', 'Log', 'Floor', 'Ceil']);

/** The CPU kernel's float32 result for a unary case. */
function unaryExpected(c: (typeof UNARY_CASES)[number], x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  if (c.op === 'Clip') clipFloat(x, y, c.alpha!, c.beta!);
  else if (MATH.has(c.op)) unaryFloat(c.op as UnaryFloatOp, x, y);
  else activationFloat(c.op as ActivationOp, x, y, c.alpha ?? 0, c.beta ?? 0, c.gamma ?? 0);
  return y;
}

// ---- pools ----

interface PoolProblem {
  readonly spec: PoolShaderSpec;
  readonly x: number[];
}

/** One spatial dim of a pool: input, kernel, stride, dilation, pads, and the output size (floor or ceil mode, as ops/onnx/pool.ts computes it). */
const poolDim = fc.record({
  in: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }),
  pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }), ceil: fc.boolean(),
}).map((p) => {
  const span = (p.in + p.pb + p.pe - ((p.k - 1) * p.d + 1)) / p.s;
  let out = (p.ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (p.ceil && (out - 1) * p.s >= p.in + p.pb) out--;
  return { ...p, out };
});

const poolProblem: fc.Arbitrary<PoolProblem> = fc.record({
  kind: fc.constantFrom('max' as const, 'average' as const), countIncludePad: fc.boolean(), channels: fc.integer({ min: 1, max: 3 }),
  dims: fc.integer({ min: 1, max: 3 }).chain((r) => fc.array(poolDim, { minLength: r, maxLength: r })),
}).map(({ kind, countIncludePad, channels, dims }) => {
  const pad = (f: (d: (typeof dims)[number]) => number, fill: number) => [...new Array<number>(3 - dims.length).fill(fill), ...dims.map(f)];
  const geometry: PoolGeometry = {
    channels, inShape: pad((d) => d.in, 1), outShape: pad((d) => d.out, 1), kernel: pad((d) => d.k, 1), strides: pad((d) => d.s, 1),
    dilations: pad((d) => d.d, 1), padsBegin: pad((d) => d.pb, 0), padsEnd: pad((d) => d.pe, 0),
  };
  return { kind, countIncludePad, geometry };
}).filter((s) => s.geometry.outShape.every((o) => o >= 1) && poolWindowsNonEmpty(s.geometry))
  .chain((spec) => fc.record({ spec: fc.constant(spec), x: arrayOf(floats(-1e3, 1e3), spec.geometry.channels * prod(spec.geometry.inShape)) }));

describe('browser: the webgl elementwise, pool and softmax shaders against the CPU kernels', () => {
  it('Add, Sub, Mul, Div over broadcast shapes (rank 0-4): within 3 float32 ulps', async () => {
    const ps = fc.sample(binaryProblem, { numRuns: 60, seed: 21 });
    const got = await shaders(ps.map((p) => {
      const spec = elementwiseSpec(p.op, [p.aDims, p.bDims], p.outDims);
      return { source: elementwiseShaderSource(spec), size: prod(p.outDims), inputs: [p.a, p.b] };
    }));
    ps.forEach((p, i) => {
      const want = new Float32Array(prod(p.outDims));
      binaryFloat(p.op, f32(p.a), f32(p.b), want, broadcastPlan([p.aDims, p.bDims], p.outDims));
      const tol = Array.from(want, (w) => 3 * EPS * 2 * Math.abs(w) + 2 ** -126);
      expect(mismatch(got[i]!, Array.from(want), tol), `${p.op} ${JSON.stringify([p.aDims, p.bDims, p.outDims])}`).toBeNull();
    });
  }, 60_000);

  it('every unary shader and Clip on 64 values each: within rtol 1e-5 + atol 1e-6 of the CPU kernels', async () => {
    expect(UNARY_CASES.every((c) => gpuUnarySupported(c.op))).toBe(true);
    const xs = UNARY_CASES.map((c, i) => f32(fc.sample(c.values, { numRuns: 64, seed: 100 + i })));
    const got = await shaders(UNARY_CASES.map((c, i) => ({
      source: elementwiseShaderSource(elementwiseSpec(c.op, [[64]], [64], c.alpha ?? 0, c.beta ?? 0, c.gamma ?? 0)), size: 64, inputs: [Array.from(xs[i]!)],
    })));
    UNARY_CASES.forEach((c, i) => {
      const want = unaryExpected(c, xs[i]!);
      expect(mismatch(got[i]!, Array.from(want), Array.from(want, (w) => 1e-6 + 1e-5 * Math.abs(w))), c.op).toBeNull();
    });
  }, 60_000);

  it('MaxPool and AveragePool over 1-3 spatial dims, strides, dilations, pads, ceil-mode shapes, count_include_pad: max exact, average within a rounding per term', async () => {
    const ps = fc.sample(poolProblem, { numRuns: 50, seed: 22 });
    const got = await shaders(ps.map((p) => ({ source: poolShaderSource(p.spec), size: p.spec.geometry.channels * prod(p.spec.geometry.outShape), inputs: [p.x] })));
    ps.forEach((p, i) => {
      const g = p.spec.geometry;
      const n = g.channels * prod(g.outShape);
      const want = new Float32Array(n);
      const x = f32(p.x);
      if (p.spec.kind === 'max') maxPoolFloat(x, want, g, null, false, -Infinity);
      else averagePoolFloat(x, want, g, p.spec.countIncludePad);
      // The magnitude each average sums: the same pool over |x|.
      const mag = new Float64Array(n);
      averagePoolFloat(Float64Array.from(p.x, Math.abs), mag, g, p.spec.countIncludePad);
      const tol = p.spec.kind === 'max' ? new Array<number>(n).fill(0) : Array.from(mag, (m) => 1.2 * EPS * (prod(g.kernel) + 2) * m);
      expect(mismatch(got[i]!, Array.from(want), tol), JSON.stringify(p.spec)).toBeNull();
    });
  }, 60_000);

  it('GlobalAveragePool and GlobalMaxPool: max exact, average within a rounding per term', async () => {
    const ps = fc.sample(fc.record({ kind: fc.constantFrom('average' as const, 'max' as const), channels: fc.integer({ min: 1, max: 5 }), size: fc.integer({ min: 1, max: 80 }) })
      .chain((s) => fc.record({ spec: fc.constant(s), x: arrayOf(floats(-1e3, 1e3), s.channels * s.size) })), { numRuns: 20, seed: 23 });
    const got = await shaders(ps.map((p) => ({ source: globalPoolShaderSource(p.spec), size: p.spec.channels, inputs: [p.x] })));
    ps.forEach((p, i) => {
      const { kind, channels, size } = p.spec;
      const want = new Float32Array(channels);
      (kind === 'max' ? globalMaxPoolFloat : globalAveragePoolFloat)(f32(p.x), want, channels, size);
      const mag = new Float64Array(channels);
      globalAveragePoolFloat(Float64Array.from(p.x, Math.abs), mag, channels, size);
      const tol = Array.from(mag, (m) => (kind === 'max' ? 0 : 1.2 * EPS * (size + 2) * m));
      expect(mismatch(got[i]!, Array.from(want), tol), JSON.stringify(p.spec)).toBeNull();
    });
  }, 60_000);

  it('Softmax and LogSoftmax along the middle of [outer, n, inner] on logits in ±30: within rtol 1e-5 + atol 1e-6', async () => {
    const ps = fc.sample(fc.record({
      kind: fc.constantFrom('Softmax' as const, 'LogSoftmax' as const), outer: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 40 }), inner: fc.integer({ min: 1, max: 4 }),
    }).chain((s) => fc.record({ spec: fc.constant(s), x: arrayOf(floats(-30, 30), s.outer * s.n * s.inner) })), { numRuns: 25, seed: 24 });
    const got = await shaders(ps.map((p) => ({ source: softmaxShaderSource(p.spec), size: p.x.length, inputs: [p.x] })));
    ps.forEach((p, i) => {
      const { kind, outer, n, inner } = p.spec;
      const want = new Float32Array(p.x.length);
      (kind === 'Softmax' ? softmaxFloat : logSoftmaxFloat)(f32(p.x), want, outer, n, inner);
      expect(mismatch(got[i]!, Array.from(want), Array.from(want, (w) => 1e-6 + 1e-5 * Math.abs(w))), JSON.stringify(p.spec)).toBeNull();
    });
  }, 60_000);
});
