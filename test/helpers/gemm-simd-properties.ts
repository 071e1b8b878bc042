// The properties of the WebAssembly SIMD GEMM (kernels/wasm/gemm-simd.ts) against the naive
// float64 triple loop (kernels/reference/gemm.ts), free of any test runner: vitest runs them in
// test/props/gemm-simd.test.ts, and test/portability/gemm-simd-run.ts runs the same ones in
// Node, Deno and Bun.

import fc from 'fast-check';
import { gemmBlockDepth, packGemmA, packGemmB, type GemmActivation, type GemmEpilogue } from '../../kernels/gemm-f32.js';
import {
  createWasmSimdGemmEngine, gemmSimdF32, gemmSimdPackedAF32, gemmSimdPackedBF32, relaxedSimdAvailable, type WasmSimdGemmEngine,
} from '../../kernels/wasm/engine.js';
import {
  allActs, checkWithin, exactActs, type GemmCase, gemmCaseArb, gemmCaseOperands, gemmCaseReference, smallInt, special, wide,
} from './gemm-arbitraries.js';

/** A GEMM case and which engine runs it: relaxed-simd fma or not, small cache blocks or not. */
type Case = GemmCase & {
  fma: boolean;
  /** Small cache blocks, so that small products cross MC, NC and KC boundaries too. */
  smallBlocks: boolean;
};

/** Both kernels where the host has relaxed-simd, else mul+add only. */
const fmaChoices = (): fc.Arbitrary<boolean> => (relaxedSimdAvailable() ? fc.boolean() : fc.constant(false));

const exactAlphas = fc.constantFrom(1, 0.5, -2);
const allAlphas = fc.constantFrom(1, 0.5, -2, 0.3);

const caseArb = (values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>, alphas = allAlphas): fc.Arbitrary<Case> =>
  gemmCaseArb(values, acts, alphas, { fma: fmaChoices(), smallBlocks: fc.boolean() });

/** Blocks of 8 rows and 16 columns, so that small products cross MC and NC boundaries too. */
const SMALL_BLOCKS = { mc: 8, nc: 16 } as const;
const engines = new Map<string, WasmSimdGemmEngine>();
/** An engine per arithmetic and blocking, each with its own memory, made once. */
function engineOf(t: { fma: boolean; smallBlocks: boolean }): WasmSimdGemmEngine {
  const key = `${t.fma} ${t.smallBlocks}`;
  let e = engines.get(key);
  if (e === undefined) {
    const made = createWasmSimdGemmEngine({ fma: t.fma, ...(t.smallBlocks ? SMALL_BLOCKS : {}) });
    if (made === null) throw new Error(`no wasm engine for ${key} in this host`);
    engines.set(key, e = made);
  }
  return e;
}

/** Runs the SIMD kernel; returns all of C (padding included). */
function runSimd(t: Case): Float32Array {
  const { a, b, c, aL, bL, o } = gemmCaseOperands(t);
  const e = engineOf(t);
  if (t.mode === 'plain') gemmSimdF32(a, aL, b, bL, c, t.m, t.n, t.k, o, e);
  else if (t.mode === 'packedA') gemmSimdPackedAF32(packGemmA(a, t.m, t.k, aL), b, bL, c, t.n, o, e);
  else gemmSimdPackedBF32(a, aL, packGemmB(b, t.k, t.n, bL), c, t.m, o, e);
  return c;
}

/**
 * The reference result (whole C) and, per element, the error bound of the SIMD kernel's
 * accumulation order (kernels/wasm/gemm-simd.ts): (kc + blocks + 2) float32 roundings of the
 * product's absolute sum, two more for the accumulate/bias/residual passes, and the activation's
 * own rounding (Lipschitz constant <= 1.2 for every activation here), with 20% slack for the
 * second-order terms.
 */
function runReference(t: Case): { want: number[]; tol: number[] } {
  const kc = gemmBlockDepth(t.k);
  const blocks = t.k === 0 ? 0 : Math.ceil(t.k / kc);
  const roundings = kc + blocks + 2 + 2;
  return gemmCaseReference(t, (mag, want) => 1.2 * 1.2 * roundings * 2 ** -24 * mag + 2 ** -22 * Math.abs(want) + 2 ** -126);
}

const check = checkWithin;

/**
 * The accumulation order documented in kernels/wasm/gemm-simd.ts, simulated with Math.fround
 * (float32 rounding of a float64 result; for +, - and * of float32 values this equals float32
 * arithmetic, float64 having more than 2 * 24 + 2 bits): in each K block the products are summed
 * from +0 in K order, then C = fl(C + fl(alpha * sum)) (or C = fl(alpha * sum) for the first block
 * when not accumulating). The mul+add kernel must match it bit for bit.
 */
function simulateOrder(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, alpha: number, accumulate: boolean,
): void {
  const f = Math.fround;
  const kc = gemmBlockDepth(k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let v = c[i * n + j]!;
      for (let pc = 0; pc < k; pc += kc) {
        let acc = 0;
        for (let p = pc; p < Math.min(k, pc + kc); p++) acc = f(acc + f(a[i * k + p]! * b[p * n + j]!));
        const t = f(f(alpha) * acc);
        v = pc === 0 && !accumulate ? t : f(v + t);
      }
      c[i * n + j] = v;
    }
  }
}

/** The epilogue of kernels/wasm/gemm-simd.ts on a finished element: + fl(beta * bias), + residual, each rounded; then the clamp. */
function simulateEpilogue(v: number, bias: number | null, beta: number, res: number | null, act: GemmActivation): number {
  const f = Math.fround;
  if (bias !== null) v = f(v + f(beta * bias));
  if (res !== null) v = f(v + res);
  if (act.kind === 'relu') return Number.isNaN(v) ? v : Math.max(v, 0);
  if (act.kind === 'clip') return Number.isNaN(v) ? v : Math.min(Math.max(v, act.min), act.max);
  return v;
}

const splitDims = fc.record({
  m: fc.integer({ min: 2, max: 40 }), n: fc.integer({ min: 2, max: 90 }), k: fc.integer({ min: 1, max: 600 }),
});

export interface GemmSimdProperty {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly property: fc.IProperty<any>;
  readonly numRuns: number;
}

/** Every property, with its run count. */
export function gemmSimdProperties(): GemmSimdProperty[] {
  return [
    {
      name: 'small integers: exact, with transposes, offsets, a prepacked A or B, alpha, accumulate, bias, residual and piecewise-linear activations',
      property: fc.property(caseArb(smallInt, exactActs, exactAlphas), (t) => {
        // Every partial sum is an integer (times a power of two for alpha 0.5/-2) far below 2^24: exact in float32.
        const { want } = runReference(t);
        const got = Array.from(runSimd(t), (v) => v + 0);
        for (let i = 0; i < want.length; i++) {
          const w = want[i]! + 0;
          if (got[i] !== w) throw new Error(`element ${i}: got ${got[i]}, want ${w}`);
        }
      }),
      numRuns: 120,
    },
    {
      name: 'values in ±1e3 with every activation: within the documented float32 error bound',
      property: fc.property(caseArb(wide, allActs), (t) => {
        const { want, tol } = runReference(t);
        check(runSimd(t), want, tol);
      }),
      numRuns: 80,
    },
    {
      name: 'NaN and ±Inf propagate like the reference',
      property: fc.property(caseArb(fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt }), allActs), (t) => {
        const { want, tol } = runReference(t);
        check(runSimd(t), want, tol);
      }),
      numRuns: 80,
    },
    {
      name: 'the mul+add kernel follows the documented accumulation order bit for bit',
      property: fc.property(
        fc.record({
          m: fc.integer({ min: 2, max: 13 }), n: fc.integer({ min: 1, max: 20 }),
          k: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 700 })),
          alpha: fc.constantFrom(1, -0.3, 1.7), accumulate: fc.boolean(), seed: fc.integer(), smallBlocks: fc.boolean(),
        }),
        ({ m, n, k, alpha, accumulate, seed, smallBlocks }) => {
          let s = seed | 0;
          // Values spread over 2^-8 .. 2^8 so that the order of the sum shows in its rounding.
          const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) | 0; return ((s >> 8) / (1 << 23)) * 2 ** ((s & 15) - 8); };
          const a = Float32Array.from({ length: m * k }, rnd);
          const b = Float32Array.from({ length: k * n }, rnd);
          const got = Float32Array.from({ length: m * n }, rnd);
          const want = got.slice();
          gemmSimdF32(a, {}, b, {}, got, m, n, k, { alpha, accumulate }, engineOf({ fma: false, smallBlocks }));
          simulateOrder(a, b, want, m, n, k, alpha, accumulate);
          for (let x = 0; x < m * n; x++) {
            if (!Object.is(got[x], want[x])) throw new Error(`element ${x}: got ${got[x]}, the documented order gives ${want[x]}`);
          }
        },
      ),
      numRuns: 60,
    },
    {
      name: 'the epilogue in the kernel (row or column bias, residual, relu or clip) follows the documented order bit for bit',
      property: fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 13 }), n: fc.integer({ min: 1, max: 20 }), k: fc.integer({ min: 1, max: 300 }),
          alpha: fc.constantFrom(1, -0.3), beta: fc.constantFrom(1, 0.3), accumulate: fc.boolean(), seed: fc.integer(),
          bias: fc.constantFrom('none', 'row', 'col'), residual: fc.boolean(),
          act: fc.constantFrom<GemmActivation>({ kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: -0.5, max: 2 }),
        }),
        ({ m, n, k, alpha, beta, accumulate, seed, bias, residual, act }) => {
          let s = seed | 0;
          const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) | 0; return ((s >> 8) / (1 << 23)) * 2 ** ((s & 7) - 4); };
          const a = Float32Array.from({ length: m * k }, rnd);
          const b = Float32Array.from({ length: k * n }, rnd);
          const got = Float32Array.from({ length: m * n }, rnd);
          const biasData = Float32Array.from({ length: Math.max(m, n) }, rnd);
          const res = Float32Array.from({ length: m * n }, rnd);
          const want = got.slice();
          const epilogue: GemmEpilogue = {
            ...(bias === 'none' ? {} : { bias: biasData, biasScale: beta, biasRowStride: bias === 'row' ? 1 : 0, biasColStride: bias === 'col' ? 1 : 0 }),
            ...(residual ? { residual: res } : {}),
            activation: act,
          };
          gemmSimdF32(a, {}, b, {}, got, m, n, k, { alpha, accumulate, epilogue }, engineOf({ fma: false, smallBlocks: false }));
          simulateOrder(a, b, want, m, n, k, alpha, accumulate);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const x = i * n + j;
              const bv = bias === 'none' ? null : biasData[bias === 'row' ? i : j]!;
              const w = simulateEpilogue(want[x]!, bv, beta, residual ? res[x]! : null, act);
              if (!Object.is(got[x], w) && !(got[x] === 0 && w === 0)) throw new Error(`element ${x}: got ${got[x]}, the documented order gives ${w}`);
            }
          }
        },
      ),
      numRuns: 60,
    },
    {
      name: 'splitting N or M into blocks (as threads will) gives bit-identical results',
      property: fc.property(
        splitDims.chain(({ m, n, k }) => fc.record({
          m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
          jSplit: fc.integer({ min: 1, max: n - 1 }), iSplit: fc.integer({ min: 1, max: m - 1 }),
          fma: fmaChoices(), accumulate: fc.boolean(), seed: fc.integer(), smallBlocks: fc.boolean(),
        })),
        ({ m, n, k, jSplit, iSplit, fma, accumulate, seed, smallBlocks }) => {
          const engine = engineOf({ fma, smallBlocks });
          let s = seed | 0;
          const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) | 0; return (s >> 8) / (1 << 23); };
          const a = Float32Array.from({ length: m * k }, rnd);
          const b = Float32Array.from({ length: k * n }, rnd);
          const c0 = Float32Array.from({ length: m * n }, rnd);
          const whole = c0.slice();
          gemmSimdF32(a, {}, b, {}, whole, m, n, k, { accumulate, alpha: 0.75 }, engine);
          const cols = c0.slice();
          gemmSimdF32(a, {}, b, { ld: n }, cols, m, jSplit, k, { accumulate, alpha: 0.75, ldc: n }, engine);
          gemmSimdF32(a, {}, b, { offset: jSplit, ld: n }, cols, m, n - jSplit, k, { accumulate, alpha: 0.75, ldc: n, cOffset: jSplit }, engine);
          const rows = c0.slice();
          gemmSimdF32(a, {}, b, {}, rows, iSplit, n, k, { accumulate, alpha: 0.75 }, engine);
          gemmSimdF32(a, { offset: iSplit * k }, b, {}, rows, m - iSplit, n, k, { accumulate, alpha: 0.75, cOffset: iSplit * n }, engine);
          for (let x = 0; x < m * n; x++) {
            if (!Object.is(cols[x], whole[x]) || !Object.is(rows[x], whole[x])) {
              throw new Error(`element ${x}: whole ${whole[x]}, column split ${cols[x]}, row split ${rows[x]}`);
            }
          }
        },
      ),
      numRuns: 60,
    },
  ];
}
