// Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution with everything on the wasm engine: the
// input transform, the a^2 products (gemm-simd.ts's block kernel, V and M never leaving wasm
// memory) and the output transform, the counterpart of winogradConvF32's JS driver
// (kernels/winograd-f32.ts: the transforms, layouts and chunking are its). For weights packed
// with the tiles as the GEMM's rows (the wasm engine's plan); other packings take the JS driver.
//
// Input transform. Per channel and tile row, the a = m + 2 input rows are copied into a zero-
// padded band; four adjacent tiles are transformed at once, one per lane: the band row's columns
// of those tiles come out of a 4x4 transpose of four loads (F(4x4): tile tx starts at column
// 4 tx; columns 4 and 5 of each tile are lanes of the next load) or even/odd shuffles (F(2x2)),
// then d B per band row (kept in a scratch of a^2 vectors) and B^T (d B) per column, each
// point's vector of four tiles stored straight into V_xi's panel (strips of four tiles: tiles
// per row are padded to a multiple of 4, the extra tiles computed and never stored). Output
// transform. Four output channels at once, one per lane: A^T M per column of M_xi (32x4 loads of
// rows of the products), then (A^T M) A per output row, + bias; F(4x4) transposes each output
// row's four vectors so that a channel's four outputs are one store, F(2x2) stores lane by lane.
// Then, over Y: + residual and the relu / clip clamp, and sigmoid / silu (gemm.act).
//
// Accumulation and error. Everything in float32: the expressions of the JS transforms, each
// operation rounded (JS: float64, rounded once). With eps = 2^-24 and P of winograd-f32.ts's
// header, to first order
//     |y~ - y| <= eps |y| + (22 + kc + ceil(Cin / kc)) eps P      (kc = gemmBlockDepth(Cin))
// counting per output: U's rounding (1), V's two passes (at most 3 roundings each, 6), the
// GEMM's kc + blocks + 2, the output transform's two passes (at most 4 each, 8), bias (1),
// with 4 to spare for the second-order terms and P >= |y|.

import type { ConvGeometry } from '../conv.js';
import { type FusedConvEpilogue, type GemmActivation, applyGemmEpilogueF32, gemmBlockDepth } from '../gemm-f32.js';
import { type PackedWinogradF32, winogradInRange } from '../winograd-f32.js';
import { FunctionBuilder, type Local, type MemoryLimits, ModuleBuilder, ValType } from './assembler.js';
import { type GemmSimdHost, type InMemoryProduct, gemmSimdInMemory, gemmSimdInMemoryMany } from './gemm-simd.js';
import { SIMD_ACTIVATION } from './simd-math.js';

const { i32, f32, v128 } = ValType;

/** Input-transform parameter slots (i32). */
const IN = {
  x: 0, C: 1, H: 2, W: 3, th: 4, tw4: 5, pt: 6, pl: 7, r0: 8, r1: 9, c0: 10, c1: 11,
  v: 12, vStride: 13, nbPad: 14, kcMax: 15, band: 16, bw: 17, tmp: 18, rs: 19,
} as const;
/** Output-transform parameter slots (i32). */
const OUT = {
  m: 0, mStride: 1, ldm: 2, y: 3, M: 4, OH: 5, OW: 6, th: 7, tw: 8, tw4: 9, r0: 10, r1: 11, o0: 12, o1: 13,
  bias: 14, tmp: 15,
} as const;
const SLOTS = 20;

/** Lane selectors of i8x16.shuffle for four f32 lanes (0-3 the first operand, 4-7 the second). */
const lanes = (a: number, b: number, c: number, d: number) => [a, b, c, d].flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/** Loads slot `s` of the parameter block into a new local. */
function param(f: FunctionBuilder, block: Local, s: number): Local {
  const l = f.local(i32);
  f.get(block).mem('i32.load', 4 * s).set(l);
  return l;
}

/** `for (i = from; i < to; i += step) body()` with i32 locals; `from` emits the start. */
function forRange(f: FunctionBuilder, i: Local, from: () => void, to: Local, step: number, body: () => void): void {
  from();
  f.set(i);
  const out = f.block();
  const top = f.loop();
  f.get(i).get(to).op('i32.ge_s').brIf(out);
  body();
  f.get(i).i32Const(step).op('i32.add').set(i);
  f.br(top);
  f.end();
  f.end();
}

/** Emits the six outputs of F(4x4)'s B^T applied to d0..d5 (each emitted by `d(k)`), into outs. */
function inputPass4(f: FunctionBuilder, d: (k: number) => void, outs: readonly Local[], four: Local, five: Local, two: Local): void {
  // o0 = 4 d0 - 5 d2 + d4
  d(0); f.get(four).simd('f32x4.mul'); d(2); f.get(five).simd('f32x4.mul').simd('f32x4.sub'); d(4); f.simd('f32x4.add').set(outs[0]!);
  // o1 = (d3 + d4) - 4 (d1 + d2)
  d(3); d(4); f.simd('f32x4.add'); d(1); d(2); f.simd('f32x4.add').get(four).simd('f32x4.mul').simd('f32x4.sub').set(outs[1]!);
  // o2 = 4 (d1 - d2) + d4 - d3
  d(1); d(2); f.simd('f32x4.sub').get(four).simd('f32x4.mul'); d(4); f.simd('f32x4.add'); d(3); f.simd('f32x4.sub').set(outs[2]!);
  // o3 = 2 (d3 - d1) + d4 - d2
  d(3); d(1); f.simd('f32x4.sub').get(two).simd('f32x4.mul'); d(4); f.simd('f32x4.add'); d(2); f.simd('f32x4.sub').set(outs[3]!);
  // o4 = 2 (d1 - d3) + d4 - d2
  d(1); d(3); f.simd('f32x4.sub').get(two).simd('f32x4.mul'); d(4); f.simd('f32x4.add'); d(2); f.simd('f32x4.sub').set(outs[4]!);
  // o5 = 4 d1 - 5 d3 + d5
  d(1); f.get(four).simd('f32x4.mul'); d(3); f.get(five).simd('f32x4.mul').simd('f32x4.sub'); d(5); f.simd('f32x4.add').set(outs[5]!);
}

/** F(2x2)'s B^T applied to d0..d3. */
function inputPass2(f: FunctionBuilder, d: (k: number) => void, outs: readonly Local[]): void {
  d(0); d(2); f.simd('f32x4.sub').set(outs[0]!);
  d(1); d(2); f.simd('f32x4.add').set(outs[1]!);
  d(2); d(1); f.simd('f32x4.sub').set(outs[2]!);
  d(1); d(3); f.simd('f32x4.sub').set(outs[3]!);
}

/**
 * in{m}(params): V_xi for channels [c0, c1) and tile rows [rs, r1) of the chunk whose tile rows
 * start at r0 (its V rows count from r0).
 */
function emitInput(m: 2 | 4): FunctionBuilder {
  const a = m + 2;
  const f = new FunctionBuilder([i32], []);
  const [block] = f.params as [Local];
  const P = (s: number) => param(f, block, s);
  const x = P(IN.x), C = P(IN.C), H = P(IN.H), W = P(IN.W), th = P(IN.th), tw4 = P(IN.tw4), pt = P(IN.pt), pl = P(IN.pl);
  const r0 = P(IN.r0), r1 = P(IN.r1), c0 = P(IN.c0), c1 = P(IN.c1), v = P(IN.v), vStride = P(IN.vStride);
  const nbPad = P(IN.nbPad), kcMax = P(IN.kcMax), band = P(IN.band), bw = P(IN.bw), tmp = P(IN.tmp), rs = P(IN.rs);
  const c = f.local(i32), pc = f.local(i32), kc = f.local(i32), chanBase = f.local(i32), r = f.local(i32), n = f.local(i32);
  const ty = f.local(i32), src = f.local(i32), p = f.local(i32), end = f.local(i32), iy = f.local(i32), cnt = f.local(i32);
  const j = f.local(i32), dst = f.local(i32), g = f.local(i32), groups = f.local(i32), gBase = f.local(i32), q = f.local(i32);
  const plane = f.local(i32);
  const four = f.local(v128), five = f.local(v128), two = f.local(v128);
  f.v128ConstF32(4, 4, 4, 4).set(four);
  f.v128ConstF32(5, 5, 5, 5).set(five);
  f.v128ConstF32(2, 2, 2, 2).set(two);
  const L = Array.from({ length: 5 }, () => f.local(v128));
  const T = Array.from({ length: a }, () => f.local(v128));
  const S = Array.from({ length: a }, () => f.local(v128));
  const t4 = Array.from({ length: 4 }, () => f.local(v128));

  f.get(H).get(W).op('i32.mul').i32Const(2).op('i32.shl').set(plane);
  f.get(tw4).i32Const(2).op('i32.shr_u').set(groups);
  forRange(f, c, () => f.get(c0), c1, 1, () => {
    f.get(c).get(kcMax).op('i32.div_u').get(kcMax).op('i32.mul').set(pc);
    f.get(C).get(pc).op('i32.sub').tee(kc).get(kcMax).get(kc).get(kcMax).op('i32.lt_s').op('select').set(kc);
    // V of (channel c, tile t) at v + 4 (pc nbPad + (t >> 2) 4 kc + (c - pc) 4 + (t & 3)).
    f.get(v).get(pc).get(nbPad).op('i32.mul').get(c).get(pc).op('i32.sub').i32Const(2).op('i32.shl').op('i32.add').i32Const(2).op('i32.shl').op('i32.add').set(chanBase);
    forRange(f, r, () => f.get(rs), r1, 1, () => {
      f.get(r).get(th).op('i32.div_u').tee(n).get(th).op('i32.mul').set(ty);
      f.get(r).get(ty).op('i32.sub').set(ty);
      f.get(x).get(n).get(C).op('i32.mul').get(c).op('i32.add').get(plane).op('i32.mul').op('i32.add').set(src);
      // The band: a rows of bw floats, zero, then the input rows ty m - pt + rr that exist.
      f.get(band).tee(p).get(bw).i32Const(4 * a).op('i32.mul').op('i32.add').set(end);
      const z = f.loop();
      f.get(p).v128ConstF32(0, 0, 0, 0).simdMem('v128.store', 0, 2);
      f.get(p).i32Const(16).op('i32.add').tee(p).get(end).op('i32.lt_u').brIf(z);
      f.end();
      // cnt = min(W, bw - pl) floats per row, in bytes.
      f.get(bw).get(pl).op('i32.sub').tee(cnt).get(W).get(cnt).get(W).op('i32.lt_s').op('select').i32Const(2).op('i32.shl').set(cnt);
      for (let rr = 0; rr < a; rr++) {
        f.get(ty).i32Const(m).op('i32.mul').get(pt).op('i32.sub').i32Const(rr).op('i32.add').tee(iy).get(H).op('i32.lt_u').if();
        {
          f.get(src).get(iy).get(W).op('i32.mul').i32Const(2).op('i32.shl').op('i32.add').set(p);
          f.get(band).get(bw).i32Const(rr).op('i32.mul').get(pl).op('i32.add').i32Const(2).op('i32.shl').op('i32.add').set(dst);
          f.i32Const(0).set(j);
          const out = f.block();
          const vec = f.loop();
          f.get(j).i32Const(16).op('i32.add').get(cnt).op('i32.gt_s').brIf(out);
          f.get(dst).get(j).op('i32.add').get(p).get(j).op('i32.add').simdMem('v128.load', 0, 2).simdMem('v128.store', 0, 2);
          f.get(j).i32Const(16).op('i32.add').set(j);
          f.br(vec);
          f.end();
          f.end();
          const out2 = f.block();
          const sc = f.loop();
          f.get(j).get(cnt).op('i32.ge_s').brIf(out2);
          f.get(dst).get(j).op('i32.add').get(p).get(j).op('i32.add').mem('f32.load').mem('f32.store');
          f.get(j).i32Const(4).op('i32.add').set(j);
          f.br(sc);
          f.end();
          f.end();
        }
        f.end();
      }
      // Groups of four tiles: tile t = (r - r0) tw4 + 4 g, its strip at chanBase + 16 (t >> 2) kc.
      forRange(f, g, () => f.i32Const(0), groups, 1, () => {
        f.get(chanBase).get(r).get(r0).op('i32.sub').get(tw4).op('i32.mul').i32Const(2).op('i32.shr_u').get(g).op('i32.add');
        f.get(kc).op('i32.mul').i32Const(4).op('i32.shl').op('i32.add').set(gBase);
        for (let rr = 0; rr < a; rr++) {
          // q: this band row at the group's first column (4 m g).
          f.get(band).get(bw).i32Const(rr).op('i32.mul').get(g).i32Const(4 * m).op('i32.mul').op('i32.add').i32Const(2).op('i32.shl').op('i32.add').set(q);
          if (m === 4) {
            for (let l = 0; l < 5; l++) f.get(q).simdMem('v128.load', 16 * l, 2).set(L[l]!);
            f.get(L[0]!).get(L[1]!).i8x16Shuffle(lanes(0, 4, 1, 5)).set(t4[0]!);
            f.get(L[0]!).get(L[1]!).i8x16Shuffle(lanes(2, 6, 3, 7)).set(t4[1]!);
            f.get(L[2]!).get(L[3]!).i8x16Shuffle(lanes(0, 4, 1, 5)).set(t4[2]!);
            f.get(L[2]!).get(L[3]!).i8x16Shuffle(lanes(2, 6, 3, 7)).set(t4[3]!);
            f.get(t4[0]!).get(t4[2]!).i8x16Shuffle(lanes(0, 1, 4, 5)).set(T[0]!);
            f.get(t4[0]!).get(t4[2]!).i8x16Shuffle(lanes(2, 3, 6, 7)).set(T[1]!);
            f.get(t4[1]!).get(t4[3]!).i8x16Shuffle(lanes(0, 1, 4, 5)).set(T[2]!);
            f.get(t4[1]!).get(t4[3]!).i8x16Shuffle(lanes(2, 3, 6, 7)).set(T[3]!);
            f.get(T[0]!).get(L[4]!).i8x16Shuffle(lanes(1, 2, 3, 4)).set(T[4]!);
            f.get(T[1]!).get(L[4]!).i8x16Shuffle(lanes(1, 2, 3, 5)).set(T[5]!);
            inputPass4(f, (k) => f.get(T[k]!), S, four, five, two);
          } else {
            f.get(q).simdMem('v128.load', 0, 2).set(L[0]!);
            f.get(q).simdMem('v128.load', 16, 2).set(L[1]!);
            f.get(q).simdMem('v128.load', 8, 2).set(L[2]!);
            f.get(q).simdMem('v128.load', 24, 2).set(L[3]!);
            f.get(L[0]!).get(L[1]!).i8x16Shuffle(lanes(0, 2, 4, 6)).set(T[0]!);
            f.get(L[0]!).get(L[1]!).i8x16Shuffle(lanes(1, 3, 5, 7)).set(T[1]!);
            f.get(L[2]!).get(L[3]!).i8x16Shuffle(lanes(0, 2, 4, 6)).set(T[2]!);
            f.get(L[2]!).get(L[3]!).i8x16Shuffle(lanes(1, 3, 5, 7)).set(T[3]!);
            inputPass2(f, (k) => f.get(T[k]!), S);
          }
          for (let jj = 0; jj < a; jj++) f.get(tmp).get(S[jj]!).simdMem('v128.store', 16 * (rr * a + jj), 2);
        }
        for (let jj = 0; jj < a; jj++) {
          const d = (k: number) => f.get(tmp).simdMem('v128.load', 16 * (k * a + jj), 2);
          if (m === 4) inputPass4(f, d, S, four, five, two);
          else inputPass2(f, d, S);
          for (let i = 0; i < a; i++) {
            f.get(gBase).get(vStride).i32Const(i * a + jj).op('i32.mul').op('i32.add').get(S[i]!).simdMem('v128.store', 0, 2);
          }
        }
      });
    });
  });
  return f;
}

/**
 * out{m}(params): Y (+ bias) for output channels [o0, o1) (o0 a multiple of 4) and tile rows
 * [r0, r1): M_xi[t, o] at m + xi mStride + t ldm + 4 o.
 */
function emitOutput(m: 2 | 4): FunctionBuilder {
  const a = m + 2;
  const f = new FunctionBuilder([i32], []);
  const [block] = f.params as [Local];
  const P = (s: number) => param(f, block, s);
  const mBase = P(OUT.m), mStride = P(OUT.mStride), ldm = P(OUT.ldm), y = P(OUT.y), M = P(OUT.M), OH = P(OUT.OH), OW = P(OUT.OW);
  const th = P(OUT.th), tw = P(OUT.tw), tw4 = P(OUT.tw4), r0 = P(OUT.r0), r1 = P(OUT.r1), o0 = P(OUT.o0), o1 = P(OUT.o1);
  const bias = P(OUT.bias), tmp = P(OUT.tmp);
  const r = f.local(i32), n = f.local(i32), ty = f.local(i32), oy = f.local(i32), rows = f.local(i32), tx = f.local(i32);
  const ox = f.local(i32), cols = f.local(i32), mt = f.local(i32), o = f.local(i32), at = f.local(i32), rowBytes = f.local(i32);
  const planeBytes = f.local(i32);
  const two = f.local(v128), four = f.local(v128), eight = f.local(v128), bv = f.local(v128);
  f.v128ConstF32(2, 2, 2, 2).set(two);
  f.v128ConstF32(4, 4, 4, 4).set(four);
  f.v128ConstF32(8, 8, 8, 8).set(eight);
  const mv = Array.from({ length: a }, () => f.local(v128));
  const Y = Array.from({ length: 4 }, () => f.local(v128));
  const t4 = Array.from({ length: 4 }, () => f.local(v128));
  const Z = Array.from({ length: 4 }, () => f.local(v128));
  const p12 = f.local(v128), d12 = f.local(v128), p34 = f.local(v128), d34 = f.local(v128);

  /** A^T applied to e0..e5 (F(4x4)), outputs into outs[0..3] (JS outputRow4's expressions). */
  const outPass4 = (e: (k: number) => void, outs: readonly Local[]) => {
    e(1); e(2); f.simd('f32x4.add').set(p12);
    e(1); e(2); f.simd('f32x4.sub').set(d12);
    e(3); e(4); f.simd('f32x4.add').set(p34);
    e(3); e(4); f.simd('f32x4.sub').set(d34);
    e(0); f.get(p12).simd('f32x4.add').get(p34).simd('f32x4.add').set(outs[0]!);
    f.get(d12).get(d34).get(two).simd('f32x4.mul').simd('f32x4.add').set(outs[1]!);
    f.get(p12).get(p34).get(four).simd('f32x4.mul').simd('f32x4.add').set(outs[2]!);
    f.get(d12).get(d34).get(eight).simd('f32x4.mul').simd('f32x4.add'); e(5); f.simd('f32x4.add').set(outs[3]!);
  };
  /** A^T applied to e0..e3 (F(2x2)). */
  const outPass2 = (e: (k: number) => void, outs: readonly Local[]) => {
    e(0); e(1); f.simd('f32x4.add'); e(2); f.simd('f32x4.add').set(outs[0]!);
    e(1); e(2); f.simd('f32x4.sub'); e(3); f.simd('f32x4.sub').set(outs[1]!);
  };
  const pass = m === 4 ? outPass4 : outPass2;

  f.get(OH).get(OW).op('i32.mul').i32Const(2).op('i32.shl').set(planeBytes);
  f.get(OW).i32Const(2).op('i32.shl').set(rowBytes);
  forRange(f, r, () => f.get(r0), r1, 1, () => {
    f.get(r).get(th).op('i32.div_u').tee(n).get(th).op('i32.mul').set(ty);
    f.get(r).get(ty).op('i32.sub').i32Const(m).op('i32.mul').set(oy);
    f.get(OH).get(oy).op('i32.sub').tee(rows).i32Const(m).get(rows).i32Const(m).op('i32.lt_s').op('select').set(rows);
    forRange(f, tx, () => f.i32Const(0), tw, 1, () => {
      f.get(tx).i32Const(m).op('i32.mul').set(ox);
      f.get(OW).get(ox).op('i32.sub').tee(cols).i32Const(m).get(cols).i32Const(m).op('i32.lt_s').op('select').set(cols);
      // Row t = (r - r0) tw4 + tx of every M_xi.
      f.get(mBase).get(r).get(r0).op('i32.sub').get(tw4).op('i32.mul').get(tx).op('i32.add').get(ldm).op('i32.mul').op('i32.add').set(mt);
      forRange(f, o, () => f.get(o0), o1, 4, () => {
        f.get(bias).get(o).i32Const(2).op('i32.shl').op('i32.add').simdMem('v128.load', 0, 2).set(bv);
        // Column pass: tmp[rr * a + j] = (A^T M)[rr, j] for the m output rows rr.
        for (let jj = 0; jj < a; jj++) {
          const e = (k: number) => {
            f.get(mt).get(o).i32Const(2).op('i32.shl').op('i32.add').get(mStride).i32Const(k * a + jj).op('i32.mul').op('i32.add');
            f.simdMem('v128.load', 0, 2);
          };
          for (let k = 0; k < a; k++) { e(k); f.set(mv[k]!); }
          pass((k) => f.get(mv[k]!), Y);
          for (let rr = 0; rr < m; rr++) f.get(tmp).get(Y[rr]!).simdMem('v128.store', 16 * (rr * a + jj), 2);
        }
        // Row pass per output row, + bias; stored where the row and the channel exist.
        for (let rr = 0; rr < m; rr++) {
          pass((k) => f.get(tmp).simdMem('v128.load', 16 * (rr * a + k), 2), Y);
          for (let jj = 0; jj < m; jj++) f.get(bv).get(Y[jj]!).simd('f32x4.add').set(Y[jj]!);
          f.i32Const(rr).get(rows).op('i32.lt_s').if();
          // at: Y[n, o, oy + rr, ox].
          f.get(y).get(n).get(M).op('i32.mul').get(o).op('i32.add').get(planeBytes).op('i32.mul').op('i32.add');
          f.get(oy).i32Const(rr).op('i32.add').get(rowBytes).op('i32.mul').op('i32.add').get(ox).i32Const(2).op('i32.shl').op('i32.add').set(at);
          if (m === 4) {
            // Transpose: Z[l] = the four outputs of channel o + l.
            f.get(Y[0]!).get(Y[1]!).i8x16Shuffle(lanes(0, 4, 1, 5)).set(t4[0]!);
            f.get(Y[0]!).get(Y[1]!).i8x16Shuffle(lanes(2, 6, 3, 7)).set(t4[1]!);
            f.get(Y[2]!).get(Y[3]!).i8x16Shuffle(lanes(0, 4, 1, 5)).set(t4[2]!);
            f.get(Y[2]!).get(Y[3]!).i8x16Shuffle(lanes(2, 6, 3, 7)).set(t4[3]!);
            f.get(t4[0]!).get(t4[2]!).i8x16Shuffle(lanes(0, 1, 4, 5)).set(Z[0]!);
            f.get(t4[0]!).get(t4[2]!).i8x16Shuffle(lanes(2, 3, 6, 7)).set(Z[1]!);
            f.get(t4[1]!).get(t4[3]!).i8x16Shuffle(lanes(0, 1, 4, 5)).set(Z[2]!);
            f.get(t4[1]!).get(t4[3]!).i8x16Shuffle(lanes(2, 3, 6, 7)).set(Z[3]!);
            for (let l = 0; l < 4; l++) {
              f.get(o).i32Const(l).op('i32.add').get(M).op('i32.lt_s').if();
              f.get(cols).i32Const(4).op('i32.eq').if();
              f.get(at).get(Z[l]!).simdMem('v128.store', 0, 2);
              f.else();
              for (let cc = 0; cc < 3; cc++) {
                f.i32Const(cc).get(cols).op('i32.lt_s').if();
                f.get(at).get(Z[l]!).f32x4ExtractLane(cc).mem('f32.store', 4 * cc);
                f.end();
              }
              f.end();
              f.end();
              f.get(at).get(planeBytes).op('i32.add').set(at);
            }
          } else {
            for (let l = 0; l < 4; l++) {
              f.get(o).i32Const(l).op('i32.add').get(M).op('i32.lt_s').if();
              f.get(at).get(Y[0]!).f32x4ExtractLane(l).mem('f32.store', 0);
              f.get(cols).i32Const(1).op('i32.gt_s').if();
              f.get(at).get(Y[1]!).f32x4ExtractLane(l).mem('f32.store', 4);
              f.end();
              f.end();
              f.get(at).get(planeBytes).op('i32.add').set(at);
            }
          }
          f.end();
        }
      });
    });
  });
  return f;
}

/** fin(y, res, vectors, lo, hi): y = clamp(y + res) (res 0: no residual), pmax then pmin. */
function emitFinish(): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32, f32, f32], []);
  const [y, res, vectors, lo, hi] = f.params as [Local, Local, Local, Local, Local];
  const end = f.local(i32), loV = f.local(v128), hiV = f.local(v128), t = f.local(v128);
  f.get(lo).simd('f32x4.splat').set(loV);
  f.get(hi).simd('f32x4.splat').set(hiV);
  f.get(y).get(vectors).i32Const(4).op('i32.shl').op('i32.add').set(end);
  const out = f.block();
  const top = f.loop();
  f.get(y).get(end).op('i32.ge_u').brIf(out);
  f.get(y).simdMem('v128.load', 0, 2).set(t);
  f.get(res).if();
  f.get(t).get(res).simdMem('v128.load', 0, 2).simd('f32x4.add').set(t);
  f.get(res).i32Const(16).op('i32.add').set(res);
  f.end();
  f.get(y).get(t).get(loV).simd('f32x4.pmax').get(hiV).simd('f32x4.pmin').simdMem('v128.store', 0, 2);
  f.get(y).i32Const(16).op('i32.add').set(y);
  f.br(top);
  f.end();
  f.end();
  return f;
}

/**
 * maxabs(x, vectors, out): the largest |x| over `vectors` f32x4s at x (bytes), NaN if one is NaN
 * (f32x4.max and f32.max propagate it), stored as an f32 at out: the range check's pass over X.
 */
function emitMaxAbs(): FunctionBuilder {
  const f = new FunctionBuilder([i32, i32, i32], []);
  const [x, vectors, out] = f.params as [Local, Local, Local];
  const end = f.local(i32), acc = f.local(v128);
  f.v128ConstF32(0, 0, 0, 0).set(acc);
  f.get(x).get(vectors).i32Const(4).op('i32.shl').op('i32.add').set(end);
  const done = f.block();
  const top = f.loop();
  f.get(x).get(end).op('i32.ge_u').brIf(done);
  f.get(acc).get(x).simdMem('v128.load', 0, 2).simd('f32x4.abs').simd('f32x4.max').set(acc);
  f.get(x).i32Const(16).op('i32.add').set(x);
  f.br(top);
  f.end();
  f.end();
  f.get(out);
  f.get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).op('f32.max');
  f.get(acc).f32x4ExtractLane(2).get(acc).f32x4ExtractLane(3).op('f32.max');
  f.op('f32.max').mem('f32.store');
  return f;
}

/** The Winograd module: in2, in4, out2, out4, fin and maxabs. */
export function emitWinogradModule(memory: MemoryLimits = { initial: 1 }): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder().importMemory('env', 'memory', memory);
  mod.addFunction(emitInput(2), 'in2');
  mod.addFunction(emitInput(4), 'in4');
  mod.addFunction(emitOutput(2), 'out2');
  mod.addFunction(emitOutput(4), 'out4');
  mod.addFunction(emitFinish(), 'fin');
  mod.addFunction(emitMaxAbs(), 'maxabs');
  return mod.toBytes();
}

// ---- the driver -------------------------------------------------------------------------------

/** Tiles per chunk, as the JS driver: V and M of one chunk should stay in L2/L3. */
const CHUNK_TILES = 256;

const vec4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * A stride of at least `floats` that is an odd number of 64-byte cache lines: the a^2 = 36
 * matrices of V and of M are written and read together, and at a power-of-two stride (64 KiB for
 * resnet18's first layers: 64 channels x 256 tiles) all 36 streams fall into the same cache sets.
 * Skewed, resnet18@224 ran 6% faster on one thread and 9% on two.
 */
const skewed = (floats: number): number => Math.ceil(floats / 32) * 32 + 16;

/** Activations applied over Y in wasm: the clamp's bounds and the pass's kind (0: none). */
function finishOf(act: GemmActivation | undefined): { lo: number; hi: number; fn: number; clamp: boolean } {
  if (act?.kind === 'relu') return { lo: 0, hi: Infinity, fn: 0, clamp: true };
  if (act?.kind === 'clip') return { lo: act.min, hi: act.max, fn: 0, clamp: true };
  const fn = act?.kind === 'sigmoid' ? SIMD_ACTIVATION.sigmoid : act?.kind === 'silu' ? SIMD_ACTIVATION.silu : 0;
  return { lo: -Infinity, hi: Infinity, fn, clamp: false };
}

/**
 * winogradConvF32 on the wasm engine (same contract; the caller has checked that X's range
 * allows Winograd), or false (nothing written) for weights packed with the tiles as columns.
 */
export function winogradSimdF32(
  host: GemmSimdHost,
  x: Float32Array, w: PackedWinogradF32, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue,
): boolean {
  if (!w.tilesAsRows) return false;
  const m = w.tile;
  const a = m + 2;
  const T = a * a;
  const M = g.outChannels, C = g.inChannels, N = g.batch;
  const [H, W] = [g.inSize[0]!, g.inSize[1]!];
  const [OH, OW] = [g.outSize[0]!, g.outSize[1]!];
  const [pt, pl] = [g.padsBegin[0]!, g.padsBegin[1]!];
  if (N === 0 || M === 0 || OH === 0 || OW === 0) return true;
  const what = `wasm Winograd F(${m}x${m}) conv (${C} -> ${M} channels, ${H}x${W})`;
  const th = Math.ceil(OH / m), tw = Math.ceil(OW / m), tw4 = Math.ceil(tw / 4) * 4;
  const rowsTotal = N * th;
  const rowsPerChunk = Math.max(1, Math.min(rowsTotal, Math.floor(CHUNK_TILES / tw4)));
  const nbMax = rowsPerChunk * tw4;
  const kcMax = gemmBlockDepth(C);
  const coutPad = Math.ceil(M / 8) * 8;
  const parts = Math.max(1, host.executor.parallelism);
  const bw = vec4(tw4 * m + 2 + 4);
  // U first: its upload may move the scratch up.
  const uRes = host.resident.locate(w.points[0]!.panels, 0, what);

  let top = host.resident.scratchBase;
  const take = (floats: number) => { const at = top; top += vec4(floats); return at; };
  const xFloats = N * C * H * W;
  const total = N * M * OH * OW;
  // X, Y and the residual in place where they are storage in the kernels' memory already (a
  // session's activations: resident.ts tensorStorage), else copied in and out. Y in place only
  // apart from X and the residual (an arena never hands out overlapping arrays; checked anyway).
  const xAt = host.resident.offsetOf(x), rAt = ep.residual === undefined ? -1 : host.resident.offsetOf(ep.residual);
  const yAt = host.resident.outputOffset(y, total, [[xAt, xFloats], [rAt, total]]);
  const xBase = xAt >= 0 ? xAt : take(xFloats);
  const yBase = yAt >= 0 ? yAt : take(total);
  const resBase = ep.residual === undefined ? 0 : rAt >= 0 ? rAt : take(total);
  const biasBase = take(coutPad);
  const vStride = skewed(C * nbMax);
  const vBase = take(T * vStride);
  const mStride = skewed(nbMax * coutPad);
  const mBase = take(T * mStride);
  const paramBase = take(2 * parts * SLOTS);
  const callScratch = a * bw + 4 * T;
  const scratchBase = take(parts * callScratch);
  const gemmScratch = top;
  const mem = host.resident.reserve(top + kcMax * Math.min(host.config.nc, coutPad), what);
  const ints = new Int32Array(mem.buffer, mem.byteOffset, top);
  if (xAt < 0) mem.set(x.subarray(0, xFloats), xBase);
  // The range check (winogradInRange) on X, in parallel: its whole vectors in `parts` calls, the
  // last xFloats % 4 here. Out of range: nothing written, the caller runs im2col.
  {
    const vectors = xFloats >> 2;
    const per = Math.ceil(vectors / parts);
    const calls: (readonly number[])[] = [];
    for (let v0 = 0; v0 < vectors; v0 += per) calls.push([4 * (xBase + 4 * v0), Math.min(per, vectors - v0), 4 * (paramBase + calls.length)]);
    host.runCalls('winograd.maxabs', calls);
    let m = 0;
    for (let k = 0; k < calls.length; k++) m = Math.max(m, mem[paramBase + k]!);
    for (let i = vectors * 4; i < xFloats; i++) m = Math.max(m, Math.abs(x[i]!));
    if (!winogradInRange(w, m)) return false;
  }
  if (ep.residual !== undefined && rAt < 0) mem.set(ep.residual.subarray(0, total), resBase);
  mem.fill(0, biasBase, biasBase + coutPad);
  if (ep.bias) mem.set(ep.bias.subarray(0, M), biasBase);

  const products: InMemoryProduct[] = [];
  const cPer = Math.ceil(C / parts);
  const oPer = 4 * Math.ceil(Math.ceil(M / 4) / parts);
  for (let r0 = 0; r0 < rowsTotal; r0 += rowsPerChunk) {
    const r1 = Math.min(rowsTotal, r0 + rowsPerChunk);
    const nb = (r1 - r0) * tw4;
    // Input transform: V_xi (nb x C) in A-panel layout, in parallel by ranges of input channels:
    // each call reads its channels' planes of X whole and writes its channels' columns of every
    // V_xi. By ranges of tile rows instead (whole strips of V per call) it ran 0.6-1.3 ms slower
    // on two threads (resnet18@224, old and new code interleaved in one process).
    const ins: (readonly [number])[] = [];
    for (let c0 = 0, k = 0; c0 < C; c0 += cPer, k++) {
      const q = paramBase + k * SLOTS;
      const s = scratchBase + k * callScratch;
      const [rs, re, c1] = [r0, r1, Math.min(C, c0 + cPer)];
      const vals: [number, number][] = [
        [IN.x, 4 * xBase], [IN.C, C], [IN.H, H], [IN.W, W], [IN.th, th], [IN.tw4, tw4], [IN.pt, pt], [IN.pl, pl],
        [IN.r0, r0], [IN.rs, rs], [IN.r1, re], [IN.c0, c0], [IN.c1, c1], [IN.v, 4 * vBase], [IN.vStride, 4 * vStride],
        [IN.nbPad, nb], [IN.kcMax, kcMax], [IN.band, 4 * s], [IN.bw, bw], [IN.tmp, 4 * (s + a * bw)],
      ];
      for (const [slot, value] of vals) ints[q + slot] = value;
      ins.push([4 * q]);
    }
    host.runCalls(`winograd.in${m}`, ins);
    // The a^2 products M_xi^T (nb x Cout) = V_xi^T U_xi^T: with U resident, all in one batch per K
    // block (each is small; together they keep a pool's threads busy); else one by one, packing U.
    if (uRes >= 0) {
      products.length = 0;
      for (let xi = 0; xi < T; xi++) products.push({ aAt: vBase + xi * vStride, B: w.points[xi]!, cAt: mBase + xi * mStride });
      gemmSimdInMemoryMany(host, nb, M, C, products, uRes, coutPad);
    } else {
      for (let xi = 0; xi < T; xi++) {
        gemmSimdInMemory(host, nb, M, C, vBase + xi * vStride, w.points[xi]!, uRes, mBase + xi * mStride, coutPad, gemmScratch);
      }
    }
    // Output transform + bias in parallel: by ranges of tile rows where the chunk has a row per
    // call or more (each call then reads whole rows of every M_xi, in order), else by ranges of
    // output channels. A call's rows start its M rows: row t = (r - ra) tw4 + tx of m + ...
    const outs: (readonly [number])[] = [];
    const byRows = r1 - r0 >= parts;
    const bound = (k: number) => r0 + Math.floor((k * (r1 - r0)) / parts);
    for (let s0 = 0, k = 0; byRows ? k < parts : s0 < M; s0 += oPer, k++) {
      const q = paramBase + (parts + k) * SLOTS;
      const [ra, rb] = byRows ? [bound(k), bound(k + 1)] : [r0, r1];
      const [o0, o1] = byRows ? [0, coutPad] : [s0, Math.min(coutPad, s0 + oPer)];
      const vals: [number, number][] = [
        [OUT.m, 4 * (mBase + (ra - r0) * tw4 * coutPad)], [OUT.mStride, 4 * mStride], [OUT.ldm, 4 * coutPad], [OUT.y, 4 * yBase],
        [OUT.M, M], [OUT.OH, OH], [OUT.OW, OW], [OUT.th, th], [OUT.tw, tw], [OUT.tw4, tw4], [OUT.r0, ra], [OUT.r1, rb],
        [OUT.o0, o0], [OUT.o1, o1], [OUT.bias, 4 * biasBase], [OUT.tmp, 4 * (scratchBase + k * callScratch)],
      ];
      for (const [slot, value] of vals) ints[q + slot] = value;
      outs.push([4 * q]);
    }
    host.runCalls(`winograd.out${m}`, outs);
  }
  // Residual and clamp, then sigmoid / silu, over Y in runs of whole vectors.
  const fin = finishOf(ep.activation);
  const per = 4 * Math.ceil(total / 4 / parts);
  if (ep.residual !== undefined || fin.clamp) {
    const calls: (readonly number[])[] = [];
    for (let at = 0; at < total; at += per) {
      calls.push([4 * (yBase + at), ep.residual === undefined ? 0 : 4 * (resBase + at), Math.ceil(Math.min(per, total - at) / 4), fin.lo, fin.hi]);
    }
    host.runCalls('winograd.fin', calls);
  }
  if (fin.fn !== 0) {
    const calls: (readonly number[])[] = [];
    for (let at = 0; at < total; at += per) calls.push([4 * (yBase + at), Math.ceil(Math.min(per, total - at) / 4), fin.fn]);
    host.runCalls('gemm.act', calls);
  }
  if (yAt < 0) y.set(mem.subarray(yBase, yBase + total));
  const act = ep.activation;
  if (act !== undefined && act.kind !== 'none' && !fin.clamp && fin.fn === 0) {
    applyGemmEpilogueF32(y, 0, total, total, 0, 1, 0, total, { activation: act });
  }
  return true;
}
