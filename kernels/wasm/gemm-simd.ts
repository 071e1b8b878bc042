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
// Accumulation order (the same for every element and for any split of M or N into blocks, so
// any thread split of N later gives bit-identical results): K is cut into
// blocks = ceil(k / KC) equal blocks of kc <= KC (gemmSimdBlockDepth, a function of k only).
// In block b the tile starts at +0 and adds a_p * b_p for p in order (float32, rounded after
// each step; one rounding per step with fma, two without); then C = C + fl(alpha * acc)
// (C = fl(alpha * acc) for the first block unless accumulating into C). So, to first order,
// with u = 2^-24 and s = sum_p |alpha a_p b_p| (+ |C0| when accumulating):
//     |C - exact| <= (kc + blocks + 1) * u * s          (kc the block depth, <= KC)
// The epilogue (bias, residual, activation) runs in JS (applyGemmEpilogueF32) on each finished
// C block after it is copied out, exactly as the JS kernel applies it.
//
// One-row products (m = 1) go to the JS kernel (its gemv path packs nothing: packing B would cost
// more than the product), with its float64 accuracy; so do k = 0 products (only the epilogue).
// Each element of C is computed the same way whatever N is, so splitting N (or M, into parts of
// two rows or more) across calls gives bit-identical results.

import { applyGemmEpilogueF32, gemmF32, stridedA, stridedB } from '../gemm-f32.js';
import type { GemmEpilogue, GemmOperandLayout, GemmOptions } from '../gemm-f32.js';
import { FunctionBuilder, ModuleBuilder, ValType } from './assembler.js';

// ---- the module ------------------------------------------------------------------------------

/** Shape of an emitted GEMM module. */
export interface GemmKernelShape {
  /** Rows of the register tile (A strips are MR wide). */
  readonly mr: number;
  /** Columns of the register tile, a multiple of 4 (B strips are NR wide). */
  readonly nr: number;
  /** K steps per trip of the inner loop. */
  readonly unroll: number;
  /** Use f32x4.relaxed_madd (the host must validate it). */
  readonly fma: boolean;
}

/**
 * The module's one export, `block(pa, pb, c, mc, nc, kc, ldc, alpha, load)` (byte addresses;
 * mc a multiple of MR, nc of NR, kc >= 1, ldc in bytes): for each MR x NR tile of the mc x nc
 * block, tile = (load ? tile : 0) + alpha * (A strip)^T (B strip) over kc steps.
 */
export function emitGemmModule(s: GemmKernelShape): Uint8Array<ArrayBuffer> {
  const { mr: MR, nr: NR, unroll: U, fma } = s;
  if (NR % 4 !== 0 || MR < 1 || U < 1) throw new Error(`emitGemmModule: bad tile ${MR}x${NR} unroll ${U}`);
  const V = NR / 4;
  const { i32, f32, v128 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, f32, i32], []);
  const [pa, pb, c, mc, nc, kc, ldc, alpha, load] = f.params as [typeof f.params[0], ...typeof f.params];
  const acc = Array.from({ length: MR * V }, () => f.local(v128));
  const bv = Array.from({ length: V }, () => f.local(v128));
  const av = f.local(v128);
  const alphaV = f.local(v128);
  const aStrip = f.local(i32), bStrip = f.local(i32), cTile = f.local(i32), cCol = f.local(i32), cRow = f.local(i32);
  const pA = f.local(i32), pB = f.local(i32), kk = f.local(i32), ir = f.local(i32), jr = f.local(i32);

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
      f.get(kc).set(kk);
      /** One K step at element offset u (within an unrolled trip). */
      const step = (u: number) => {
        for (let v = 0; v < V; v++) f.get(pB).simdMem('v128.load', (u * NR + 4 * v) * 4, 2).set(bv[v]!);
        for (let r = 0; r < MR; r++) {
          f.get(pA).simdMem('v128.load32_splat', (u * MR + r) * 4).set(av);
          for (let v = 0; v < V; v++) {
            const t = acc[r * V + v]!;
            if (fma) f.get(av).get(bv[v]!).get(t).simd('f32x4.relaxed_madd').set(t);
            else f.get(t).get(av).get(bv[v]!).simd('f32x4.mul').simd('f32x4.add').set(t);
          }
        }
      };
      const advance = (steps: number) => {
        f.get(pA).i32Const(steps * MR * 4).op('i32.add').set(pA);
        f.get(pB).i32Const(steps * NR * 4).op('i32.add').set(pB);
        f.get(kk).i32Const(steps).op('i32.sub').set(kk);
      };
      if (U > 1) {
        const skip = f.block();
        f.get(kk).i32Const(U).op('i32.lt_u').brIf(skip);
        const main = f.loop();
        for (let u = 0; u < U; u++) step(u);
        advance(U);
        f.get(kk).i32Const(U).op('i32.ge_u').brIf(main);
        f.end();
        f.end();
      }
      const done = f.block();
      f.get(kk).op('i32.eqz').brIf(done);
      const rest = f.loop();
      step(0);
      advance(1);
      f.get(kk).brIf(rest);
      f.end();
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

// ---- availability ------------------------------------------------------------------------------

/** A module using f32x4.relaxed_madd: does this host accept relaxed-simd? */
function relaxedProbe(): Uint8Array<ArrayBuffer> {
  const f = new FunctionBuilder([], [ValType.f32]);
  f.v128ConstF32(1, 2, 3, 4).v128ConstF32(1, 2, 3, 4).v128ConstF32(1, 2, 3, 4).simd('f32x4.relaxed_madd').f32x4ExtractLane(0);
  const m = new ModuleBuilder();
  m.addFunction(f, 'probe');
  return m.toBytes();
}

let relaxed: boolean | undefined;

/** True when WebAssembly exists and validates relaxed-simd (f32x4.relaxed_madd). */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = typeof WebAssembly === 'object' && WebAssembly.validate(relaxedProbe());
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

// ---- configuration ----------------------------------------------------------------------------

/** The register tile, unrolling and cache blocking of one GEMM engine. */
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
  return { mr: 4, nr: 8, unroll: 1, fma: relaxedSimdAvailable(), mc: 128, kc: 256, nc: 1024 };
}

/** The depth of each K block for a product of depth k: equal blocks of at most `kcMax`. */
export function gemmSimdBlockDepth(k: number, kcMax: number): number {
  return k === 0 ? 0 : Math.ceil(k / Math.ceil(k / kcMax));
}

// ---- the engine: one instance, its memory, and views of it --------------------------------------

type BlockFn = (pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number, alpha: number, load: number) => void;

const PAGE = 65536;

class GemmSimdEngine {
  readonly memory: WebAssembly.Memory;
  readonly block: BlockFn;
  view: Float32Array;

  constructor(readonly config: GemmSimdConfig, module: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: 16 });
    const inst = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.block = inst.exports.block as BlockFn;
    this.view = new Float32Array(this.memory.buffer);
  }

  /** Makes the memory at least `floats` long; returns the current view. */
  reserve(floats: number): Float32Array {
    const bytes = floats * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.view.buffer !== this.memory.buffer || this.view.length * 4 !== this.memory.buffer.byteLength) {
      this.view = new Float32Array(this.memory.buffer);
    }
    return this.view;
  }
}

const engines = new Map<string, GemmSimdEngine | null>();

/** The engine for `config`, compiled once; null where WebAssembly, SIMD or run-time compilation is missing. */
function engineFor(config: GemmSimdConfig): GemmSimdEngine | null {
  const key = JSON.stringify(config);
  let e = engines.get(key);
  if (e === undefined) {
    try {
      // new WebAssembly.Module is synchronous; hosts that forbid compiling bytes (workerd) throw here.
      e = new GemmSimdEngine(config, new WebAssembly.Module(emitGemmModule(config)));
    } catch {
      e = null;
    }
    engines.set(key, e);
  }
  return e;
}

/** True when the SIMD GEMM can run here: WebAssembly with SIMD128, and compiling bytes is allowed. */
export function simdAvailable(): boolean {
  return typeof WebAssembly === 'object' && engineFor(defaultGemmSimdConfig()) !== null;
}

// ---- packing -------------------------------------------------------------------------------------

/**
 * Packs rows [0, rows) x depth [pc, pc + kc) of a matrix whose element (r, p) is
 * data[off + r * rs + p * ps] as W-wide strips at dst[q0...] (strip b at q0 + b * W * kc,
 * element (r, p) of a strip at p * W + r), zero-padding the last strip to W rows.
 * Rows are A's rows (W = MR) or B's columns (W = NR).
 */
function packStrips(
  data: Float32Array, off: number, rs: number, ps: number,
  r0: number, rows: number, pc: number, kc: number, W: number, dst: Float32Array, q0: number,
): void {
  let q = q0;
  for (let r = 0; r < rows; r += W) {
    const w = Math.min(W, rows - r);
    const base = off + (r0 + r) * rs + pc * ps;
    if (w === W && rs === 1) {
      // Strip rows adjacent in memory (a row-major B, a transposed A): runs of W.
      for (let p = 0, s = base; p < kc; p++, s += ps, q += W) {
        for (let t = 0; t < W; t++) dst[q + t] = data[s + t]!;
      }
    } else if (w === W && ps === 1) {
      // Depth adjacent in memory (a row-major A, a transposed B): W streams read in step.
      for (let t = 0; t < W; t++) {
        const s = base + t * rs;
        for (let p = 0, x = q + t; p < kc; p++, x += W) dst[x] = data[s + p]!;
      }
      q += W * kc;
    } else {
      for (let p = 0, s = base; p < kc; p++, s += ps, q += W) {
        let t = 0;
        for (; t < w; t++) dst[q + t] = data[s + t * rs]!;
        for (; t < W; t++) dst[q + t] = 0;
      }
    }
  }
}

// ---- the driver -----------------------------------------------------------------------------------

const NO_EPILOGUE: GemmEpilogue = {};

/** Rounds a float count up to a whole number of 16-byte vectors. */
const vec4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * C (m x n) = epilogue(alpha * op(A) @ op(B) [+ C]) with the multiply-adds in WebAssembly SIMD:
 * the contract of gemmF32 (layouts, cOffset/ldc, alpha, accumulate, epilogue). C must not
 * overlap A or B. Throws where simdAvailable() is false; check it first and call gemmF32 there.
 */
export function gemmSimdF32(
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {},
): void {
  gemmSimdF32With(defaultGemmSimdConfig(), a, aLayout, b, bLayout, c, m, n, k, o);
}

/** gemmSimdF32 with an explicit tile and blocking (for the benchmark that chooses the default). */
export function gemmSimdF32With(
  config: GemmSimdConfig,
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {},
): void {
  if (m === 0 || n === 0) return;
  if (k === 0 || m === 1) {
    gemmF32(a, aLayout, b, bLayout, c, m, n, k, o);
    return;
  }
  const engine = engineFor(config);
  if (engine === null) throw new Error('gemmSimdF32: WebAssembly SIMD is not available in this host (check simdAvailable() first)');
  const { mr: MR, nr: NR } = config;
  const A = stridedA(a, m, k, aLayout);
  const B = stridedB(b, k, n, bLayout);
  const cOff = o.cOffset ?? 0;
  const ldc = o.ldc ?? n;
  const alpha = o.alpha ?? 1;
  const accumulate = o.accumulate === true;
  const ep = o.epilogue ?? NO_EPILOGUE;

  const kcMax = gemmSimdBlockDepth(k, config.kc);
  const mPad = Math.ceil(m / MR) * MR;
  const ncMax = Math.min(config.nc, Math.ceil(n / NR) * NR);
  const aFloats = vec4(mPad * k);
  const bFloats = vec4(kcMax * ncMax);
  const aBase = 0, bBase = aFloats, cBase = aFloats + bFloats;
  const mem = engine.reserve(cBase + mPad * ncMax);

  // op(A) whole, K block by K block: block pc at pc * mPad, strip at (row / MR) * MR * kc.
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    packStrips(A.data, A.offset, A.rowStride, A.colStride, 0, m, pc, kc, MR, mem, aBase + pc * mPad);
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
      packStrips(B.data, B.offset, B.colStride, B.rowStride, jc, nc, pc, kc, NR, mem, bBase);
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
