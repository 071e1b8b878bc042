// The properties of the WebAssembly SIMD engine (kernels/wasm/engine.ts) as sessions use it:
// convPackedF32 (im2col, pointwise, groups, 1-D to 3-D, depthwise on the wasm depthwise kernel)
// and winogradConvF32 with `engine`, against the direct sum of kernels/reference/conv.ts within
// the bounds the kernels document (gemm-simd.ts, depthwise-simd.ts, winograd-f32.ts); constant
// panels kept resident; and an executor that splits and reorders calls as a worker pool would
// (bit-identical results). Free of any test runner: test/props/wasm-engine.test.ts runs them in
// vitest, test/portability/gemm-simd-run.ts in Node, Deno and Bun. The GEMM entry points on the
// engine are covered by gemm-simd-properties.ts.

import fc from 'fast-check';
import type { ConvGeometry } from '../../kernels/conv.js';
import { convPackedF32, packConvF32 } from '../../kernels/conv-f32.js';
import { gemmBlockDepth, type GemmEngine } from '../../kernels/gemm-f32.js';
import {
  createWasmSimdGemmEngine, relaxedSimdAvailable, type WasmCall, type WasmExecutor, type WasmSimdGemmEngine,
} from '../../kernels/wasm/engine.js';
import { GEMM_BLOCK, splitGemmBlockCall, type GemmBlockCall } from '../../kernels/wasm/gemm-simd.js';
import { ModuleBuilder } from '../../kernels/wasm/assembler.js';
import { emitActivationPass, SIMD_ACTIVATION } from '../../kernels/wasm/simd-math.js';
import { packWinogradF32, winogradConvF32 } from '../../kernels/winograd-f32.js';
import { maxPoolFloat, type PoolGeometry } from '../../kernels/pool.js';
import {
  type ConvProblem, type WinogradProblem, allActs, convExpected, convProblem, exactActs, exactMismatch, mismatch, prod,
  runConv, runWinograd, smallInt, special, wide, winogradExpected, winogradProblem,
} from './conv-problems.js';

export interface EngineProperty {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly property: fc.IProperty<any>;
  readonly numRuns: number;
}

const made = new Map<string, WasmSimdGemmEngine>();

function engine(key: string, make: () => WasmSimdGemmEngine | null): WasmSimdGemmEngine {
  let e = made.get(key);
  if (e === undefined) {
    const m = make();
    if (m === null) throw new Error(`wasm engine '${key}' unavailable in this host`);
    made.set(key, e = m);
  }
  return e;
}

/**
 * An executor that behaves as a worker pool may: it claims 3 calls at once (so drivers cut work
 * into several calls), splits every GEMM block call into column parts, and runs each batch
 * backwards. Calls of a batch write disjoint memory, so the results must not change by a bit.
 */
function scramblingExecutor(instances: ReadonlyMap<string, WebAssembly.Instance>): WasmExecutor {
  const fn = (kernel: string) => {
    const [mod, exp] = kernel.split('.') as [string, string];
    return instances.get(mod)!.exports[exp] as (...args: number[]) => void;
  };
  return {
    parallelism: 3,
    run(kernel: string, calls: readonly WasmCall[]) {
      const f = fn(kernel);
      const all = kernel === GEMM_BLOCK ? calls.flatMap((c) => splitGemmBlockCall(c as GemmBlockCall, 3)) : [...calls];
      for (let i = all.length - 1; i >= 0; i--) f(...all[i]!);
    },
  };
}

/** The engines under test: fma where the host has it, mul+add, small blocks, and the scrambling executor. */
const engineArb = (): fc.Arbitrary<WasmSimdGemmEngine> => fc.constantFrom(
  ...(relaxedSimdAvailable() ? ['fma'] : []), 'mul+add', 'small blocks', 'scrambled',
).map((k) => engine(k, () => {
  if (k === 'fma') return createWasmSimdGemmEngine({ fma: true });
  if (k === 'mul+add') return createWasmSimdGemmEngine({ fma: false });
  if (k === 'small blocks') return createWasmSimdGemmEngine({ fma: false, mc: 8, nc: 16 });
  return createWasmSimdGemmEngine({ fma: relaxedSimdAvailable(), nc: 32, executor: (_, inst) => scramblingExecutor(inst) });
}));

const isDepthwise = (g: ConvGeometry) => g.group === g.inChannels && g.inChannels > 0;

/**
 * The wasm engine's bound in float32 roundings of the magnitude: the GEMM's (kc + blocks + 2)
 * (gemm-simd.ts) or the depthwise kernel's (KH + KW) (depthwise-simd.ts; the JS depthwise kernel
 * it leaves other shapes to is tighter), plus bias and residual, with 20% slack.
 */
function wasmRoundings(g: ConvGeometry): number {
  if (isDepthwise(g)) return 1.2 * (g.kernel.reduce((s, k) => s + k, 0) + 2);
  const depth = (g.inChannels / g.group) * prod(g.kernel);
  const kc = gemmBlockDepth(depth);
  return 1.2 * (kc + Math.ceil(depth / Math.max(1, kc)) + 4);
}

const convExact = (p: ConvProblem & { engine: GemmEngine }) => {
  const bad = exactMismatch(runConv(p, p.engine), convExpected(p, 0).want);
  if (bad !== null) throw new Error(bad);
};
const convBounded = (p: ConvProblem & { engine: GemmEngine }) => {
  const { want, tol } = convExpected(p, wasmRoundings(p.g));
  const bad = mismatch(runConv(p, p.engine), want, tol);
  if (bad !== null) throw new Error(bad);
};

/**
 * The wasm Winograd bound (kernels/wasm/winograd-simd.ts: (22 + kc + blocks) eps P, the a^2
 * products summing Cin channels in float32 and the transforms in float32; the JS driver the
 * engine leaves tiles-as-columns packings to is tighter), or the im2col kernel's for the inputs
 * the kernel falls back on.
 */
function winogradBound(p: WinogradProblem): { want: number[]; tol: number[] } {
  const C = p.g.inChannels;
  const kc = gemmBlockDepth(C);
  const direct = 9 * C;
  const kd = gemmBlockDepth(direct);
  return winogradExpected(p, 1.2 * (kc + Math.ceil(C / kc) + 22) - 3, 1.2 * (kd + Math.ceil(direct / kd) + 4));
}

const withEngine = <T>(a: fc.Arbitrary<T>) => fc.tuple(a, engineArb()).map(([p, e]) => ({ ...p, engine: e }));

const depthwiseShape = { rank: 2, maxSize: 13, kernels: [3, 5], strides: [1, 2], depthwise: true } as const;
const mixedValues = fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt });

/** sigmoid and silu of simd-math.ts's pass on four values at a time, through a module of their own. */
function simdActivations(): (name: 'sigmoid' | 'silu', xs: readonly number[]) => Float32Array {
  const mod = new ModuleBuilder().importMemory('env', 'memory', { initial: 1 });
  mod.addFunction(emitActivationPass(), 'act');
  const memory = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } });
  return (name, xs) => {
    const v = new Float32Array(memory.buffer, 0, 4);
    v.set(xs);
    (inst.exports.act as (at: number, vectors: number, kind: number) => void)(0, 1, SIMD_ACTIVATION[name]);
    return v.slice();
  };
}

/** Every property, with its run count. */
export function wasmEngineProperties(): EngineProperty[] {
  const act = simdActivations();
  return [
    {
      name: 'sigmoid and silu on f32x4: within 3 * 2^-24 relative (plus 2^-126, or 2^-121 below -87) of the float64 formula, the same limits at ±Inf and NaN',
      property: fc.property(
        fc.array(fc.oneof(fc.float({ noNaN: false }), fc.float({ min: -120, max: 120 }), fc.constantFrom(Infinity, -Infinity, Number.NaN, 0, -0)),
          { minLength: 4, maxLength: 4 }),
        (xs) => {
          for (const name of ['sigmoid', 'silu'] as const) {
            const got = act(name, xs);
            xs.forEach((x, i) => {
              const want = name === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : x / (1 + Math.exp(-x));
              const g = got[i]!;
              const ok = Number.isNaN(want) ? Number.isNaN(g) : !Number.isFinite(want) ? g === want
                : Math.abs(g - want) <= 3 * 2 ** -24 * Math.abs(want) + (x < -87 ? 2 ** -121 : 2 ** -126);
              if (!ok) throw new Error(`${name}(${x}): got ${g}, want ${want}`);
            });
          }
        },
      ),
      numRuns: 300,
    },
    {
      name: "engine.activation (aten's sigmoid and silu): every element within the f32x4 bound of the float64 formula, any length from 2048 (a padded last vector), in place or not; declined below 2048",
      property: fc.property(
        engineArb(), fc.integer({ min: 0, max: 5000 }), fc.constantFrom('sigmoid', 'silu') as fc.Arbitrary<'sigmoid' | 'silu'>, fc.boolean(), fc.integer(),
        (e, n, name, inPlace, seed) => {
          const x = Float32Array.from({ length: n }, (_, i) => (i % 97 === 5 ? [Infinity, -Infinity, Number.NaN, -0, -100][i % 5]! : Math.fround(Math.sin(i * 7.31 + seed) * 30)));
          const y = inPlace ? x : new Float32Array(n).fill(7);
          const before = Float32Array.from(x);
          const took = e.activation(name, x, y);
          if (n < 2048) {
            if (took || !before.every((v, i) => Object.is(v, x[i])) || (!inPlace && y.some((v) => v !== 7))) throw new Error(`n = ${n}: expected the engine to decline and write nothing`);
            return;
          }
          if (!took) throw new Error(`n = ${n}: the engine declined`);
          before.forEach((v, i) => {
            const want = name === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v / (1 + Math.exp(-v));
            const g = y[i]!;
            const ok = Number.isNaN(want) ? Number.isNaN(g) : !Number.isFinite(want) ? g === want
              : Math.abs(g - want) <= 3 * 2 ** -24 * Math.abs(want) + (v < -87 ? 2 ** -121 : 2 ** -126);
            if (!ok) throw new Error(`${name}(${v}) at ${i} of ${n}: got ${g}, want ${want}`);
          });
          if (!inPlace && !before.every((v, i) => Object.is(v, x[i]))) throw new Error('x was written');
        },
      ),
      numRuns: 40,
    },
    {
      name: 'conv on the wasm engine, small integers: exact, 1-D/2-D/3-D, groups, strides, pads, dilations, fused epilogue',
      property: fc.property(withEngine(convProblem(smallInt, exactActs)), convExact),
      numRuns: 120,
    },
    {
      name: 'depthwise 3x3 and 5x5 on the wasm kernel, strides 1 and 2, dilations, multipliers, rows narrower than 4: exact',
      property: fc.property(withEngine(convProblem(smallInt, exactActs, depthwiseShape)), convExact),
      numRuns: 120,
    },
    {
      name: 'depthwise of other kernels, strides and ranks (the JS kernel behind the engine): exact',
      property: fc.property(withEngine(convProblem(smallInt, exactActs, { depthwise: true })), convExact),
      numRuns: 60,
    },
    {
      name: 'pointwise convs and depths past one 256-deep K block on the wasm engine: exact',
      property: fc.property(fc.oneof(
        withEngine(convProblem(smallInt, exactActs, { rank: 2, maxSize: 6, kernels: [1], strides: [1], cg: [20, 70], mg: [1, 11] })),
        withEngine(convProblem(smallInt, exactActs, { rank: 2, maxSize: 7, kernels: [3], cg: [28, 40], mg: [1, 9] })),
      ), convExact),
      numRuns: 40,
    },
    {
      name: 'conv and depthwise on the wasm engine, values in ±1e3 and every activation: within the documented float32 bound',
      property: fc.property(fc.oneof(
        withEngine(convProblem(wide, allActs)),
        withEngine(convProblem(wide, allActs, { ...depthwiseShape, maxSize: 20 })),
      ), convBounded),
      numRuns: 120,
    },
    {
      name: 'conv and depthwise on the wasm engine: NaN and ±Inf propagate like the direct sum',
      property: fc.property(fc.oneof(
        withEngine(convProblem(mixedValues, allActs)),
        withEngine(convProblem(mixedValues, allActs, depthwiseShape)),
      ), convBounded),
      numRuns: 100,
    },
    {
      name: 'Winograd F(2x2) on the wasm engine, small integers: exact',
      property: fc.property(withEngine(winogradProblem(smallInt, smallInt, exactActs, { tiles: [2] })), (p) => {
        const bad = exactMismatch(runWinograd(p, undefined, p.engine), winogradExpected(p, 0).want);
        if (bad !== null) throw new Error(bad);
      }),
      numRuns: 80,
    },
    {
      name: 'Winograd F(2x2) and F(4x4) on the wasm engine, values in ±1e3, two K blocks, many output channels, NaN and Inf: within the bound',
      property: fc.property(fc.oneof(
        withEngine(winogradProblem(wide, wide, allActs)),
        withEngine(winogradProblem(wide, wide, allActs, { maxSize: 6, cin: [250, 300], cout: [1, 6] })),
        withEngine(winogradProblem(wide, wide, exactActs, { maxSize: 7, cin: [5, 20], cout: [30, 70] })),
        withEngine(winogradProblem(mixedValues, smallInt, allActs)),
      ), (p) => {
        const { want, tol } = winogradBound(p);
        const bad = mismatch(runWinograd(p, undefined, p.engine), want, tol);
        if (bad !== null) throw new Error(bad);
      }),
      numRuns: 60,
    },
    {
      name: 'a constant weight is kept resident from its second use and gives the same bits; weights packed per call are not kept',
      property: fc.property(convProblem(wide, allActs, { rank: 2, maxSize: 9, cg: [1, 40] }), fc.boolean(), (p, winograd) => {
        const e = createWasmSimdGemmEngine({ fma: false })!;
        const x = Float32Array.from(p.x);
        const w = Float32Array.from(p.w);
        const ep = { bias: p.bias && Float32Array.from(p.bias), activation: p.act, engine: e };
        const size = p.g.batch * p.g.outChannels * prod(p.g.outSize);
        const useWinograd = winograd && p.g.kernel.every((k) => k === 3) && p.g.strides.every((s) => s === 1)
          && p.g.dilations.every((d) => d === 1) && p.g.group === 1 && p.g.batch > 0;
        const wino = useWinograd ? packWinogradF32(w, p.g, { tile: 2, tilesAsRows: false }) : null;
        const packed = packConvF32(w, p.g);
        const run = (fresh: boolean) => {
          const y = new Float32Array(size);
          if (wino !== null) winogradConvF32(x, fresh ? packWinogradF32(w, p.g, { tile: 2, tilesAsRows: false }) : wino, y, p.g, ep);
          else convPackedF32(x, fresh ? packConvF32(w, p.g) : packed, y, p.g, ep);
          return y;
        };
        const first = run(false);
        for (let i = 0; i < 3; i++) {
          const again = run(true);
          // (With a batch of 2 the second image reuses the per-call packing: keeping it is then right.)
          if (p.g.batch <= 1 && e.residentFloats !== 0) throw new Error(`weights packed per call became resident (${e.residentFloats} floats)`);
          if (again.some((v, j) => !Object.is(v, first[j]))) throw new Error('a per-call packing changed the result');
        }
        for (let i = 0; i < 3; i++) {
          const again = run(false);
          if (again.some((v, j) => !Object.is(v, first[j]))) throw new Error(`run ${i + 2} of a constant weight changed the result`);
        }
        const needsGemm = size > 0 && !isDepthwise(p.g);
        if (needsGemm && e.residentFloats === 0) throw new Error('a constant weight used 4 times is not resident');
      }),
      numRuns: 30,
    },
    {
      name: 'an executor that splits and reorders calls (as a pool would) gives bit-identical results',
      property: fc.property(fc.oneof(
        convProblem(wide, allActs, { rank: 2, maxSize: 14, cg: [1, 30], mg: [1, 20] }),
        convProblem(wide, allActs, { ...depthwiseShape, maxSize: 20 }),
      ), (p) => {
        const plain = engine('mul+add', () => createWasmSimdGemmEngine({ fma: false }));
        const pool = engine('scrambled mul+add', () => createWasmSimdGemmEngine({
          fma: false, nc: 16, executor: (_, inst) => scramblingExecutor(inst),
        }));
        const a = runConv(p, plain);
        const b = runConv(p, pool);
        const i = a.findIndex((v, j) => !Object.is(v, b[j]));
        if (i >= 0) throw new Error(`element ${i}: sequential ${a[i]}, split and reordered ${b[i]}`);
      }),
      numRuns: 60,
    },
    {
      name: 'max pool (2x2, 3x3, 5x5 windows; strides, dilations, pads, ceil-mode shapes): bit-identical to maxPoolFloat with NaN, ±Inf and ±0',
      property: fc.property(maxPoolProblem(), engineArb(), ({ g, x }, e) => {
        const size = g.channels * g.outShape[1]! * g.outShape[2]!;
        const want = new Float32Array(size);
        maxPoolFloat(x, want, g, null, false, -Infinity);
        const got = new Float32Array(size).fill(12345);
        if (!e.maxPool(x, got, g)) throw new Error('the engine refused a pool it computes');
        const i = want.findIndex((v, j) => !Object.is(v, got[j]));
        if (i >= 0) throw new Error(`element ${i}: maxPoolFloat ${want[i]}, wasm ${got[i]}`);
      }),
      numRuns: 150,
    },
  ];
}

/** A 2-D max pool the wasm kernels take (square window, horizontal stride 1 or 2) and its input. */
function maxPoolProblem(): fc.Arbitrary<{ g: PoolGeometry; x: Float32Array }> {
  const values = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -4, max: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0) });
  return fc.record({
    channels: fc.integer({ min: 1, max: 6 }), H: fc.integer({ min: 1, max: 14 }), W: fc.integer({ min: 1, max: 14 }),
    K: fc.constantFrom(2, 3, 5), sy: fc.integer({ min: 1, max: 3 }), sx: fc.constantFrom(1, 2),
    dy: fc.integer({ min: 1, max: 2 }), dx: fc.integer({ min: 1, max: 2 }),
    pads: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 4, maxLength: 4 }), extra: fc.nat(2),
  }).chain(({ channels, H, W, K, sy, sx, dy, dx, pads, extra }) => {
    // Pads below the window; `extra` more output rows/columns as ceil mode may give (their
    // windows partly or wholly past the input).
    const span = (d: number) => (K - 1) * d + 1;
    const [pt, pl, pb, pr] = [Math.floor(pads[0]! * span(dy)), Math.floor(pads[1]! * span(dx)), Math.floor(pads[2]! * span(dy)), Math.floor(pads[3]! * span(dx))];
    const OH = Math.floor((H + pt + pb - span(dy)) / sy) + 1 + (extra & 1);
    const OW = Math.floor((W + pl + pr - span(dx)) / sx) + 1 + (extra >> 1);
    const g: PoolGeometry = {
      channels, inShape: [1, H, W], outShape: [1, OH, OW], kernel: [1, K, K], strides: [1, sy, sx],
      dilations: [1, dy, dx], padsBegin: [0, pt, pl], padsEnd: [0, pb, pr],
    };
    return fc.array(values, { minLength: channels * H * W, maxLength: channels * H * W })
      .map((v) => ({ g, x: Float32Array.from(v) }));
  }).filter(({ g }) => g.outShape[1]! >= 1 && g.outShape[2]! >= 1);
}
