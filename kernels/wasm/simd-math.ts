// Elementwise activations on f32x4 for the kernels' epilogues: sigmoid and silu (v * sigmoid(v))
// over a run of floats in memory, from an exp after Cephes' expf (a Cody-Waite reduction by ln 2
// and a degree-6 polynomial, within about one ulp of float32). Only IEEE operations (no relaxed
// ones), so the results are the same on every host.
//
// exp(x) = p(r) * 2^n, n = nearest(x log2 e) (rounded by adding 1.5 * 2^23, which also leaves n
// as an integer in the low bits), r = x - n ln 2 (ln 2 split in two so that n * C1 is exact). Only 1 + exp(-v) is needed, so x is first clamped to [-87, 104]: below -87 exp
// would be under 2^-125, where 1 + exp(x) = 1 anyway, and where float32 goes subnormal (slow on
// x86); above 88.8 exp overflows. 2^n is applied as two factors 2^(n >> 1) 2^(n - (n >> 1)),
// each a normal float32, so that the product overflows to Inf as a float32 multiplication does.
// NaN stays NaN (min and max propagate it).
//   sigmoid(v) = 1 / (1 + exp(-v))        silu(v) = v / (1 + exp(-v))
// each with three more float32 roundings than exp: measured within 3 * 2^-24 relative of the
// float64 formula, plus 2^-126 absolute where it underflows; below v = -87, where 1 + exp(-v)
// nears or passes float32's range, silu's error is up to 2^-121 absolute (its value there is at
// most 2.6e-37). JS's float64 evaluation rounded once is within 2^-24. At ±Inf the JS formulas' limits: sigmoid(-Inf) = 0, sigmoid(Inf) = 1,
// silu(Inf) = Inf, silu(-Inf) = NaN.
//
// The constants of the polynomial live in locals set before the loop: a v128.const inside it
// would be rebuilt at every use (V8 materialises one in about four instructions).

import { FunctionBuilder, type Local, ValType } from './assembler.js';

/** Activations of the pass: 1 sigmoid, 2 silu. */
export const SIMD_ACTIVATION = { sigmoid: 1, silu: 2 } as const;

/** 1.5 * 2^23: adding it to |y| < 2^22 rounds y to an integer held in the low mantissa bits. */
const MAGIC = 12582912;

const EXP_COEFFS = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/**
 * `act(p, vectors, kind)`: the `vectors` f32x4 at byte address p (any alignment) replaced by
 * sigmoid (kind 1) or silu (kind 2) of themselves; any other kind leaves them. `unroll` vectors
 * go through each step together (the steps form one long dependency chain per vector).
 */
export function emitActivationPass(unroll = 4): FunctionBuilder {
  const { i32, v128 } = ValType;
  const f = new FunctionBuilder([i32, i32, i32], []);
  const [p, vectors, kind] = f.params as [Local, Local, Local];
  const end = f.local(i32), tailEnd = f.local(i32);
  const konst = (c: number) => {
    const l = f.local(v128);
    f.v128ConstF32(c, c, c, c).set(l);
    return l;
  };
  const cLo = konst(-87), cHi = konst(104), cLog2e = konst(Math.LOG2E), cC1 = konst(0.693359375), cC2 = konst(-2.12194440e-4);
  const magic = konst(MAGIC);
  const coeffs = EXP_COEFFS.map(konst);
  const one = konst(1);
  const bias = f.local(v128);
  f.v128ConstI32(127, 127, 127, 127).set(bias);
  const silu = f.local(i32);
  const lanes = (U: number) => Array.from({ length: U }, () => ({
    v: f.local(v128), x: f.local(v128), fx: f.local(v128), r: f.local(v128), y: f.local(v128), n: f.local(v128), h: f.local(v128),
  }));
  /** U vectors from p + 16 u, step by step across them. */
  const body = (U: number, ls: ReturnType<typeof lanes>) => {
    const each = (emit: (l: (typeof ls)[number], u: number) => void) => ls.slice(0, U).forEach(emit);
    each((l, u) => f.get(p).simdMem('v128.load', 16 * u, 2).set(l.v));
    // x = clamp(-v) (pmax / pmin: one instruction each, NaN kept as the first operand);
    // n = nearest(x log2 e) by adding 1.5 * 2^23: its low mantissa bits are then n, as an
    // integer (h holds it), and subtracting it back leaves n as a float (fx).
    // r = x - fx C1 - fx C2.
    each((l) => f.get(l.v).simd('f32x4.neg').get(cLo).simd('f32x4.pmax').get(cHi).simd('f32x4.pmin').set(l.x));
    each((l) => f.get(l.x).get(cLog2e).simd('f32x4.mul').get(magic).simd('f32x4.add').set(l.h));
    each((l) => f.get(l.h).get(magic).simd('f32x4.sub').set(l.fx));
    each((l) => f.get(l.h).get(magic).simd('i32x4.sub').set(l.n));
    each((l) => f.get(l.x).get(l.fx).get(cC1).simd('f32x4.mul').simd('f32x4.sub').get(l.fx).get(cC2).simd('f32x4.mul').simd('f32x4.sub').set(l.r));
    // y = Horner over the coefficients, then y r^2 + r + 1.
    each((l) => f.get(coeffs[0]!).set(l.y));
    for (let i = 1; i < coeffs.length; i++) each((l) => f.get(l.y).get(l.r).simd('f32x4.mul').get(coeffs[i]!).simd('f32x4.add').set(l.y));
    each((l) => f.get(l.y).get(l.r).simd('f32x4.mul').get(l.r).simd('f32x4.mul').get(l.r).simd('f32x4.add').get(one).simd('f32x4.add').set(l.y));
    // exp = y 2^h 2^(n - h), h = n >> 1: exponent fields (k + 127) << 23.
    each((l) => f.get(l.n).i32Const(1).simd('i32x4.shr_s').set(l.h));
    each((l) => f.get(l.y).get(l.h).get(bias).simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul').set(l.y));
    each((l) => f.get(l.y).get(l.n).get(l.h).simd('i32x4.sub').get(bias).simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul').set(l.y));
    // d = 1 + exp(-v); sigmoid = 1 / d, silu = v / d (the numerator chosen by select).
    each((l) => f.get(l.y).get(one).simd('f32x4.add').set(l.y));
    each((l, u) => f.get(p).get(l.v).get(one).get(silu).op('select').get(l.y).simd('f32x4.div').simdMem('v128.store', 16 * u, 2));
  };
  const ls = lanes(unroll);
  f.get(kind).i32Const(2).op('i32.eq').set(silu);
  f.get(p).get(vectors).i32Const(4).op('i32.shl').op('i32.add').set(end);
  const done = f.block();
  f.get(kind).i32Const(1).op('i32.lt_u').get(kind).i32Const(2).op('i32.gt_u').op('i32.or').brIf(done);
  // Groups of `unroll` vectors, then one at a time.
  f.get(end).get(vectors).i32Const(unroll - 1).op('i32.and').i32Const(4).op('i32.shl').op('i32.sub').set(tailEnd);
  const groups = f.block();
  const g = f.loop();
  f.get(p).get(tailEnd).op('i32.ge_u').brIf(groups);
  body(unroll, ls);
  f.get(p).i32Const(16 * unroll).op('i32.add').set(p);
  f.br(g);
  f.end();
  f.end();
  const one1 = f.loop();
  f.get(p).get(end).op('i32.ge_u').brIf(done);
  body(1, ls);
  f.get(p).i32Const(16).op('i32.add').set(p);
  f.br(one1);
  f.end();
  f.end();
  return f;
}
