// Depthwise convolution (one input channel per group, 2-D, 3x3 or 5x5 kernels, horizontal
// stride 1 or 2, any vertical stride, pads and dilations) on WebAssembly SIMD128, the wasm
// engine's counterpart of depthwiseF32 in kernels/conv-f32.ts; other depthwise convs stay in JS.
//
// As in JS, each input plane is first copied into a zero-padded plane (here by the module, in
// its memory) so that every tap is in range. For a horizontal stride of 2 the padded plane is
// stored as two phase planes, the even padded columns then the odd ones (de-interleaved with
// i8x16.shuffle), so that the taps of four adjacent outputs are four adjacent floats in both
// strides: output column ox, tap kx reads phase (kx dx) mod 2 at column ox + floor(kx dx / 2).
// Each output row is computed four columns at a time (the last group of a row overlaps the one
// before it when OW is not a multiple of 4; rows narrower than 4 go one column at a time through
// lane 0, with the same operations).
//
// Order and error. Per output, with u = 2^-24 and S = |b| + sum over taps |w x|: each kernel row
// ky sums its taps in kx order in float32 starting from the first product,
// s_ky = fl(...fl(w_0 x_0 + w_1 x_1)... + w_(KW-1) x_(KW-1)) (one rounding per step with the
// relaxed fma where the host has it, two without), then y = fl(...fl(fl(b + s_0) + s_1)... +
// s_(KH-1)), so to first order
//     |y - exact| <= (KW + KH) * u * S
// (JS: float64 sums rounded once, u * S). The same for every output, whatever the split of
// channels into calls. Then, in the module: + residual (one float32 rounding), relu / clip
// (pmax then pmin as in gemm-simd.ts, exact; NaN stays NaN) or sigmoid / silu (simd-math.ts: within about
// 3 * 2^-24 relative); other activations run in JS after the copy out.
//
// The engine hands the calls (one per image and channel range, each with its own padded-plane
// scratch) to its executor as one batch; see kernels/wasm/engine.ts.

import type { ConvGeometry } from '../conv.js';
import type { PoolGeometry } from '../pool.js';
import { type FusedConvEpilogue, type GemmActivation, applyGemmEpilogueF32 } from '../gemm-f32.js';
import { FunctionBuilder, type Local, type MemoryLimits, ModuleBuilder, ValType } from './assembler.js';
import type { KernelMemory } from './host.js';
import { addIm2colFunctions } from './im2col-simd.js';
import type { ResidentPanels } from './resident.js';


/** A call of a depthwise kernel: [byte address of its parameter block]. */
export type DepthwiseCall = readonly [number];

/** What the driver needs from its engine. */
export interface DepthwiseHost {
  readonly memory: KernelMemory;
  readonly resident: ResidentPanels;
  readonly executor: { readonly parallelism: number };
  runCalls(kernel: string, calls: readonly (readonly number[])[]): void;
}

// ---- the module ------------------------------------------------------------------------------

/** Slots (i32, or f32 for lo/hi) of a call's parameter block. */
const P = {
  x: 0, w: 1, bias: 2, y: 3, res: 4, xp: 5, channels: 6, mult: 7, H: 8, W: 9, OH: 10, OW: 11, Hp: 12, Wq: 13,
  py: 14, px: 15, rowStep: 16, planeBytes: 17, syRowBytes: 18, hasBias: 19, hasRes: 20, lo: 21, hi: 22,
  xPlaneBytes: 23, yPlaneBytes: 24, zeroBytes: 25, colOff: 26, // 26..30
} as const;
const PARAM_SLOTS = 32;

/**
 * s1 / s2: horizontal stride 1 / 2 and dilation 1 (tap columns at constant offsets); d1 / d2: any
 * horizontal dilation (tap column offsets, phase plane included, from the parameter block).
 */
type Variant = 's1' | 's2' | 'd1' | 'd2';
const KERNELS = [3, 5] as const;
const VARIANTS: readonly Variant[] = ['s1', 's2', 'd1', 'd2'];

/** Square max-pool windows the module computes (`max{K}_{variant}`, the depthwise kernels with pmax for the products). */
const MAX_POOL_KERNELS = [2, 3, 5] as const;

/** The export computing a K x K depthwise conv of horizontal stride sx and dilation dx. */
export function depthwiseExport(K: 3 | 5, sx: 1 | 2, dx: number): string {
  return `dw${K}_${dx === 1 ? 's' : 'd'}${sx}`;
}

const { i32, f32, v128 } = ValType;

/** `while (cond) body` as block/loop: cond and body emit into f. */
function whileLoop(f: FunctionBuilder, cond: () => void, body: () => void): void {
  const out = f.block();
  const top = f.loop();
  cond();
  f.op('i32.eqz').brIf(out);
  body();
  f.br(top);
  f.end();
  f.end();
}

/**
 * pad(src, dst, H, W, Hp, Wq, py, px, planeBytes, zeroBytes): zeroes zeroBytes at dst, then
 * copies the H x W plane at src into the padded plane(s) at dst (row stride Wq floats): for
 * sx = 1 at row iy + py, column ix + px; for sx = 2 padded column c = ix + px goes to phase
 * plane c & 1 (at dst + (c & 1) * planeBytes), column c >> 1. Rows and columns past Hp / Wq are
 * not needed by any output and are skipped.
 */
function emitPad(sx: 1 | 2, fill = 0): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32], []);
  const [src, dst, H, W, Hp, Wq, py, px, planeBytes, zeroBytes] = f.params;
  const p = f.local(i32), end = f.local(i32), iy = f.local(i32), s = f.local(i32), d = f.local(i32), d2 = f.local(i32);
  const n = f.local(i32), n2 = f.local(i32), j = f.local(i32);
  // Fill everything with `fill` (zeroBytes is a positive multiple of 16).
  f.get(dst).tee(p).get(zeroBytes).op('i32.add').set(end);
  const z = f.loop();
  f.get(p).v128ConstF32(fill, fill, fill, fill).simdMem('v128.store', 0, 2);
  f.get(p).i32Const(16).op('i32.add').tee(p).get(end).op('i32.lt_u').brIf(z);
  f.end();
  if (sx === 1) {
    // n = min(W, Wq - px) floats per row, in bytes; nothing when <= 0.
    f.get(Wq).get(px).op('i32.sub').tee(n).get(W).get(n).get(W).op('i32.lt_s').op('select').set(n);
    f.get(n).i32Const(0).op('i32.le_s');
    f.if();
    f.op('return').end();
    f.get(n).i32Const(2).op('i32.shl').set(n);
  } else {
    // Evens of a row (ix = 2j) to phase e = px & 1 at column j + (px >> 1), odds (2j + 1) to
    // phase 1 - e at column j + (px >> 1) + e: n evens and n2 odds fit in the plane.
    f.get(W).i32Const(1).op('i32.add').i32Const(1).op('i32.shr_u').set(n);
    f.get(Wq).get(px).i32Const(1).op('i32.shr_u').op('i32.sub').set(end); // Wq - hp
    f.get(end).get(n).get(end).get(n).op('i32.lt_s').op('select').set(n);
    f.get(W).i32Const(1).op('i32.shr_u').set(n2);
    f.get(end).get(px).i32Const(1).op('i32.and').op('i32.sub').set(end); // Wq - hp - e
    f.get(end).get(n2).get(end).get(n2).op('i32.lt_s').op('select').set(n2);
    f.get(n).i32Const(0).op('i32.le_s');
    f.if();
    f.op('return').end();
  }
  // Rows iy < H with iy + py < Hp.
  f.i32Const(0).set(iy);
  whileLoop(f, () => {
    f.get(iy).get(H).op('i32.lt_s').get(iy).get(py).op('i32.add').get(Hp).op('i32.lt_s').op('i32.and');
  }, () => {
    f.get(src).get(iy).get(W).op('i32.mul').i32Const(2).op('i32.shl').op('i32.add').set(s);
    if (sx === 1) {
      f.get(dst).get(iy).get(py).op('i32.add').get(Wq).op('i32.mul').get(px).op('i32.add').i32Const(2).op('i32.shl').op('i32.add').set(d);
      f.i32Const(0).set(j);
      whileLoop(f, () => { f.get(j).i32Const(16).op('i32.add').get(n).op('i32.le_s'); }, () => {
        f.get(d).get(j).op('i32.add').get(s).get(j).op('i32.add').simdMem('v128.load', 0, 2).simdMem('v128.store', 0, 2);
        f.get(j).i32Const(16).op('i32.add').set(j);
      });
      whileLoop(f, () => { f.get(j).get(n).op('i32.lt_s'); }, () => {
        f.get(d).get(j).op('i32.add').get(s).get(j).op('i32.add').mem('f32.load').mem('f32.store');
        f.get(j).i32Const(4).op('i32.add').set(j);
      });
    } else {
      // d: even destination, d2: odd destination (row iy + py of their phase planes).
      const rowOff = () => f.get(iy).get(py).op('i32.add').get(Wq).op('i32.mul').get(px).i32Const(1).op('i32.shr_u').op('i32.add');
      f.get(dst).get(px).i32Const(1).op('i32.and').get(planeBytes).op('i32.mul').op('i32.add');
      rowOff();
      f.i32Const(2).op('i32.shl').op('i32.add').set(d);
      f.get(dst).i32Const(1).get(px).i32Const(1).op('i32.and').op('i32.sub').get(planeBytes).op('i32.mul').op('i32.add');
      rowOff();
      f.get(px).i32Const(1).op('i32.and').op('i32.add').i32Const(2).op('i32.shl').op('i32.add').set(d2);
      f.i32Const(0).set(j); // j counts evens
      whileLoop(f, () => { f.get(j).i32Const(4).op('i32.add').get(n2).op('i32.le_s'); }, () => {
        // 8 source floats at s + 8j: evens to d + 4j, odds to d2 + 4j.
        f.get(s).get(j).i32Const(3).op('i32.shl').op('i32.add').set(p);
        f.get(d).get(j).i32Const(2).op('i32.shl').op('i32.add');
        f.get(p).simdMem('v128.load', 0, 2).get(p).simdMem('v128.load', 16, 2);
        f.i8x16Shuffle([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]).simdMem('v128.store', 0, 2);
        f.get(d2).get(j).i32Const(2).op('i32.shl').op('i32.add');
        f.get(p).simdMem('v128.load', 0, 2).get(p).simdMem('v128.load', 16, 2);
        f.i8x16Shuffle([4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31]).simdMem('v128.store', 0, 2);
        f.get(j).i32Const(4).op('i32.add').set(j);
      });
      whileLoop(f, () => { f.get(j).get(n).op('i32.lt_s'); }, () => {
        f.get(s).get(j).i32Const(3).op('i32.shl').op('i32.add').set(p);
        f.get(d).get(j).i32Const(2).op('i32.shl').op('i32.add').get(p).mem('f32.load').mem('f32.store');
        f.get(j).get(n2).op('i32.lt_s').if();
        f.get(d2).get(j).i32Const(2).op('i32.shl').op('i32.add').get(p).mem('f32.load', 4).mem('f32.store');
        f.end();
        f.get(j).i32Const(1).op('i32.add').set(j);
      });
    }
    f.get(iy).i32Const(1).op('i32.add').set(iy);
  });
  return f;
}

/**
 * dw{K}_{variant}(params): for each of `channels` input channels, pads its plane into xp, then
 * computes its `mult` output planes (y, OH x OW, dense), with bias, residual and clamp [lo, hi].
 */
function emitDepthwise(K: number, variant: Variant, fma: boolean, padFn: number, max = false): FunctionBuilder {
  const f = new FunctionBuilder([i32], []);
  const [params] = f.params;
  const loadParam = (slot: number, type: ValType = i32): Local => {
    const l = f.local(type);
    f.get(params!).mem(type === f32 ? 'f32.load' : 'i32.load', slot * 4).set(l);
    return l;
  };
  const x = loadParam(P.x), w = loadParam(P.w), bias = loadParam(P.bias), y = loadParam(P.y), res = loadParam(P.res);
  const xp = loadParam(P.xp), channels = loadParam(P.channels), mult = loadParam(P.mult);
  const H = loadParam(P.H), W = loadParam(P.W), OH = loadParam(P.OH), OW = loadParam(P.OW), Hp = loadParam(P.Hp), Wq = loadParam(P.Wq);
  const py = loadParam(P.py), px = loadParam(P.px), rowStep = loadParam(P.rowStep), planeBytes = loadParam(P.planeBytes);
  const syRowBytes = loadParam(P.syRowBytes), hasBias = loadParam(P.hasBias), hasRes = loadParam(P.hasRes);
  const xPlaneBytes = loadParam(P.xPlaneBytes), yPlaneBytes = loadParam(P.yPlaneBytes), zeroBytes = loadParam(P.zeroBytes);
  const dense = variant === 's1' || variant === 's2';
  const colOff = !dense ? Array.from({ length: K }, (_, kx) => loadParam(P.colOff + kx)) : [];
  const loV = f.local(v128), hiV = f.local(v128), bv = f.local(v128), acc = f.local(v128), s = f.local(v128);
  f.get(params!).simdMem('v128.load32_splat', P.lo * 4).set(loV);
  f.get(params!).simdMem('v128.load32_splat', P.hi * 4).set(hiV);
  const wv = K === 3 && !max ? Array.from({ length: 9 }, () => f.local(v128)) : [];
  const ch = f.local(i32), m = f.local(i32), oc = f.local(i32), wPtr = f.local(i32), oy = f.local(i32);
  const rp = f.local(i32), yRow = f.local(i32), rRow = f.local(i32), q = f.local(i32), lastQ = f.local(i32);
  const r = f.local(i32), r1 = f.local(i32), owBytes = f.local(i32);

  f.get(OW).i32Const(2).op('i32.shl').tee(owBytes).i32Const(16).op('i32.sub').set(lastQ);

  /** acc = clamp(b + sum of row sums (+ residual)) for outputs [q, q + 4) (or lane 0 only), stored. */
  const body = (lane: boolean) => {
    const load = (offset: number) => f.simdMem(lane ? 'v128.load32_splat' : 'v128.load', offset, 2);
    if (max) {
      // acc = pmax(acc, x) = acc < x ? x : acc tap by tap from -Infinity: NaN and the -Infinity
      // padding never win, and of equal values (+0, -0) the first in row-major order stays.
      f.v128ConstF32(-Infinity, -Infinity, -Infinity, -Infinity).set(acc);
      f.get(rp).get(q).op('i32.add').set(r);
      for (let ky = 0; ky < K; ky++) {
        if (ky > 0) f.get(r).get(rowStep).op('i32.add').set(r);
        if (variant === 's2') f.get(r).get(planeBytes).op('i32.add').set(r1);
        for (let kx = 0; kx < K; kx++) {
          f.get(acc);
          if (variant === 's1') { f.get(r); load(4 * kx); }
          else if (variant === 's2') { f.get(kx % 2 === 0 ? r : r1); load(4 * (kx >> 1)); }
          else { f.get(r).get(colOff[kx]!).op('i32.add'); load(0); }
          f.simd('f32x4.pmax').set(acc);
        }
      }
      f.get(yRow).get(q).op('i32.add').get(acc);
      if (lane) f.f32x4ExtractLane(0).mem('f32.store');
      else f.simdMem('v128.store', 0, 2);
      return;
    }
    f.get(bv).set(acc);
    f.get(rp).get(q).op('i32.add').set(r);
    for (let ky = 0; ky < K; ky++) {
      if (ky > 0) f.get(r).get(rowStep).op('i32.add').set(r);
      if (variant === 's2') f.get(r).get(planeBytes).op('i32.add').set(r1);
      for (let kx = 0; kx < K; kx++) {
        const t = ky * K + kx;
        // The input vector of tap (ky, kx).
        if (variant === 's1') { f.get(r); load(4 * kx); }
        else if (variant === 's2') { f.get(kx % 2 === 0 ? r : r1); load(4 * (kx >> 1)); }
        else { f.get(r).get(colOff[kx]!).op('i32.add'); load(0); }
        // Its weight.
        if (K === 3) f.get(wv[t]!);
        else f.get(wPtr).simdMem('v128.load32_splat', 4 * t);
        if (kx === 0) f.simd('f32x4.mul').set(s);
        else if (fma) f.get(s).simd('f32x4.relaxed_madd').set(s);
        else f.simd('f32x4.mul').get(s).simd('f32x4.add').set(s);
      }
      f.get(acc).get(s).simd('f32x4.add').set(acc);
    }
    f.get(hasRes).if();
    f.get(acc).get(rRow).get(q).op('i32.add');
    load(0);
    f.simd('f32x4.add').set(acc);
    f.end();
    f.get(acc).get(loV).simd('f32x4.pmax').get(hiV).simd('f32x4.pmin').set(acc);
    f.get(yRow).get(q).op('i32.add').get(acc);
    if (lane) f.f32x4ExtractLane(0).mem('f32.store');
    else f.simdMem('v128.store', 0, 2);
  };

  f.i32Const(0).set(ch);
  const chLoop = f.loop();
  {
    f.get(x).get(ch).get(xPlaneBytes).op('i32.mul').op('i32.add');
    f.get(xp).get(H).get(W).get(Hp).get(Wq).get(py).get(px).get(planeBytes).get(zeroBytes).call(padFn);
    f.i32Const(0).set(m);
    const mLoop = f.loop();
    {
      f.get(ch).get(mult).op('i32.mul').get(m).op('i32.add').set(oc);
      if (!max) {
        f.get(w).get(oc).i32Const(K * K * 4).op('i32.mul').op('i32.add').set(wPtr);
        for (let t = 0; t < wv.length; t++) f.get(wPtr).simdMem('v128.load32_splat', 4 * t).set(wv[t]!);
        f.v128ConstF32(0, 0, 0, 0).set(bv);
        f.get(hasBias).if();
        f.get(bias).get(oc).i32Const(2).op('i32.shl').op('i32.add').simdMem('v128.load32_splat', 0).set(bv);
        f.end();
      }
      f.get(y).get(oc).get(yPlaneBytes).op('i32.mul').op('i32.add').set(yRow);
      f.get(res).get(oc).get(yPlaneBytes).op('i32.mul').op('i32.add').set(rRow);
      f.get(xp).set(rp);
      f.i32Const(0).set(oy);
      const rowLoop = f.loop();
      {
        f.get(OW).i32Const(4).op('i32.ge_s').if();
        {
          // Groups of four, the last one moved back to end at OW.
          f.i32Const(0).set(q);
          const done = f.block();
          const v = f.loop();
          body(false);
          f.get(q).get(lastQ).op('i32.eq').brIf(done);
          f.get(q).i32Const(16).op('i32.add').tee(q).get(lastQ).op('i32.gt_s').if();
          f.get(lastQ).set(q);
          f.end();
          f.br(v);
          f.end();
          f.end();
        }
        f.else();
        {
          f.i32Const(0).set(q);
          const l = f.loop();
          body(true);
          f.get(q).i32Const(4).op('i32.add').tee(q).get(owBytes).op('i32.lt_s').brIf(l);
          f.end();
        }
        f.end();
        f.get(rp).get(syRowBytes).op('i32.add').set(rp);
        f.get(yRow).get(owBytes).op('i32.add').set(yRow);
        f.get(rRow).get(owBytes).op('i32.add').set(rRow);
        f.get(oy).i32Const(1).op('i32.add').tee(oy).get(OH).op('i32.lt_s').brIf(rowLoop);
      }
      f.end();
      f.get(m).i32Const(1).op('i32.add').tee(m).get(mult).op('i32.lt_s').brIf(mLoop);
    }
    f.end();
    f.get(ch).i32Const(1).op('i32.add').tee(ch).get(channels).op('i32.lt_s').brIf(chLoop);
  }
  f.end();
  return f;
}

/**
 * The conv module (`conv.*` for the executor): the padding functions, one depthwise export per
 * kernel size and variant, and im2col-simd.ts's `pads` and `im2col`.
 */
export function emitDepthwiseModule(fma: boolean, memory: MemoryLimits = { initial: 1 }): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder().importMemory('env', 'memory', memory);
  const pad1 = mod.addFunction(emitPad(1));
  const pad2 = mod.addFunction(emitPad(2));
  addIm2colFunctions(mod, pad1, pad2);
  for (const K of KERNELS) {
    for (const v of VARIANTS) {
      mod.addFunction(emitDepthwise(K, v, fma, v.endsWith('1') ? pad1 : pad2), `dw${K}_${v}`);
    }
  }
  const padMax1 = mod.addFunction(emitPad(1, -Infinity));
  const padMax2 = mod.addFunction(emitPad(2, -Infinity));
  for (const K of MAX_POOL_KERNELS) {
    for (const v of VARIANTS) {
      mod.addFunction(emitDepthwise(K, v, fma, v.endsWith('1') ? padMax1 : padMax2, true), `max${K}_${v}`);
    }
  }
  return mod.toBytes();
}

// ---- the driver -------------------------------------------------------------------------------

const vec4 = (n: number): number => Math.ceil(n / 4) * 4;

/** What runPlanes needs of a depthwise conv or max pool over N x C planes of H x W. */
interface PlaneJob {
  readonly x: Float32Array;
  /** Where Y goes: written in place when it is storage in the kernels' memory (see runPlanes). */
  readonly y: Float32Array;
  readonly N: number; readonly C: number; readonly H: number; readonly W: number; readonly OH: number; readonly OW: number;
  readonly K: number; readonly sy: number; readonly sx: number; readonly dy: number; readonly dx: number;
  readonly py: number; readonly px: number;
  /** Output planes per input plane (1 for a pool). */
  readonly mult: number;
  /** M x K x K weights, or null (a pool). */
  readonly w: Float32Array | null;
  readonly bias: Float32Array | null;
  readonly residual: Float32Array | null;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Lays out a plane kernel's parameter blocks, inputs and padded-plane scratch in the memory,
 * runs `kernel` as one batch (one call per image and channel range), and returns where Y is
 * and whether that is j.y itself. X, the residual and Y are used in place where they are storage
 * in the kernels' memory already (a session's activations: resident.ts tensorStorage),
 * Y only apart from X and the residual; else they are copied in (and Y out, by the caller).
 */
function runPlanes(host: DepthwiseHost, kernel: string, j: PlaneJob, what: string): { mem: Float32Array; yBase: number; inPlace: boolean } {
  const { x, y, N, C, H, W, OH, OW, K, sy, sx, dy, dx, py, px, mult, w, bias, residual } = j;
  const M = C * mult;
  const taps = K * K;
  const inPlane = H * W, outPlane = OH * OW;
  const Hp = (OH - 1) * sy + (K - 1) * dy + 1;
  const Wq = Math.ceil(((OW - 1) * sx + (K - 1) * dx + 1) / sx);
  const planeFloats = Hp * Wq;
  const zeroFloats = vec4(sx * planeFloats);
  const chunks = Math.max(1, Math.min(host.executor.parallelism, C));
  const perChunk = Math.ceil(C / chunks);
  const calls: DepthwiseCall[] = [];

  // Layout (floats): parameter blocks, W, bias, X, Y, residual, one padded plane per call.
  const nCalls = N * Math.ceil(C / perChunk);
  const xFloats = N * C * inPlane, yFloats = N * M * outPlane;
  const xAt = host.resident.offsetOf(x), rAt = residual === null ? -1 : host.resident.offsetOf(residual);
  const yAt = host.resident.outputOffset(y, yFloats, [[xAt, xFloats], [rAt, yFloats]]);
  let top = host.resident.scratchBase;
  const paramBase = top; top += nCalls * PARAM_SLOTS;
  const wBase = top; if (w !== null) top += vec4(M * taps);
  const biasBase = top; if (bias !== null) top += vec4(M);
  const xBase = xAt >= 0 ? xAt : top; if (xAt < 0) top += vec4(xFloats);
  const yBase = yAt >= 0 ? yAt : top; if (yAt < 0) top += vec4(yFloats);
  const resBase = rAt >= 0 ? rAt : top; if (residual !== null && rAt < 0) top += vec4(yFloats);
  const xpBase = top; top += nCalls * zeroFloats;
  const mem = host.resident.reserve(top, what);
  const ints = new Int32Array(mem.buffer, mem.byteOffset, top);
  if (w !== null) mem.set(w.subarray(0, M * taps), wBase);
  if (bias !== null) mem.set(bias.subarray(0, M), biasBase);
  if (xAt < 0) mem.set(x.subarray(0, xFloats), xBase);
  if (residual !== null && rAt < 0) mem.set(residual.subarray(0, yFloats), resBase);
  for (let n = 0; n < N; n++) {
    for (let c0 = 0; c0 < C; c0 += perChunk) {
      const q = paramBase + calls.length * PARAM_SLOTS;
      const oc0 = (n * C + c0) * mult;
      ints[q + P.x] = 4 * (xBase + (n * C + c0) * inPlane);
      ints[q + P.w] = 4 * (wBase + c0 * mult * taps);
      ints[q + P.bias] = 4 * (biasBase + c0 * mult);
      ints[q + P.y] = 4 * (yBase + oc0 * outPlane);
      ints[q + P.res] = 4 * (resBase + oc0 * outPlane);
      ints[q + P.xp] = 4 * (xpBase + calls.length * zeroFloats);
      ints[q + P.channels] = Math.min(perChunk, C - c0);
      ints[q + P.mult] = mult;
      ints[q + P.H] = H; ints[q + P.W] = W; ints[q + P.OH] = OH; ints[q + P.OW] = OW;
      ints[q + P.Hp] = Hp; ints[q + P.Wq] = Wq; ints[q + P.py] = py; ints[q + P.px] = px;
      ints[q + P.rowStep] = 4 * dy * Wq;
      ints[q + P.planeBytes] = 4 * planeFloats;
      ints[q + P.syRowBytes] = 4 * sy * Wq;
      ints[q + P.hasBias] = bias === null ? 0 : 1;
      ints[q + P.hasRes] = residual === null ? 0 : 1;
      mem[q + P.lo] = j.lo;
      mem[q + P.hi] = j.hi;
      ints[q + P.xPlaneBytes] = 4 * inPlane;
      ints[q + P.yPlaneBytes] = 4 * outPlane;
      ints[q + P.zeroBytes] = 4 * zeroFloats;
      for (let kx = 0; kx < K; kx++) ints[q + P.colOff + kx] = 4 * (((kx * dx) % sx) * planeFloats + Math.floor((kx * dx) / sx));
      calls.push([4 * q]);
    }
  }
  host.runCalls(kernel, calls);
  return { mem, yBase, inPlace: yAt >= 0 };
}

/**
 * Max pool of float32 planes on the module (`conv.max{K}_*`): y[c, oy, ox] = the first largest
 * non-NaN value of window (oy, ox), -Infinity for a window with none, as maxPoolFloat with empty
 * -Infinity (bit for bit: the same comparisons in the same order). False (nothing written) unless
 * the pool is over two dims (D = 1), with a square 2x2, 3x3 or 5x5 window, horizontal stride 1 or 2.
 */
export function maxPoolSimdF32(host: DepthwiseHost, x: Float32Array, y: Float32Array, g: PoolGeometry): boolean {
  const [D, H, W] = g.inShape as [number, number, number];
  const [OD, OH, OW] = g.outShape as [number, number, number];
  const [KD, K, KW] = g.kernel as [number, number, number];
  const [, sy, sx] = g.strides as [number, number, number];
  const [, dy, dx] = g.dilations as [number, number, number];
  if (D !== 1 || OD !== 1 || KD !== 1 || g.padsBegin[0] !== 0 || K !== KW || !(MAX_POOL_KERNELS as readonly number[]).includes(K)) return false;
  if (sx !== 1 && sx !== 2) return false;
  const C = g.channels;
  if (C === 0 || OH * OW === 0) return true;
  const { mem, yBase, inPlace } = runPlanes(host, `conv.max${K}_${dx === 1 ? 's' : 'd'}${sx}`, {
    x, y, N: 1, C, H, W, OH, OW, K, sy, sx, dy, dx, py: g.padsBegin[1]!, px: g.padsBegin[2]!, mult: 1,
    w: null, bias: null, residual: null, lo: -Infinity, hi: Infinity,
  }, `wasm max pool (${C} planes, ${H}x${W}, ${K}x${K})`);
  if (!inPlace) y.set(mem.subarray(yBase, yBase + C * OH * OW));
  return true;
}

/** [lo, hi] of the clamp the module applies (relu and clip exactly), and its function (1 sigmoid, 2 silu). */
function clampOf(act: GemmActivation | undefined): [number, number, number] {
  if (act?.kind === 'relu') return [0, Infinity, 0];
  if (act?.kind === 'clip') return [act.min, act.max, 0];
  return [-Infinity, Infinity, act?.kind === 'sigmoid' ? 1 : act?.kind === 'silu' ? 2 : 0];
}

/** Activations the module applies itself. */
const IN_MODULE = new Set(['none', 'relu', 'clip', 'sigmoid', 'silu']);

/**
 * Y = activation(depthwise conv(X, W) + bias + residual) on the module, or false (nothing
 * written) when the conv is not one it computes: 2-D, one input channel per group, a 3x3 or 5x5
 * kernel, horizontal stride 1 or 2. x: N x C x H x W, w: M x 1 x K x K, y: N x M x OH x OW
 * (every element written); the residual has Y's shape.
 */
export function depthwiseSimdF32(
  host: DepthwiseHost, x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue,
): boolean {
  if (g.inSize.length !== 2 || g.group !== g.inChannels || g.inChannels === 0) return false;
  const [KH, KW] = g.kernel as [number, number];
  const [sy, sx] = g.strides as [number, number];
  if (KH !== KW || (KH !== 3 && KH !== 5) || (sx !== 1 && sx !== 2)) return false;
  const [OH, OW] = g.outSize as [number, number];
  const N = g.batch, C = g.inChannels, M = g.outChannels;
  if (N === 0 || M === 0 || OH * OW === 0) return true;
  const [lo, hi, fn] = clampOf(ep.activation);
  const { mem, yBase, inPlace } = runPlanes(host, `conv.${depthwiseExport(KH, sx, g.dilations[1]!)}`, {
    x, y, N, C, H: g.inSize[0]!, W: g.inSize[1]!, OH, OW, K: KH, sy, sx, dy: g.dilations[0]!, dx: g.dilations[1]!,
    py: g.padsBegin[0]!, px: g.padsBegin[1]!, mult: M / C, w, bias: ep.bias ?? null, residual: ep.residual ?? null, lo, hi,
  }, `wasm depthwise conv (${C} channels, ${g.inSize.join('x')}, ${KH}x${KW})`);
  const total = N * M * OH * OW;
  if (fn !== 0) {
    // sigmoid / silu over Y in runs of whole vectors (the GEMM module's pass, same memory).
    const per = 4 * Math.ceil(total / 4 / host.executor.parallelism);
    const acts: (readonly [number, number, number])[] = [];
    for (let at = 0; at < total; at += per) acts.push([4 * (yBase + at), Math.ceil(Math.min(per, total - at) / 4), fn]);
    host.runCalls('gemm.act', acts);
  }
  if (!inPlace) y.set(mem.subarray(yBase, yBase + total));
  const act = ep.activation;
  if (act !== undefined && !IN_MODULE.has(act.kind)) {
    applyGemmEpilogueF32(y, 0, total, total, 0, 1, 0, total, { activation: act });
  }
  return true;
}
