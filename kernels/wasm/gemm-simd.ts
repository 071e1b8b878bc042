// Float32 GEMM on WebAssembly SIMD128: the block kernel (a module this file assembles with
// kernels/wasm/assembler.ts — no .wasm file, no eval) and the driver that runs a GemmEngine's
// product over GemmPanelSources with it (kernels/wasm/engine.ts makes the engine).
//
// Memory. The kernels' one WebAssembly.Memory (host.ts KernelMemory), which JS also views as a
// Float32Array, holds: constant panels kept resident across calls (resident.ts: prepacked
// weights, from their second use), then this call's scratch, 16-byte aligned: op(A) packed whole
// (K block by K block, MR-row strips, zero-padded to a multiple of MR rows) unless resident, one
// K block of op(B) for one NC-column block (NR-column strips, zero-padded) unless resident, and
// the matching C block (all rows, row stride a multiple of NR). Sources pack straight into that
// memory (GemmPanelSource.packInto) where they can.
//
// Loops. jc (NC columns of C) > pc (K blocks; B block packed here) > ic (MC rows, one wasm call)
// > jr (NR-column strips of B, in wasm) > ir (MR-row strips of A) > the micro-kernel. A B strip
// (kc x NR floats) stays in L1 while the ir loop streams the MC x kc block of A from L2. The ic
// calls of one (jc, pc) block write disjoint rows of C: they go to the engine's executor as one
// batch (sequential by default; a worker pool over shared memory may run them at once, or split
// each further by rows in multiples of MR or columns in multiples of NR: see splitGemmBlockCall).
// The micro-kernel keeps the MR x NR tile in MR * NR / 4 f32x4 locals and per K step does
// NR / 4 vector loads of B, MR splat-loads of A and MR * NR / 4 multiply-adds (relaxed fma
// where the host validates it, f32x4.mul then f32x4.add otherwise). Edge tiles need no code of
// their own: padded rows and columns compute on zeros and are never copied out.
//
// The tile is 4x8, by measurement (the tile sweep of bench/gemm-simd-tune.ts before the engine
// fixed the tile to the panel layout, V8 11.3 on x64): 8 accumulators, 2 B vectors and the 4 A
// broadcasts TurboFan hoists to the top of the step fit the 15 xmm registers it allocates; 6x8,
// 5x8, 8x8, 4x12, 3x16 and 4x16 spill accumulators to the stack and ran 30-45% slower (2x16 and
// 3x12 about tie with 4x8). The K loop is one step long: TurboFan unrolls it itself, and
// unrolling it in the emitted code (2 or 4 steps) ran 30-40% slower. Relaxed fma does not beat
// mul+add on this machine's AMD EPYC (Zen 4), which has separate add and multiply pipes; it is
// used where available for its one rounding. 4x8 is also the JS kernel's tile, so every panel
// source (packGemmA/B, im2col, Winograd) packs for both. Other engines differ (same script,
// 512^3): Deno 2.9 (V8 15.0) runs 6x8 fma 8% faster than 4x8 fma, and 4x8 fma 23% faster than
// 4x8 mul+add; Bun 1.4 (JavaScriptCore) runs 4x8 fma 13% slower than mul+add. A per-engine tile
// would need the panel sources to pack other widths: left for later.
//
// Accumulation order (the same for every element and for any split of M or N into blocks or
// calls, so a thread split gives bit-identical results): K is cut into blocks = ceil(k / 256)
// equal blocks of kc <= 256 (gemmBlockDepth, a function of k only, as every panel source
// expects). In block b the tile starts at +0 and adds a_p * b_p for p in order (float32, rounded
// after each step; one rounding per step with fma, two without); then C = C + fl(alpha * acc)
// (C = fl(alpha * acc) for the first block unless accumulating into C), alpha itself rounded to
// float32. So, to first order, with u = 2^-24 and s = sum_p |alpha a_p b_p| (+ |C0| when
// accumulating):
//     |C - exact| <= (kc + blocks + 2) * u * s          (kc the block depth, <= 256)
// against the JS kernel's (k * 2^-53 + blocks * 2^-24) * s: the float64 sums of JS cost more
// than the SIMD product, so this path accepts float32's usual error (onnxruntime's too).
// The epilogue runs in the block kernel on the last K block, before each tile is stored:
// + bias (per row or per column, fl(biasScale * bias) rounded to float32 first), + residual,
// each one more float32 rounding (JS rounds their sum with the product once), then relu or clip
// (exact); sigmoid and silu then run over the finished rows of each call in the module (`act`,
// kernels/wasm/simd-math.ts: within 3 * 2^-24 relative of the float64 formula, measured).
// Other activations, and a bias varying along both axes, run in JS
// (applyGemmEpilogueF32) on each finished C block after it is copied out. Every shape runs here,
// one-row products included (k = 0 needs no product: the JS engine writes C and the epilogue).

import {
  type GemmEpilogue, type GemmPanelSource,
  GEMM_MR, GEMM_NR, applyGemmEpilogueF32, gemmBlockDepth, gemmPanelsF32,
} from '../gemm-f32.js';
import { FunctionBuilder, type MemoryLimits, ModuleBuilder, ValType, WasmAssemblyError } from './assembler.js';
import type { KernelMemory } from './host.js';
import type { ResidentPanels } from './resident.js';
import { IM2COL, IM2COL_SLOTS, im2colPlan } from './im2col-simd.js';
import { emitActivationPass, SIMD_ACTIVATION } from './simd-math.js';

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
 * The module's one export, `block(pa, pb, c, mc, nc, kc, ldc, alpha, load, epi, biasMode, bias,
 * resDelta, lo, hi)` (byte addresses; mc a multiple of MR, nc of NR, kc >= 1, ldc in bytes): for
 * each MR x NR tile of the mc x nc block, tile = (load ? tile : 0) + alpha * (A strip)^T (B strip)
 * over kc steps. With epi != 0 the tile then gets the epilogue before it is stored: + the bias
 * (biasMode 1: one float per row at bias + 4 * row; 2: one per column at bias + 4 * column;
 * 0: none), + the residual at the same position resDelta bytes past C (0: none), each rounded
 * to float32, and is clamped to [lo, hi] (pmax then pmin, t < lo ? lo : t and hi < t ? hi : t,
 * one instruction each where max / min take about ten: relu is [0, inf], none [-inf, inf];
 * NaN passes, and relu keeps -0 where JS gives +0).
 * Two more exports: `packB` (below) and `act` (sigmoid or silu over a run of floats, simd-math.ts).
 */
export function emitGemmModule(s: GemmKernelShape, memory: MemoryLimits = { initial: 1 }): Uint8Array<ArrayBuffer> {
  const { mr: MR, nr: NR, fma } = s;
  if (NR % 4 !== 0 || MR < 1) throw new WasmAssemblyError(`emitGemmModule: bad tile ${MR}x${NR} (NR must be a multiple of 4)`);
  const V = NR / 4;
  const { i32, f32, v128 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, f32, i32, i32, i32, i32, i32, f32, f32], []);
  const [pa, pb, c, mc, nc, kc, ldc, alpha, load, epi, biasMode, bias, resDelta, lo, hi] = f.params;
  const acc = Array.from({ length: MR * V }, () => f.local(v128));
  const bv = Array.from({ length: V }, () => f.local(v128));
  const av = f.local(v128);
  const alphaV = f.local(v128);
  const t = f.local(v128);
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
          const a = acc[r * V + v]!;
          if (fma) f.get(av).get(bv[v]!).get(a).simd('f32x4.relaxed_madd').set(a);
          else f.get(a).get(av).get(bv[v]!).simd('f32x4.mul').simd('f32x4.add').set(a);
        }
      }
      f.get(pA).i32Const(MR * 4).op('i32.add').set(pA);
      f.get(pB).i32Const(NR * 4).op('i32.add').set(pB);
      f.get(pA).get(aEnd).op('i32.ne').brIf(kLoop);
      f.end();

      // Write the tile: C = alpha * acc, or C + alpha * acc; then, with the epilogue, + bias,
      // + residual and the clamp.
      const store = (accumulate: boolean, epilogue: boolean) => {
        f.get(cTile).set(cRow);
        for (let r = 0; r < MR; r++) {
          if (r > 0) f.get(cRow).get(ldc).op('i32.add').set(cRow);
          for (let v = 0; v < V; v++) {
            if (accumulate) f.get(cRow).simdMem('v128.load', 16 * v, 2);
            f.get(acc[r * V + v]!).get(alphaV).simd('f32x4.mul');
            if (accumulate) f.simd('f32x4.add');
            f.set(t);
            if (epilogue) {
              f.get(biasMode).i32Const(1).op('i32.eq').if();
              f.get(t).get(bias).get(ir).i32Const(2).op('i32.shl').op('i32.add').simdMem('v128.load32_splat', 4 * r).simd('f32x4.add').set(t);
              f.else();
              f.get(biasMode).i32Const(2).op('i32.eq').if();
              f.get(t).get(bias).get(jr).i32Const(2).op('i32.shl').op('i32.add').simdMem('v128.load', 16 * v, 2).simd('f32x4.add').set(t);
              f.end();
              f.end();
              f.get(resDelta).if();
              f.get(t).get(cRow).get(resDelta).op('i32.add').simdMem('v128.load', 16 * v, 2).simd('f32x4.add').set(t);
              f.end();
              f.get(t).get(lo).simd('f32x4.splat').simd('f32x4.pmax').get(hi).simd('f32x4.splat').simd('f32x4.pmin').set(t);
            }
            f.get(cRow).get(t).simdMem('v128.store', 16 * v, 2);
          }
        }
      };
      f.get(epi).if();
      {
        f.get(load).if();
        store(true, true);
        f.else();
        store(false, true);
        f.end();
      }
      f.else();
      {
        f.get(load).if();
        store(true, false);
        f.else();
        store(false, false);
        f.end();
      }
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
  const mod = new ModuleBuilder().importMemory('env', 'memory', memory);
  mod.addFunction(f, 'block');
  mod.addFunction(emitPackB(NR), 'packB');
  mod.addFunction(emitActivationPass(), 'act');
  return mod.toBytes();
}

/**
 * `packB(src, ld, dst, kc, strips)`: packs `strips` NR-column strips of kc rows of a row-major
 * matrix (row stride ld bytes; strip s starts NR * s floats into the row) into dst, strip after
 * strip, kc x NR floats each (the B panel layout). The last strip is read whole: its columns past
 * the matrix read what follows (padding, whose products are never stored).
 */
function emitPackB(NR: number): FunctionBuilder {
  const { i32 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32, i32, i32], []);
  const [src, ld, dst, kc, strips] = f.params;
  const p = f.local(i32), d = f.local(i32), end = f.local(i32), s = f.local(i32);
  f.get(dst).set(d);
  f.i32Const(0).set(s);
  const stripLoop = f.loop();
  {
    f.get(src).get(s).i32Const(NR * 4).op('i32.mul').op('i32.add').set(p);
    f.get(d).get(kc).i32Const(NR * 4).op('i32.mul').op('i32.add').set(end);
    const row = f.loop();
    for (let v = 0; v < NR / 4; v++) f.get(d).get(p).simdMem('v128.load', 16 * v, 2).simdMem('v128.store', 16 * v, 2);
    f.get(p).get(ld).op('i32.add').set(p);
    f.get(d).i32Const(NR * 4).op('i32.add').tee(d).get(end).op('i32.lt_u').brIf(row);
    f.end();
    f.get(s).i32Const(1).op('i32.add').tee(s).get(strips).op('i32.lt_u').brIf(stripLoop);
  }
  f.end();
  return f;
}

// ---- configuration ----------------------------------------------------------------------------

/** The cache blocking and arithmetic of one GEMM engine (the register tile is GEMM_MR x GEMM_NR). */
export interface GemmSimdConfig {
  /** Use f32x4.relaxed_madd (the host must validate it). */
  readonly fma: boolean;
  /** Rows of A per wasm call (an MC x KC block of A stays in L2); a multiple of GEMM_MR. */
  readonly mc: number;
  /** Columns of C per block (a KC x NC block of B); a multiple of GEMM_NR. */
  readonly nc: number;
}

/** Chosen by measurement (bench/gemm-simd-tune.ts). */
export function defaultGemmSimdConfig(fma: boolean): GemmSimdConfig {
  return { fma, mc: 128, nc: 1024 };
}

// ---- the driver -----------------------------------------------------------------------------------

/**
 * One call of the block kernel: [pa, pb, c, mc, nc, kc, ldc, alpha, load, epi, biasMode, bias,
 * resDelta, lo, hi] (addresses, ldc and resDelta in bytes; see emitGemmModule).
 */
export type GemmBlockCall = readonly [
  number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
];

/** The name the executor receives for block calls: export `block` of the GEMM module. */
export const GEMM_BLOCK = 'gemm.block';

/** What the driver needs from its engine (kernels/wasm/engine.ts). */
export interface GemmSimdHost {
  readonly config: GemmSimdConfig;
  readonly memory: KernelMemory;
  readonly resident: ResidentPanels;
  /** How many calls of a batch may run at once (module-side packing is cut into that many). */
  readonly executor: { readonly parallelism: number };
  /** Runs one batch of calls of export `kernel` (`module.export`; disjoint outputs), in any order or at once. */
  runCalls(kernel: string, calls: readonly (readonly number[])[]): void;
}

/** The activation pass: export `act` of the GEMM module; calls [p, vectors, kind] (simd-math.ts). */
export const GEMM_ACT = 'gemm.act';
export type GemmActCall = readonly [number, number, number];

/** The conv module's padding and column gathering (im2col-simd.ts). */
const CONV_PADS = 'conv.pads';
const CONV_IM2COL = 'conv.im2col';

/** The packing kernel: export `packB` of the GEMM module; calls [src, ld, dst, kc, strips]. */
export const GEMM_PACK_B = 'gemm.packB';
export type GemmPackBCall = readonly [number, number, number, number, number];

const MR = GEMM_MR;
const NR = GEMM_NR;

/** Rounds a float count up to a whole number of 16-byte vectors. */
const vec4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Cuts a block call into `parts` calls over disjoint column ranges (multiples of GEMM_NR), or
 * fewer when the block is too narrow. Every element is computed exactly as by the whole call.
 */
export function splitGemmBlockCall(call: GemmBlockCall, parts: number): GemmBlockCall[] {
  const [pa, pb, c, mc, nc, kc, ldc, alpha, load, epi, biasMode, bias, resDelta, lo, hi] = call;
  const strips = nc / NR;
  const per = Math.ceil(strips / Math.max(1, Math.min(parts, strips)));
  const out: GemmBlockCall[] = [];
  for (let s = 0; s < strips; s += per) {
    const w = Math.min(per, strips - s) * NR;
    const b = biasMode === 2 ? bias + 4 * s * NR : bias;
    out.push([pa, pb + 4 * s * NR * kc, c + 4 * s * NR, mc, w, kc, ldc, alpha, load, epi, biasMode, b, resDelta, lo, hi]);
  }
  return out;
}

/**
 * Where a constant source's panels live in the kernels' memory (floats), or -1 when they are not
 * resident (a source that is not constant, a first use, the resident budget spent).
 */
function residentPanels(host: GemmSimdHost, s: GemmPanelSource, kc0: number, what: string): number {
  if (s.constant !== true) return -1;
  return host.resident.locate(s.panels, s.prepare(0, kc0, 0, 1), what);
}

/** Strips rows [r0, r0 + rows) x depth [pc, pc + kc) of `s` into mem from `at` (width W). */
function packOperand(
  s: GemmPanelSource, mem: Float32Array, at: number, pc: number, kc: number, r0: number, rows: number, W: number,
): void {
  if (s.packInto !== undefined) {
    s.packInto(mem, at, pc, kc, r0, rows);
    return;
  }
  const from = s.prepare(pc, kc, r0, rows);
  mem.set(s.panels.subarray(from, from + Math.ceil(rows / W) * W * kc), at);
}

/**
 * Copies `rows` rows of `cols` floats between a block in wasm memory (row stride ld) and C (row
 * stride ldc): one copy when both are dense, else row by row (a plain loop for short rows, where
 * a subarray per row would cost more than the copy).
 */
function copyRows(
  toWasm: boolean, mem: Float32Array, at: number, ld: number,
  c: Float32Array, cOff: number, ldc: number, rows: number, cols: number,
): void {
  if (ld === cols && ldc === cols) {
    if (toWasm) mem.set(c.subarray(cOff, cOff + rows * cols), at);
    else c.set(mem.subarray(at, at + rows * cols), cOff);
  } else if (cols < 64) {
    for (let i = 0; i < rows; i++) {
      const w = at + i * ld, x = cOff + i * ldc;
      if (toWasm) for (let j = 0; j < cols; j++) mem[w + j] = c[x + j]!;
      else for (let j = 0; j < cols; j++) c[x + j] = mem[w + j]!;
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const w = at + i * ld, x = cOff + i * ldc;
      if (toWasm) mem.set(c.subarray(x, x + cols), w);
      else c.set(mem.subarray(w, w + cols), x);
    }
  }
}

/** How an epilogue runs: in the block kernel (bias mode, residual, clamp), and what JS applies after. */
interface EpiloguePlan {
  /** Block kernel epilogue on the last K block. */
  readonly inWasm: boolean;
  /** 0 none, 1 per row, 2 per column (see emitGemmModule). */
  readonly biasMode: 0 | 1 | 2;
  readonly lo: number;
  readonly hi: number;
  /** 0 none, 1 sigmoid, 2 silu (after the clamp). */
  readonly act: 0 | 1 | 2;
  /** What JS still applies to each copied-out block (null: nothing). */
  readonly after: GemmEpilogue | null;
}

const NO_EPILOGUE: EpiloguePlan = { inWasm: false, biasMode: 0, lo: -Infinity, hi: Infinity, act: 0, after: null };

function epiloguePlan(ep: GemmEpilogue): EpiloguePlan {
  const act = ep.activation ?? { kind: 'none' as const };
  const bias = ep.bias !== undefined;
  const brs = ep.biasRowStride ?? 0, bcs = ep.biasColStride ?? 0;
  if (!bias && ep.residual === undefined && act.kind === 'none') return NO_EPILOGUE;
  // A bias varying along both axes stays in JS, with everything after it.
  if (bias && brs !== 0 && bcs !== 0) return { ...NO_EPILOGUE, after: ep };
  const biasMode = !bias ? 0 : bcs !== 0 ? 2 : 1;
  const clamp = act.kind === 'relu' ? [0, Infinity] : act.kind === 'clip' ? [act.min, act.max] : [-Infinity, Infinity];
  const fn = act.kind === 'sigmoid' ? 1 : act.kind === 'silu' ? 2 : 0;
  const inKernel = fn !== 0 || act.kind === 'none' || act.kind === 'relu' || act.kind === 'clip';
  return { inWasm: true, biasMode, lo: clamp[0]!, hi: clamp[1]!, act: fn, after: inKernel ? null : { activation: act } };
}

/**
 * The GemmEngine product on the wasm block kernel: C[cOff + i * ldc + j] (m x n) =
 * epilogue(alpha * sum_p A(i, p) B(p, j) [+ C when accumulating]) (gemmPanelsF32's contract,
 * with the accumulation order of this file's header). C must not overlap A's or B's data.
 */
export function gemmSimdPanels(
  host: GemmSimdHost, m: number, n: number, k: number, A: GemmPanelSource, B: GemmPanelSource,
  c: Float32Array, cOff: number, ldc: number, alpha: number, accumulate: boolean, ep: GemmEpilogue,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    gemmPanelsF32(m, n, k, A, B, c, cOff, ldc, alpha, accumulate, ep);
    return;
  }
  const what = `wasm GEMM (${m}x${k} @ ${k}x${n})`;
  const kcMax = gemmBlockDepth(k);
  const kc0 = Math.min(kcMax, k);
  const mPad = Math.ceil(m / MR) * MR;
  const NC = host.config.nc;
  const ncMax = Math.min(NC, Math.ceil(n / NR) * NR);
  const plan = epiloguePlan(ep);
  const residual = plan.inWasm && ep.residual !== undefined ? ep.residual : null;
  // One K block and several column blocks: every block gets its own B, C, bias and residual
  // scratch, and each kind of call goes to the executor once for all blocks (packing, products,
  // activation) instead of once per block: a pool shares a pointwise conv's thin products far
  // better as one batch. Each output element is computed by the same call either way.
  const blocks = k <= kcMax && n > NC ? Math.ceil(n / NC) : 1;
  // Residency first: an upload may grow the memory and move the scratch up.
  const aRes = residentPanels(host, A, kc0, what);
  const bRes = residentPanels(host, B, kc0, what);
  // C (and the residual) in place where C is storage in the kernels' memory (a threaded engine's
  // activations: resident.ts tensorStorage), its rows whole strips of NR and its row count whole
  // strips of MR (the block kernel writes mPad rows of ncPad columns), the residual either absent
  // or resident with C's row stride, and the activation pass, which runs over whole blocks, over
  // contiguous rows.
  const cIn = host.resident.offsetOf(c);
  const rIn = residual === null ? -1 : host.resident.offsetOf(residual);
  const inPlace = cIn >= 0 && n % NR === 0 && m % MR === 0 && ldc % 4 === 0 && (cIn + cOff) % 4 === 0
    && (residual === null || (rIn >= 0 && (ep.ldr ?? n) === ldc))
    && (plan.act === 0 || (ldc === n && n <= NC));
  let top = host.resident.scratchBase;
  const aBase = top;
  if (aRes < 0) top += vec4(mPad * k);
  const bBase = top;
  const bBlock = vec4(kcMax * ncMax), cBlock = mPad * ncMax;
  if (bRes < 0) top += blocks * bBlock;
  const cBase = top;
  if (!inPlace) top += blocks * cBlock;
  const biasBase = top;
  if (plan.biasMode === 1) top += vec4(mPad);
  else if (plan.biasMode === 2) top += blocks * ncMax;
  const resBase = top;
  if (residual !== null && !inPlace) top += blocks * cBlock;
  // A row-major B packed in wasm: copied in whole (one copy when its rows are close), then packed
  // block by block by the module.
  const bm = bRes < 0 && B.matrix !== undefined && B.matrix.colStride === 1 ? B.matrix : null;
  const bDense = bm !== null && bm.rowStride <= 2 * n;
  const bLd = bm === null ? 0 : bDense ? bm.rowStride : n;
  // A dense B that is storage in the kernels' memory already is packed from where it is.
  const bIn = bm !== null && bDense ? host.resident.offsetOf(bm.data) : -1;
  const bSrc = bIn >= 0 ? bIn + bm!.offset : top;
  if (bm !== null && bIn < 0) top += vec4((k - 1) * bLd + n) + NR;
  // A conv's column matrix built by the module: the group's input channels copied in and padded
  // once, then each block gathered (im2col-simd.ts).
  const cm = bRes < 0 && bm === null && B.im2col !== undefined ? B.im2col : null;
  const ip = cm === null ? null : im2colPlan(cm.g);
  // The conv's input in place where it is storage in the kernels' memory (resident.ts tensorStorage).
  const xIn = cm === null ? -1 : host.resident.offsetOf(cm.x);
  const xAt = xIn >= 0 ? xIn + cm!.offset : top;
  const planesAt = top + (ip === null || xIn >= 0 ? 0 : vec4(ip.Cg * ip.H * ip.W));
  const paramsAt = planesAt + (ip === null ? 0 : ip.Cg * ip.chanFloats);
  const parts = Math.max(1, host.executor.parallelism);
  const slots = blocks * parts;
  if (ip !== null) top = paramsAt + slots * IM2COL_SLOTS;
  const mem = host.resident.reserve(top, what);
  if (bm !== null && bIn < 0) {
    if (bDense) mem.set(bm.data.subarray(bm.offset, bm.offset + (k - 1) * bLd + n), bSrc);
    else for (let p = 0; p < k; p++) mem.set(bm.data.subarray(bm.offset + p * bm.rowStride, bm.offset + p * bm.rowStride + n), bSrc + p * n);
  }
  const ints = ip === null ? null : new Int32Array(mem.buffer, mem.byteOffset + 4 * paramsAt, slots * IM2COL_SLOTS);
  if (ip !== null && cm !== null && ints !== null) {
    if (xIn < 0) mem.set(cm.x.subarray(cm.offset, cm.offset + ip.Cg * ip.H * ip.W), xAt);
    const planeFloats = ip.Hp * ip.Wq;
    // The padded planes, channel ranges in parallel.
    const pads: (readonly number[])[] = [];
    const cPer = Math.ceil(ip.Cg / Math.min(parts, ip.Cg));
    for (let c0 = 0; c0 < ip.Cg; c0 += cPer) {
      pads.push([
        ip.sx, 4 * (xAt + c0 * ip.H * ip.W), 4 * (planesAt + c0 * ip.chanFloats), Math.min(cPer, ip.Cg - c0), 4 * ip.H * ip.W,
        4 * ip.chanFloats, ip.H, ip.W, ip.Hp, ip.Wq, ip.py, ip.px, 4 * planeFloats, 4 * ip.chanFloats,
      ]);
    }
    host.runCalls(CONV_PADS, pads);
    const fixed: [number, number][] = [
      [IM2COL.planes, 4 * planesAt], [IM2COL.chanBytes, 4 * ip.chanFloats], [IM2COL.planeBytes, 4 * planeFloats],
      [IM2COL.Wq, ip.Wq], [IM2COL.KH, ip.KH], [IM2COL.KW, ip.KW], [IM2COL.dy, ip.dy], [IM2COL.dx, ip.dx],
      [IM2COL.sy, ip.sy], [IM2COL.sx, ip.sx], [IM2COL.OW, ip.OW],
    ];
    for (let q = 0; q < slots; q++) for (const [slot, v] of fixed) ints[q * IM2COL_SLOTS + slot] = v;
  }

  // op(A) whole, K block by K block: block pc at aBase + pc * mPad, rows ic at + ic * kc.
  if (aRes < 0) {
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      packOperand(A, mem, aBase + pc * mPad, pc, kc, 0, m, MR);
    }
  }
  const bias = ep.bias, beta = ep.biasScale ?? 1, bo = ep.biasOffset ?? 0;
  if (plan.biasMode === 1) {
    const brs = ep.biasRowStride ?? 0;
    for (let i = 0; i < mPad; i++) mem[biasBase + i] = i < m ? beta * bias![bo + i * brs]! : 0;
  }
  const mcStep = Math.max(MR, Math.floor(host.config.mc / MR) * MR);
  const calls: GemmBlockCall[] = [];
  // With blocks > 1 these gather every block's calls and run after the loop.
  const packs: (readonly number[])[] = [];
  const acts: (readonly number[])[] = [];
  const flush = () => {
    if (packs.length > 0) host.runCalls(bm !== null ? GEMM_PACK_B : CONV_IM2COL, packs);
    if (calls.length > 0) host.runCalls(GEMM_BLOCK, calls);
    if (acts.length > 0) host.runCalls(GEMM_ACT, acts);
    packs.length = 0;
    calls.length = 0;
    acts.length = 0;
  };
  const copyOut = (jc: number, r: number) => {
    const nc = Math.min(NC, n - jc);
    if (!inPlace) copyRows(false, mem, cBase + r * cBlock, Math.ceil(nc / NR) * NR, c, cOff + jc, ldc, m, nc);
    if (plan.after !== null) applyGemmEpilogueF32(c, cOff, ldc, n, 0, m, jc, nc, plan.after);
  };
  for (let jc = 0, r = 0; jc < n; jc += NC, r = blocks > 1 ? r + 1 : 0) {
    const nc = Math.min(NC, n - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    // C block r at cAt, rows cld apart (in place: C itself, from column jc).
    const cAt = inPlace ? cIn + cOff + jc : cBase + r * cBlock, bAt = bBase + r * bBlock;
    const cld = inPlace ? ldc : ncPad;
    const biasCols = biasBase + r * ncMax;
    if (accumulate && !inPlace) copyRows(true, mem, cAt, ncPad, c, cOff + jc, ldc, m, nc);
    if (plan.biasMode === 2) {
      const bcs = ep.biasColStride ?? 0;
      for (let j = 0; j < ncPad; j++) mem[biasCols + j] = j < nc ? beta * bias![bo + (jc + j) * bcs]! : 0;
    }
    if (residual !== null && !inPlace) copyRows(true, mem, resBase + r * cBlock, ncPad, residual, (ep.residualOffset ?? 0) + jc, ep.ldr ?? n, m, nc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      let pb = bAt;
      if (bRes >= 0) pb = bRes + B.prepare(pc, kc, jc, nc);
      else if (bm !== null || ints !== null) {
        // Packed by the module, the block's strips cut into `parts` calls.
        const strips = ncPad / NR;
        const per = Math.ceil(strips / Math.min(parts, strips));
        for (let s0 = 0, q = 0; s0 < strips; s0 += per, q++) {
          const n0 = s0 * NR, count = Math.min(per, strips - s0);
          if (bm !== null) packs.push([4 * (bSrc + pc * bLd + jc + n0), 4 * bLd, 4 * (bAt + n0 * kc), kc, count]);
          else {
            const at = (r * parts + q) * IM2COL_SLOTS;
            ints![at + IM2COL.pc] = pc; ints![at + IM2COL.kc] = kc; ints![at + IM2COL.jc] = jc + n0;
            ints![at + IM2COL.nc] = Math.min(nc - n0, count * NR); ints![at + IM2COL.strips] = count;
            ints![at + IM2COL.dst] = 4 * (bAt + n0 * kc);
            packs.push([4 * (paramsAt + at)]);
          }
        }
        if (blocks === 1) {
          host.runCalls(bm !== null ? GEMM_PACK_B : CONV_IM2COL, packs);
          packs.length = 0;
        }
      } else packOperand(B, mem, bAt, pc, kc, jc, nc, NR);
      const load = accumulate || pc > 0 ? 1 : 0;
      const epi = plan.inWasm && pc + kc >= k ? 1 : 0;
      const first = calls.length;
      for (let ic = 0; ic < mPad; ic += mcStep) {
        const mc = Math.min(mcStep, mPad - ic);
        const pa = aRes >= 0 ? aRes + A.prepare(pc, kc, ic, mc) : aBase + pc * mPad + ic * kc;
        const biasAt = plan.biasMode === 1 ? biasBase + ic : biasCols;
        calls.push([
          4 * pa, 4 * pb, 4 * (cAt + ic * cld), mc, ncPad, kc, 4 * cld, alpha, load,
          epi, plan.biasMode, 4 * biasAt, residual === null ? 0 : inPlace ? 4 * (rIn + (ep.residualOffset ?? 0) - (cIn + cOff)) : 4 * (resBase - cBase), plan.lo, plan.hi,
        ]);
      }
      if (epi === 1 && plan.act !== 0) {
        for (let i = first; i < calls.length; i++) acts.push([calls[i]![2], (calls[i]![3] * cld) / 4, plan.act]);
      }
      if (blocks === 1) flush();
    }
    if (blocks === 1) copyOut(jc, 0);
  }
  if (blocks > 1) {
    flush();
    for (let jc = 0, r = 0; jc < n; jc += NC, r++) copyOut(jc, r);
  }
}

/**
 * C = A @ B inside the kernels' memory, for drivers that keep both A and C there (Winograd's
 * products): A's panels at aAt (floats) K block by K block (block pc at aAt + pc * mPad, its
 * MR-row strips one after another), B from a panel source, resident at bRes (the float offset
 * of B.panels[0], from ResidentPanels.locate) or packed into scratch at scratchAt; C at cAt
 * with row stride ldc floats (a multiple of 4, at least n rounded up to NR), mPad rows written.
 * No epilogue, nothing copied out; the accumulation order of this file's header.
 */
export function gemmSimdInMemory(
  host: GemmSimdHost, m: number, n: number, k: number, aAt: number, B: GemmPanelSource, bRes: number,
  cAt: number, ldc: number, scratchAt: number,
): void {
  inMemoryProducts(host, m, n, k, [{ aAt, B, cAt }], bRes, ldc, scratchAt);
}

/** One product of gemmSimdInMemoryMany: A's panels at aAt, B a panel source resident with the others, C at cAt. */
export interface InMemoryProduct {
  readonly aAt: number;
  readonly B: GemmPanelSource;
  readonly cAt: number;
}

/**
 * Several products of one shape (m x k @ k x n, C with row stride ldc) whose B operands are all
 * resident (bRes: where the first source's panels[0] lives; every source's panels must lie in
 * the same resident array, as Winograd's points do), run as one batch of block calls per K block
 * instead of a batch per product: the products are independent, so a pool shares all of them at
 * once (Winograd's 16 or 36 per-point products are each too small to split well alone). Every
 * output element is summed by the same calls in the same order as gemmSimdInMemory's.
 */
export function gemmSimdInMemoryMany(
  host: GemmSimdHost, m: number, n: number, k: number, products: readonly InMemoryProduct[], bRes: number, ldc: number,
): void {
  if (bRes < 0) throw new RangeError('gemmSimdInMemoryMany: the B operands must be resident');
  inMemoryProducts(host, m, n, k, products, bRes, ldc, 0);
}

/** Both of the above: with B not resident (bRes < 0), one product, its B packed at scratchAt block by block. */
function inMemoryProducts(
  host: GemmSimdHost, m: number, n: number, k: number, products: readonly InMemoryProduct[], bRes: number, ldc: number,
  scratchAt: number,
): void {
  if (m === 0 || n === 0 || k === 0 || products.length === 0) return;
  const kcMax = gemmBlockDepth(k);
  const mPad = Math.ceil(m / MR) * MR;
  const NC = host.config.nc;
  const mcStep = Math.max(MR, Math.floor(host.config.mc / MR) * MR);
  const mem = bRes >= 0 ? null
    : host.resident.reserve(scratchAt + vec4(kcMax * Math.min(NC, Math.ceil(n / NR) * NR)), `wasm GEMM in memory (${m}x${k} @ ${k}x${n})`);
  const calls: GemmBlockCall[] = [];
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      const load = pc > 0 ? 1 : 0;
      calls.length = 0;
      for (const { aAt, B, cAt } of products) {
        let pb = scratchAt;
        if (mem === null) pb = bRes + B.prepare(pc, kc, jc, nc);
        else packOperand(B, mem, scratchAt, pc, kc, jc, nc, NR);
        for (let ic = 0; ic < mPad; ic += mcStep) {
          const mc = Math.min(mcStep, mPad - ic);
          calls.push([
            4 * (aAt + pc * mPad + ic * kc), 4 * pb, 4 * (cAt + ic * ldc + jc), mc, ncPad, kc, 4 * ldc, 1, load,
            0, 0, 0, 0, -Infinity, Infinity,
          ]);
        }
      }
      host.runCalls(GEMM_BLOCK, calls);
    }
  }
}

/** Below this many floats an activation pass stays in JS (the copies in and out would outweigh it). */
const MIN_ACTIVATION_FLOATS = 2048;

/**
 * y = sigmoid(x) or silu(x) (silu(v) = v sigmoid(v)) on the `act` kernel (simd-math.ts: within
 * 3 * 2^-24 relative of the float64 formula), x copied in and y out, in `parallelism` calls of
 * whole vectors (the last padded: its extra lanes are computed and never copied out); x and y may
 * be the same array. False, having written nothing, for fewer than 2048 floats.
 */
export function activationSimdF32(host: GemmSimdHost, kind: 'sigmoid' | 'silu', x: Float32Array, y: Float32Array): boolean {
  const n = x.length;
  if (n < MIN_ACTIVATION_FLOATS || y.length < n) return false;
  const base = host.resident.scratchBase;
  const mem = host.resident.reserve(base + vec4(n), `wasm ${kind} of ${n} floats`);
  mem.set(x, base);
  const vectors = vec4(n) / 4;
  const parts = Math.max(1, host.executor.parallelism);
  const per = Math.ceil(vectors / parts);
  const fn = kind === 'sigmoid' ? SIMD_ACTIVATION.sigmoid : SIMD_ACTIVATION.silu;
  const calls: (readonly number[])[] = [];
  for (let v0 = 0; v0 < vectors; v0 += per) calls.push([4 * (base + 4 * v0), Math.min(per, vectors - v0), fn]);
  host.runCalls(GEMM_ACT, calls);
  y.set(mem.subarray(base, base + n));
  return true;
}
