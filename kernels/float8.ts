// Small floating-point formats (float8 variants, float4e2m1, float8e8m0) and exact
// double -> minifloat rounding, one element per Uint8Array slot. Also used for
// float64 -> float16/bfloat16, where rounding through float32 first would round twice.
//
// Encoding rounds the exact value to nearest, ties to even. What happens out of range
// depends on the format's special values and on `saturate`, as the ONNX Cast spec says:
//   ieee  (float8e5m2, float16, bfloat16): has ±Inf and NaN; overflow -> ±Inf, or ±max when saturating.
//   fn    (float8e4m3fn): no Inf; NaN is S.1111.111; overflow -> NaN, or ±max when saturating.
//   fnuz  (float8e4m3fnuz, float8e5m2fnuz): no Inf, no -0; NaN is 0x80; overflow -> NaN, or ±max.
//   none  (float4e2m1): no Inf, no NaN; always saturates; NaN becomes 0b1000 as the reference does.

import { roundHalfEven } from './rounding.js';

export type SpecialValues = 'ieee' | 'fn' | 'fnuz' | 'none';

export interface MinifloatFormat {
  readonly name: string;
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  readonly special: SpecialValues;
  /** Bit pattern of the largest finite positive value. */
  readonly maxBits: number;
  /** Bit pattern produced for NaN. */
  readonly nanBits: number;
  /** Largest finite value. */
  readonly maxValue: number;
  /** Exponent of the smallest normal value. */
  readonly minExp: number;
  readonly signBit: number;
}

function format(
  name: string, expBits: number, mantBits: number, bias: number, special: SpecialValues,
): MinifloatFormat {
  const signBit = 1 << (expBits + mantBits);
  const expMax = (1 << expBits) - 1;
  const mantMax = (1 << mantBits) - 1;
  let maxBits: number;
  let nanBits: number;
  switch (special) {
    case 'ieee':
      maxBits = ((expMax - 1) << mantBits) | mantMax;
      nanBits = (expMax << mantBits) | (1 << (mantBits - 1));
      break;
    case 'fn':
      maxBits = (expMax << mantBits) | (mantMax - 1);
      nanBits = (expMax << mantBits) | mantMax;
      break;
    case 'fnuz':
      maxBits = (expMax << mantBits) | mantMax;
      nanBits = signBit;
      break;
    case 'none':
      maxBits = (expMax << mantBits) | mantMax;
      nanBits = signBit;
      break;
  }
  const maxExp = (maxBits >> mantBits) - bias;
  const maxValue = (1 + (maxBits & mantMax) / (1 << mantBits)) * 2 ** maxExp;
  return Object.freeze({
    name, expBits, mantBits, bias, special, maxBits, nanBits, maxValue, minExp: 1 - bias, signBit,
  });
}

export const FLOAT8E4M3FN = format('float8e4m3fn', 4, 3, 7, 'fn');
export const FLOAT8E4M3FNUZ = format('float8e4m3fnuz', 4, 3, 8, 'fnuz');
export const FLOAT8E5M2 = format('float8e5m2', 5, 2, 15, 'ieee');
export const FLOAT8E5M2FNUZ = format('float8e5m2fnuz', 5, 2, 16, 'fnuz');
export const FLOAT4E2M1 = format('float4e2m1', 2, 1, 1, 'none');
export const FLOAT16 = format('float16', 5, 10, 15, 'ieee');
export const BFLOAT16 = format('bfloat16', 8, 7, 127, 'ieee');

/** Exact floor(log2(a)) for a finite a > 0. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/**
 * The bit pattern of `value` in `fmt`, rounded to nearest even. `saturate` clamps values beyond
 * the largest finite value (and infinities) to ±max; formats without Inf/NaN always saturate.
 */
export function encodeMinifloat(value: number, fmt: MinifloatFormat, saturate: boolean): number {
  if (value !== value) return fmt.nanBits;
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative ? fmt.signBit : 0;
  const a = negative ? -value : value;
  if (a === 0) return fmt.special === 'fnuz' ? 0 : sign;
  const m = fmt.mantBits;
  let rn = 0;
  let e = 0;
  if (a !== Infinity) {
    e = exponentOf(a);
    if (e < fmt.minExp) e = fmt.minExp;
    rn = roundHalfEven(a / 2 ** (e - m));
    if (rn * 2 ** (e - m) <= fmt.maxValue) {
      if (rn === 0) return fmt.special === 'fnuz' ? 0 : sign;
      if (rn < 2 ** m) return sign | rn; // subnormal (exponent field 0)
      if (rn === 2 ** (m + 1)) {
        rn = 2 ** m;
        e += 1;
      }
      return sign | ((e + fmt.bias) << m) | (rn - 2 ** m);
    }
  }
  // Overflow or infinity.
  if (saturate || fmt.special === 'none') return sign | fmt.maxBits;
  if (fmt.special === 'ieee') return sign | (((1 << fmt.expBits) - 1) << m);
  if (fmt.special === 'fn') return sign | fmt.nanBits;
  return fmt.nanBits;
}

/** The value of bit pattern `bits` in `fmt` (exact). */
export function decodeMinifloat(bits: number, fmt: MinifloatFormat): number {
  const m = fmt.mantBits;
  const negative = (bits & fmt.signBit) !== 0;
  const expField = (bits >> m) & ((1 << fmt.expBits) - 1);
  const mant = bits & ((1 << m) - 1);
  switch (fmt.special) {
    case 'ieee':
      if (expField === (1 << fmt.expBits) - 1) return mant ? NaN : negative ? -Infinity : Infinity;
      break;
    case 'fn':
      if ((bits & ~fmt.signBit) === fmt.nanBits) return NaN;
      break;
    case 'fnuz':
      if (bits === fmt.nanBits) return NaN;
      break;
    case 'none':
      break;
  }
  const mag = expField === 0 ? mant * 2 ** (fmt.minExp - m) : (1 + mant / 2 ** m) * 2 ** (expField - fmt.bias);
  return negative ? -mag : mag;
}

const tables = new Map<MinifloatFormat, Float32Array>();

/** bits -> value lookup table for an 8-bit-or-smaller format. */
function decodeTable(fmt: MinifloatFormat): Float32Array {
  let t = tables.get(fmt);
  if (!t) {
    t = new Float32Array(fmt.signBit * 2);
    for (let b = 0; b < t.length; b++) t[b] = decodeMinifloat(b, fmt);
    tables.set(fmt, t);
  }
  return t;
}

/** Decodes float8/float4 bit patterns into floats. */
export function minifloatToFloat(src: Uint8Array, fmt: MinifloatFormat, dst: Float32Array | Float64Array): void {
  const table = decodeTable(fmt);
  const mask = table.length - 1;
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]! & mask]!;
}

/** Encodes numbers as bit patterns of `fmt` (Uint8Array for float8/float4, Uint16Array for halves). */
export function floatToMinifloat(
  src: ArrayLike<number>, fmt: MinifloatFormat, saturate: boolean, dst: Uint8Array | Uint16Array,
): void {
  for (let i = 0; i < src.length; i++) dst[i] = encodeMinifloat(src[i]!, fmt, saturate);
}

// float8e8m0: an 8-bit unsigned exponent, value 2^(bits - 127); 0xFF is NaN; no zero, no sign.

export type E8M0RoundMode = 'up' | 'down' | 'nearest';

const E8M0_NAN = 0xff;
const E8M0_MAX = 0xfe;

/**
 * The float8e8m0 bits of |value|. 'up' rounds to the next power of two away from zero, 'down' to
 * the one towards zero, 'nearest' to the nearer one with ties going up. Values that round past
 * 2^127 give 0xFE when saturating, NaN otherwise; zero and values below 2^-127 give 0x00.
 */
export function encodeE8M0(value: number, round: E8M0RoundMode, saturate: boolean): number {
  if (value !== value) return E8M0_NAN;
  const a = Math.abs(value);
  if (a === Infinity) return saturate ? E8M0_MAX : E8M0_NAN;
  if (a === 0) return 0;
  const e = exponentOf(a);
  const p = 2 ** e;
  let k = e;
  if (a !== p) {
    if (round === 'up') k = e + 1;
    else if (round === 'nearest' && a >= p * 1.5) k = e + 1;
  }
  if (k < -127) return 0;
  if (k > 127) return saturate ? E8M0_MAX : E8M0_NAN;
  return k + 127;
}

export function decodeE8M0(bits: number): number {
  return bits === E8M0_NAN ? NaN : 2 ** (bits - 127);
}

export function e8m0ToFloat(src: Uint8Array, dst: Float32Array | Float64Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = decodeE8M0(src[i]!);
}

export function floatToE8M0(
  src: ArrayLike<number>, round: E8M0RoundMode, saturate: boolean, dst: Uint8Array,
): void {
  for (let i = 0; i < src.length; i++) dst[i] = encodeE8M0(src[i]!, round, saturate);
}
