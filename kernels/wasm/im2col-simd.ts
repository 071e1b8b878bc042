// The column matrix of a 2-D convolution (horizontal stride 1 or 2), packed by the wasm engine
// straight into B panels: the counterpart of Im2colSource in kernels/conv-f32.ts, which packs
// it in JS.
//
// Each input channel of the (image, group) is first copied into a zero-padded plane by the
// depthwise kernels' padding functions (depthwise-simd.ts: for a horizontal stride of 2, two
// phase planes, even and odd padded columns), so every tap is in range and eight adjacent
// output columns of one tap are eight adjacent floats: column q of depth row r = (channel, ky,
// kx) is padded-plane element (oy sy + ky dy, ox sx + kx dx), i.e. phase (kx dx) mod sx at
// column ox + floor(kx dx / sx). A strip of eight output positions within one output row is two
// vector loads and two stores; a strip that wraps to the next row (or ends the matrix) goes lane
// by lane. Plain copies: the values are the input's, bit for bit.

import type { ConvGeometry } from '../conv.js';
import { FunctionBuilder, type Local, type ModuleBuilder, ValType } from './assembler.js';

const { i32 } = ValType;

/** Parameter slots of an im2col call (i32). */
export const IM2COL = {
  planes: 0, chanBytes: 1, planeBytes: 2, Wq: 3, KH: 4, KW: 5, dy: 6, dx: 7, sy: 8, sx: 9, OW: 10,
  pc: 11, kc: 12, jc: 13, nc: 14, strips: 15, dst: 16,
} as const;
export const IM2COL_SLOTS = 20;

/**
 * pads(sx, src, dst, count, srcStride, dstStride, H, W, Hp, Wq, py, px, planeBytes, zeroBytes):
 * `count` planes padded (pad1 / pad2 of depthwise-simd.ts by sx), plane i from src + i srcStride
 * to dst + i dstStride (bytes).
 */
function emitPads(pad1: number, pad2: number): FunctionBuilder {
  const f = new FunctionBuilder(Array.from({ length: 14 }, () => i32), []);
  const [sx, src, dst, count, srcStride, dstStride, H, W, Hp, Wq, py, px, planeBytes, zeroBytes] = f.params as Local[];
  const i = f.local(i32);
  const out = f.block();
  const top = f.loop();
  f.get(i).get(count!).op('i32.ge_s').brIf(out);
  const args = () => { for (const l of [src, dst, H, W, Hp, Wq, py, px, planeBytes, zeroBytes]) f.get(l!); };
  f.get(sx!).i32Const(1).op('i32.eq').if();
  args();
  f.call(pad1);
  f.else();
  args();
  f.call(pad2);
  f.end();
  f.get(src!).get(srcStride!).op('i32.add').set(src!);
  f.get(dst!).get(dstStride!).op('i32.add').set(dst!);
  f.get(i).i32Const(1).op('i32.add').set(i);
  f.br(top);
  f.end();
  f.end();
  return f;
}

/**
 * im2col(params): B panels (8-column strips, kc x 8 floats each, strip s at dst + 32 s kc) of
 * depth rows [pc, pc + kc) and output positions [jc, jc + nc) (`strips` strips; columns past
 * nc are zero) from the padded planes (channel c's at planes + c chanBytes, phase planes
 * planeBytes apart, rows of Wq floats).
 */
function emitIm2col(): FunctionBuilder {
  const f = new FunctionBuilder([i32], []);
  const [block] = f.params as [Local];
  const P = (s: number) => { const l = f.local(i32); f.get(block).mem('i32.load', 4 * s).set(l); return l; };
  const planes = P(IM2COL.planes), chanBytes = P(IM2COL.chanBytes), planeBytes = P(IM2COL.planeBytes), Wq = P(IM2COL.Wq);
  const KH = P(IM2COL.KH), KW = P(IM2COL.KW), dy = P(IM2COL.dy), dx = P(IM2COL.dx), sy = P(IM2COL.sy), sx = P(IM2COL.sx);
  const OW = P(IM2COL.OW), pc = P(IM2COL.pc), kc = P(IM2COL.kc), jc = P(IM2COL.jc), nc = P(IM2COL.nc), strips = P(IM2COL.strips);
  const dst = P(IM2COL.dst);
  const r = f.local(i32), rEnd = f.local(i32), taps = f.local(i32), t = f.local(i32), kx = f.local(i32), base = f.local(i32);
  const oy = f.local(i32), ox = f.local(i32), j = f.local(i32), jEnd = f.local(i32), s = f.local(i32), d = f.local(i32);
  const rowStep = f.local(i32), src = f.local(i32), stripStep = f.local(i32);
  f.get(KH).get(KW).op('i32.mul').set(taps);
  f.get(sy).get(Wq).op('i32.mul').i32Const(2).op('i32.shl').set(rowStep);
  f.get(jc).get(nc).op('i32.add').set(jEnd);
  f.get(kc).i32Const(5).op('i32.shl').set(stripStep);
  f.get(pc).get(kc).op('i32.add').set(rEnd);
  f.get(pc).set(r);
  const rOut = f.block();
  const rLoop = f.loop();
  f.get(r).get(rEnd).op('i32.ge_s').brIf(rOut);
  {
    // base: channel r / taps, tap t = (ky, kx): row ky dy, phase (kx dx) mod sx, column (kx dx) / sx.
    f.get(r).get(taps).op('i32.rem_u').set(t);
    f.get(t).get(KW).op('i32.rem_u').get(dx).op('i32.mul').set(kx);
    f.get(planes).get(r).get(taps).op('i32.div_u').get(chanBytes).op('i32.mul').op('i32.add');
    f.get(t).get(KW).op('i32.div_u').get(dy).op('i32.mul').get(Wq).op('i32.mul').i32Const(2).op('i32.shl').op('i32.add');
    f.get(kx).get(sx).op('i32.rem_u').get(planeBytes).op('i32.mul').op('i32.add');
    f.get(kx).get(sx).op('i32.div_u').i32Const(2).op('i32.shl').op('i32.add').set(base);
    f.get(jc).get(OW).op('i32.div_u').set(oy);
    f.get(jc).get(OW).op('i32.rem_u').set(ox);
    f.get(jc).set(j);
    f.get(dst).get(r).get(pc).op('i32.sub').i32Const(5).op('i32.shl').op('i32.add').set(d);
    f.i32Const(0).set(s);
    const sOut = f.block();
    const sLoop = f.loop();
    f.get(s).get(strips).op('i32.ge_s').brIf(sOut);
    {
      f.get(base).get(oy).get(rowStep).op('i32.mul').op('i32.add').get(ox).i32Const(2).op('i32.shl').op('i32.add').set(src);
      f.get(ox).i32Const(8).op('i32.add').get(OW).op('i32.le_s').get(j).i32Const(8).op('i32.add').get(jEnd).op('i32.le_s').op('i32.and').if();
      {
        f.get(d).get(src).simdMem('v128.load', 0, 2).simdMem('v128.store', 0, 2);
        f.get(d).get(src).simdMem('v128.load', 16, 2).simdMem('v128.store', 16, 2);
        f.get(j).i32Const(8).op('i32.add').set(j);
        f.get(ox).i32Const(8).op('i32.add').tee(ox).get(OW).op('i32.eq').if();
        f.i32Const(0).set(ox);
        f.get(oy).i32Const(1).op('i32.add').set(oy);
        f.end();
      }
      f.else();
      for (let l = 0; l < 8; l++) {
        f.get(j).get(jEnd).op('i32.lt_s').if();
        {
          f.get(d).get(base).get(oy).get(rowStep).op('i32.mul').op('i32.add').get(ox).i32Const(2).op('i32.shl').op('i32.add');
          f.mem('f32.load').mem('f32.store', 4 * l);
          f.get(j).i32Const(1).op('i32.add').set(j);
          f.get(ox).i32Const(1).op('i32.add').tee(ox).get(OW).op('i32.eq').if();
          f.i32Const(0).set(ox);
          f.get(oy).i32Const(1).op('i32.add').set(oy);
          f.end();
        }
        f.else();
        f.get(d).f32Const(0).mem('f32.store', 4 * l);
        f.end();
      }
      f.end();
      f.get(d).get(stripStep).op('i32.add').set(d);
      f.get(s).i32Const(1).op('i32.add').set(s);
      f.br(sLoop);
    }
    f.end();
    f.end();
    f.get(r).i32Const(1).op('i32.add').set(r);
    f.br(rLoop);
  }
  f.end();
  f.end();
  return f;
}

/** Adds the exports `pads` and `im2col` to the conv module (pad1 / pad2: its padding functions). */
export function addIm2colFunctions(mod: ModuleBuilder, pad1: number, pad2: number): void {
  mod.addFunction(emitPads(pad1, pad2), 'pads');
  mod.addFunction(emitIm2col(), 'im2col');
}

/** The padded-plane geometry of a conv's im2col on the module, or null where it takes the JS path. */
export interface Im2colPlan {
  readonly Cg: number;
  readonly H: number; readonly W: number; readonly OW: number;
  readonly KH: number; readonly KW: number;
  readonly sy: number; readonly sx: 1 | 2; readonly dy: number; readonly dx: number;
  readonly py: number; readonly px: number;
  readonly Hp: number; readonly Wq: number;
  /** Floats of one channel's padded plane(s), a multiple of 4. */
  readonly chanFloats: number;
}

export function im2colPlan(g: ConvGeometry): Im2colPlan | null {
  if (g.inSize.length !== 2) return null;
  const [sy, sx] = g.strides as [number, number];
  if (sx !== 1 && sx !== 2) return null;
  const [H, W] = g.inSize as [number, number];
  const [OH, OW] = g.outSize as [number, number];
  const [KH, KW] = g.kernel as [number, number];
  const [dy, dx] = g.dilations as [number, number];
  const [py, px] = g.padsBegin as [number, number];
  const Hp = (OH - 1) * sy + (KH - 1) * dy + 1;
  const Wq = Math.ceil(((OW - 1) * sx + (KW - 1) * dx + 1) / sx);
  return {
    Cg: g.inChannels / g.group, H, W, OW, KH, KW, sy, sx, dy, dx, py, px, Hp, Wq,
    chanFloats: Math.ceil((sx * Hp * Wq) / 4) * 4,
  };
}
