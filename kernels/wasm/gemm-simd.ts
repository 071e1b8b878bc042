// Float32 GEMM on WebAssembly SIMD128: C = epilogue(alpha * op(A) @ op(B) [+ C]), the contract
// of gemmF32 (kernels/gemm-f32.ts), with the multiply-adds in a module this file assembles
// (kernels/wasm/assembler.ts) — no .wasm file, no eval.
//
// Memory. The module imports one WebAssembly.Memory that JS also views as a Float32Array;
// it holds, 16-byte aligned: op(A) packed whole (K block by K block, MR-row strips, zero-padded
// to a multiple of MR rows), one K block of op(B) for one NC-column block (NR-column strips,
// zero-padded), and the matching C block (all rows, ldc a multiple of NR). Packing runs in JS
// straight into that view; the memory grows when a product needs more.
//
// Loops. jc (NC columns of C) > pc (K blocks; B block packed here) > ic (MC rows, one wasm call)
// > jr (NR-column strips of B, in wasm) > ir (MR-row strips of A) > the micro-kernel. A B strip
// (kc x NR floats) stays in L1 while the ir loop streams the MC x kc block of A from L2.
// The micro-kernel keeps the MR x NR tile in MR * NR / 4 f32x4 locals and per K step does
// NR / 4 vector loads of B, MR splat-loads of A and MR * NR / 4 multiply-adds (relaxed fma
// where the host validates it, f32x4.mul then f32x4.add otherwise). Edge tiles need no code of
// their own: padded rows and columns compute on zeros and are never copied out.
//
// The tile is 4x8, by measurement (bench/gemm-simd-tune.ts, V8 11.3 on x64): 8 accumulators,
// 2 B vectors and the 4 A broadcasts TurboFan hoists to the top of the step fit the 15 xmm
// registers it allocates; 6x8, 5x8, 8x8, 4x12, 3x16 and 4x16 spill accumulators to the stack
// and ran 30-45% slower (2x16 and 3x12 about tie with 4x8). The K loop is one step long:
// TurboFan unrolls it itself, and unrolling it in the emitted code (2 or 4 steps) ran 30-40%
// slower. Relaxed fma does not beat mul+add on this machine's AMD EPYC (Zen 4), which has
// separate add and multiply pipes; it is used where available for its one rounding. 4x8 is
// also the JS kernel's tile, so its packed A panels (packGemmA, K blocks of 256) have this
// layout. Other engines differ (same script, 512^3): Deno 2.9 (V8 15.0) runs 6x8 fma 8% faster
// than 4x8 fma, and 4x8 fma 23% faster than 4x8 mul+add; Bun 1.4 (JavaScriptCore) runs 4x8
// fma 13% slower than mul+add. A per-engine choice is left for later.
//
// Accumulation order (the same for every element and for any split of M or N into blocks, so
// any thread split of N later gives bit-identical results): K is cut into
// blocks = ceil(k / KC) equal blocks of kc <= KC (gemmSimdBlockDepth, a function of k only).
// In block b the tile starts at +0 and adds a_p * b_p for p in order (float32, rounded after
// each step; one rounding per step with fma, two without); then C = C + fl(alpha * acc)
// (C = fl(alpha * acc) for the first block unless accumulating into C), alpha itself rounded
// to float32. So, to first order, with u = 2^-24 and s = sum_p |alpha a_p b_p| (+ |C0| when
// accumulating):
//     |C - exact| <= (kc + blocks + 2) * u * s          (kc the block depth, <= KC)
// against the JS kernel's (k * 2^-53 + blocks * 2^-24) * s: the float64 sums of JS cost more
// than the SIMD product, so this path accepts float32's usual error (onnxruntime's too).
// The epilogue (bias, residual, activation) runs in JS (applyGemmEpilogueF32) on each finished
// C block after it is copied out, exactly as the JS kernel applies it.
//
// One-row products (m = 1) go to the JS kernel (its gemv path packs nothing: packing B would cost
// more than the product), with its float64 accuracy; so do k = 0 products (only the epilogue).
// Each element of C is computed the same way whatever N is, so splitting N (or M, into parts of
// two rows or more) across calls gives bit-identical results.

import {
  applyGemmEpilogueF32, GEMM_MR, GEMM_NR, gemmF32, gemmPackedAF32, gemmPackedBF32, stridedA, stridedB,
} from '../gemm-f32.js';
import type { GemmEpilogue, GemmOperandLayout, GemmOptions, PackedGemmA, PackedGemmB, StridedMatrix } from '../gemm-f32.js';
import { FunctionBuilder, ModuleBuilder, ValType, WasmAssemblyError } from './assembler.js';
import { compileModule, KernelMemory, relaxedSimdAvailable, WasmKernelError } from './host.js';
import { packStrips } from '../gemm-pack.js';

export { relaxedSimdAvailable } from './host.js';

// ---- the module ------------------------------------------------------------------------------

/** Shape of an emitted GEMM module. */
export interface GemmKernelShape {
  /** Rows of the register tile (A strips are MR wide). */
  readonly mr: number;
  /** Columns of the register tile, a multiple of 4 (B strips are NR wide). */
  readonly nr: number;
  /** Use f32x4.relaxed_madd (the host must validate it). */
  readonly fma: boolean;
}

/**
 * The module's one export, `block(pa, pb, c, mc, nc, kc, ldc, alpha, load)` (byte addresses;
 * mc a multiple of MR, nc of NR, kc >= 1, ldc in bytes): for each MR x NR tile of the mc x nc
 * block, tile = (load ? tile : 0) + alpha * (A strip)^T (B strip) over kc steps.
 */
export function emitGemmModule(s: GemmKernelShape): Uint8Array<ArrayBuffer> {
  const { mr: MR, nr: NR, fma } = s;
  if (NR % 4 !== 0 || MR < 1) throw new WasmAssemblyError(`emitGemmModule: bad tile ${MR}x${NR} (NR must be a multiple of 4)`);
  const V = NR / 4;
  const { i32, f32, v128 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, f32, i32], []);
  const [pa, pb, c, mc, nc, kc, ldc, alpha, load] = f.params;
  const acc = Array.from({ length: MR * V }, () => f.local(v128));
  const bv = Array.from({ length: V }, () => f.local(v128));
  const av = f.local(v128);
  const alphaV = f.local(v128);
  const aStrip = f.local(i32), bStrip = f.local(i32), cTile = f.local(i32), cCol = f.local(i32), cRow = f.local(i32);
  const pA = f.local(i32), pB = f.local(i32), aEnd = f.local(i32), ir = f.local(i32), jr = f.local(i32);

  f.get(alpha).simd('f32x4.splat').set(alphaV);
  f.get(pb).set(bStrip);
  f.get(c).set(cCol);
  f.i32Const(0).set(jr);
  const jrLoop = f.loop();
  {
    f.get(pa).set(aStrip);
    f.get(cCol).set(cTile);
    f.i32Const(0).set(ir);
    const irLoop = f.loop();
    {
      for (const a of acc) f.v128ConstF32(0, 0, 0, 0).set(a);
      f.get(aStrip).set(pA);
      f.get(bStrip).set(pB);
      // K loop: kc >= 1 steps, ended by comparing the A pointer with its end (no counter).
      f.get(pA).get(kc).i32Const(MR * 4).op('i32.mul').op('i32.add').set(aEnd);
      const kLoop = f.loop();
      for (let v = 0; v < V; v++) f.get(pB).simdMem('v128.load', 16 * v, 2).set(bv[v]!);
      for (let r = 0; r < MR; r++) {
        f.get(pA).simdMem('v128.load32_splat', 4 * r).set(av);
        for (let v = 0; v < V; v++) {
          const t = acc[r * V + v]!;
          if (fma) f.get(av).get(bv[v]!).get(t).simd('f32x4.relaxed_madd').set(t);
          else f.get(t).get(av).get(bv[v]!).simd('f32x4.mul').simd('f32x4.add').set(t);
        }
      }
      f.get(pA).i32Const(MR * 4).op('i32.add').set(pA);
      f.get(pB).i32Const(NR * 4).op('i32.add').set(pB);
      f.get(pA).get(aEnd).op('i32.ne').brIf(kLoop);
      f.end();

      // Write the tile: C = alpha * acc, or C + alpha * acc.
      const store = (accumulate: boolean) => {
        f.get(cTile).set(cRow);
        for (let r = 0; r < MR; r++) {
          if (r > 0) f.get(cRow).get(ldc).op('i32.add').set(cRow);
          for (let v = 0; v < V; v++) {
            f.get(cRow);
            if (accumulate) f.get(cRow).simdMem('v128.load', 16 * v, 2);
            f.get(acc[r * V + v]!).get(alphaV).simd('f32x4.mul');
            if (accumulate) f.simd('f32x4.add');
            f.simdMem('v128.store', 16 * v, 2);
          }
        }
      };
      f.get(load).if();
      store(true);
      f.else();
      store(false);
      f.end();

      f.get(aStrip).get(kc).i32Const(MR * 4).op('i32.mul').op('i32.add').set(aStrip);
      f.get(cTile).get(ldc).i32Const(MR).op('i32.mul').op('i32.add').set(cTile);
      f.get(ir).i32Const(MR).op('i32.add').tee(ir).get(mc).op('i32.lt_u').brIf(irLoop);
    }
    f.end();
    f.get(bStrip).get(kc).i32Const(NR * 4).op('i32.mul').op('i32.add').set(bStrip);
    f.get(cCol).i32Const(NR * 4).op('i32.add').set(cCol);
    f.get(jr).i32Const(NR).op('i32.add').tee(jr).get(nc).op('i32.lt_u').brIf(jrLoop);
  }
  f.end();
  const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1 });
  m.addFunction(f, 'block');
  return m.toBytes();
}

// ---- configuration ----------------------------------------------------------------------------

/** The register tile and cache blocking of one GEMM engine. */
export interface GemmSimdConfig extends GemmKernelShape {
  /** Rows of A per wasm call (an MC x KC block of A stays in L2); a multiple of mr. */
  readonly mc: number;
  /** Largest K block. */
  readonly kc: number;
  /** Columns of C per block (a KC x NC block of B); a multiple of nr. */
  readonly nc: number;
}

/** Chosen by measurement (bench/gemm-simd.ts). */
export function defaultGemmSimdConfig(): GemmSimdConfig {
  return { mr: 4, nr: 8, fma: relaxedSimdAvailable(), mc: 128, kc: 256, nc: 1024 };
}

/** The depth of each K block for a product of depth k: equal blocks of at most `kcMax`. */
export function gemmSimdBlockDepth(k: number, kcMax: number): number {
  return k === 0 ? 0 : Math.ceil(k / Math.ceil(k / kcMax));
}

// ---- the engine: one instance and its memory -------------------------------------------------

type BlockFn = (pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number, alpha: number, load: number) => void;

interface GemmSimdEngine {
  readonly memory: KernelMemory;
  readonly block: BlockFn;
}

const engines = new Map<string, GemmSimdEngine | null>();

/** The engine for `config`, compiled once; null where WebAssembly, SIMD or run-time compilation is missing. */
function engineFor(config: GemmSimdConfig): GemmSimdEngine | null {
  const key = JSON.stringify(config);
  let e = engines.get(key);
  if (e === undefined) {
    const module = compileModule(emitGemmModule(config));
    if (module === null) e = null;
    else {
      const memory = new KernelMemory();
      const inst = new WebAssembly.Instance(module, { env: { memory: memory.memory } });
      e = { memory, block: inst.exports.block as BlockFn };
    }
    engines.set(key, e);
  }
  return e;
}

/** True when the SIMD GEMM can run here: WebAssembly with SIMD128, and compiling bytes is allowed. */
export function simdAvailable(): boolean {
  return engineFor(defaultGemmSimdConfig()) !== null;
}

// ---- packing -------------------------------------------------------------------------------------

// ---- the driver -----------------------------------------------------------------------------------

const NO_EPILOGUE: GemmEpilogue = {};

/** Rounds a float count up to a whole number of 16-byte vectors. */
const vec4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * C (m x n) = epilogue(alpha * op(A) @ op(B) [+ C]) with the multiply-adds in WebAssembly SIMD:
 * the contract of gemmF32 (layouts, cOffset/ldc, alpha, accumulate, epilogue). C must not
 * overlap A or B. Throws a WasmKernelError where simdAvailable() is false (check it first and
 * call gemmF32 there) or when the host refuses the memory the product needs.
 */
export function gemmSimdF32(
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {},
): void {
  gemmSimdF32With(defaultGemmSimdConfig(), a, aLayout, b, bLayout, c, m, n, k, o);
}

/** gemmSimdF32 with A packed by packGemmA (a constant weight): its panels are copied, not repacked. */
export function gemmSimdPackedAF32(
  pa: PackedGemmA, b: Float32Array, bLayout: GemmOperandLayout, c: Float32Array, n: number, o: GemmOptions = {},
  config = defaultGemmSimdConfig(),
): void {
  const { m, k } = pa;
  if (k === 0 || m === 1) return gemmPackedAF32(pa, b, bLayout, c, n, o);
  run(config, m, n, k, pa.source, pa, stridedB(b, k, n, bLayout), null, c, o);
}

/** gemmSimdF32 with B packed by packGemmB (a constant weight): its panels are copied, not repacked. */
export function gemmSimdPackedBF32(
  a: Float32Array, aLayout: GemmOperandLayout, pb: PackedGemmB, c: Float32Array, m: number, o: GemmOptions = {},
  config = defaultGemmSimdConfig(),
): void {
  const { n, k } = pb;
  if (k === 0 || m === 1) return gemmPackedBF32(a, aLayout, pb, c, m, o);
  run(config, m, n, k, stridedA(a, m, k, aLayout), null, pb.source, pb, c, o);
}

/** gemmSimdF32 with an explicit tile and blocking (for the benchmark that chooses the default). */
export function gemmSimdF32With(
  config: GemmSimdConfig,
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {},
): void {
  if (k === 0 || m === 1) return gemmF32(a, aLayout, b, bLayout, c, m, n, k, o);
  run(config, m, n, k, stridedA(a, m, k, aLayout), null, stridedB(b, k, n, bLayout), null, c, o);
}

function run(
  config: GemmSimdConfig, m: number, n: number, k: number,
  A: StridedMatrix, aPacked: PackedGemmA | null, B: StridedMatrix, bPacked: PackedGemmB | null,
  c: Float32Array, o: GemmOptions,
): void {
  if (m === 0 || n === 0) return;
  const engine = engineFor(config);
  if (engine === null) {
    throw new WasmKernelError('WASM_UNAVAILABLE', 'gemmSimdF32: WebAssembly SIMD is not available in this host (check simdAvailable() first)');
  }
  const { mr: MR, nr: NR } = config;
  const cOff = o.cOffset ?? 0;
  const ldc = o.ldc ?? n;
  const alpha = o.alpha ?? 1;
  const accumulate = o.accumulate === true;
  const ep = o.epilogue ?? NO_EPILOGUE;

  const kcMax = gemmSimdBlockDepth(k, config.kc);
  // Panels from packGemmA / packGemmB have this layout when the tile and K blocks match.
  const aPanels = aPacked !== null && MR === GEMM_MR && aPacked.kcMax === kcMax ? aPacked.panels : null;
  const bPanels = bPacked !== null && NR === GEMM_NR && bPacked.kcMax === kcMax && config.nc % NR === 0 ? bPacked : null;
  const mPad = Math.ceil(m / MR) * MR;
  const ncMax = Math.min(config.nc, Math.ceil(n / NR) * NR);
  const aFloats = vec4(mPad * k);
  const bFloats = vec4(kcMax * ncMax);
  const aBase = 0, bBase = aFloats, cBase = aFloats + bFloats;
  const mem = engine.memory.reserveFloats(cBase + mPad * ncMax, `gemmSimdF32 (${m}x${k} @ ${k}x${n})`);

  // op(A) whole, K block by K block: block pc at pc * mPad, strip at (row / MR) * MR * kc.
  if (aPanels !== null) mem.set(aPanels.subarray(0, mPad * k), aBase);
  else {
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      packStrips(A.data, A.offset, A.rowStride, A.colStride, 0, m, pc, kc, MR, mem, aBase + pc * mPad);
    }
  }
  const mcStep = Math.max(MR, Math.floor(config.mc / MR) * MR);
  for (let jc = 0; jc < n; jc += config.nc) {
    const nc = Math.min(config.nc, n - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    if (accumulate) {
      for (let i = 0; i < m; i++) mem.set(c.subarray(cOff + i * ldc + jc, cOff + i * ldc + jc + nc), cBase + i * ncPad);
    }
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      if (bPanels !== null) {
        const from = pc * bPanels.nPad + jc * kc;
        mem.set(bPanels.panels.subarray(from, from + ncPad * kc), bBase);
      } else {
        packStrips(B.data, B.offset, B.colStride, B.rowStride, jc, nc, pc, kc, NR, mem, bBase);
      }
      const load = accumulate || pc > 0 ? 1 : 0;
      for (let ic = 0; ic < mPad; ic += mcStep) {
        const mc = Math.min(mcStep, mPad - ic);
        engine.block(4 * (aBase + pc * mPad + ic * kc), 4 * bBase, 4 * (cBase + ic * ncPad), mc, ncPad, kc, 4 * ncPad, alpha, load);
      }
    }
    for (let i = 0; i < m; i++) c.set(mem.subarray(cBase + i * ncPad, cBase + i * ncPad + nc), cOff + i * ldc + jc);
    applyGemmEpilogueF32(c, cOff, ldc, n, 0, m, jc, nc, ep);
  }
}
