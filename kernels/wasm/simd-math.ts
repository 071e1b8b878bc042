// Elementwise functions on f32x4 for the kernels' epilogues, as internal functions of a module:
// exp (Cephes' expf: a Cody-Waite reduction by ln 2 and a degree-6 polynomial, within about one
// ulp of float32 on [-87, 88]), and from it sigmoid and silu (v * sigmoid(v)). Only IEEE
// operations (no relaxed ones), so the results are the same on every host.
//
// exp(x) = p(r) * 2^n, n = nearest(x log2 e), r = x - n ln 2 (ln 2 split in two so that n * C1
// is exact). x is first clamped to [-104, 104] (exp underflows to 0 below -103.3 and overflows
// above 88.8 in float32 anyway), and 2^n is applied as two factors 2^(n >> 1) 2^(n - (n >> 1)),
// each a normal float32, so that the product overflows to Inf or rounds into the subnormals as
// a float32 multiplication does. NaN stays NaN (min and max propagate it).
//   sigmoid(v) = 1 / (1 + exp(-v))        silu(v) = v / (1 + exp(-v))
// each with three more float32 roundings than exp: a relative error of about 4 ulp (2^-22), the
// JS kernels' float64 evaluation rounded once being within half an ulp. Inf in, the same limits
// as the JS formulas: sigmoid(-Inf) = 0, sigmoid(Inf) = 1, silu(Inf) = Inf, silu(-Inf) = NaN.

import { FunctionBuilder, type ModuleBuilder, ValType } from './assembler.js';

const splat = (f: FunctionBuilder, c: number) => f.v128ConstF32(c, c, c, c);

/** exp of the v128 on the stack, left on the stack (declares its own scratch locals). */
function emitExp(f: FunctionBuilder): void {
  const { v128 } = ValType;
  const x = f.local(v128), fx = f.local(v128), r = f.local(v128), y = f.local(v128), n = f.local(v128), h = f.local(v128);
  f.set(x);
  f.get(x);
  splat(f, -104).simd('f32x4.max');
  splat(f, 104).simd('f32x4.min').set(x);
  f.get(x);
  splat(f, Math.LOG2E).simd('f32x4.mul').simd('f32x4.nearest').set(fx);
  // r = x - fx * C1 - fx * C2 (C1 + C2 = ln 2, C1 with 9 significant bits).
  f.get(x).get(fx);
  splat(f, 0.693359375).simd('f32x4.mul').simd('f32x4.sub');
  f.get(fx);
  splat(f, -2.12194440e-4).simd('f32x4.mul').simd('f32x4.sub').set(r);
  // Horner: y = ((((c6 r + c5) r + c4) r + c3) r + c2) r + c1, then y r^2 + r + 1.
  const coeffs = [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  splat(f, 1.9875691500e-4).set(y);
  for (const c of coeffs) {
    f.get(y).get(r).simd('f32x4.mul');
    splat(f, c).simd('f32x4.add').set(y);
  }
  f.get(y).get(r).simd('f32x4.mul').get(r).simd('f32x4.mul').get(r).simd('f32x4.add');
  splat(f, 1).simd('f32x4.add').set(y);
  // 2^n as 2^h 2^(n - h), h = n >> 1: exponent fields (k + 127) << 23.
  f.get(fx).simd('i32x4.trunc_sat_f32x4_s').set(n);
  f.get(n).i32Const(1).simd('i32x4.shr_s').set(h);
  f.get(y);
  f.get(h);
  f.v128ConstI32(127, 127, 127, 127).simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
  f.get(n).get(h).simd('i32x4.sub');
  f.v128ConstI32(127, 127, 127, 127).simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
}

/** `(v128) -> v128` functions of one module: 1 / (1 + exp(-v)) and v / (1 + exp(-v)). */
export function addActivationFunctions(mod: ModuleBuilder): { sigmoid: number; silu: number } {
  const { v128 } = ValType;
  const make = (silu: boolean) => {
    const f = new FunctionBuilder([v128], [v128]);
    const [v] = f.params;
    const d = f.local(v128);
    f.get(v!).simd('f32x4.neg');
    emitExp(f);
    splat(f, 1).simd('f32x4.add').set(d);
    if (silu) f.get(v!);
    else splat(f, 1);
    f.get(d).simd('f32x4.div');
    return mod.addFunction(f);
  };
  return { sigmoid: make(false), silu: make(true) };
}
