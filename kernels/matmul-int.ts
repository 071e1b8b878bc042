// Integer and quantized matrix products: exact integer matmul with wrap-around, and the
// zero-point / scale arithmetic of MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv.
// Quantized products run through the float64 kernels: 8-bit differences multiply exactly and
// sums stay exact below 2^53, far beyond any real K.

import { roundHalfEven } from './rounding.js';
import { float16BitsToNumber, numberToFloat16Bits, bfloat16BitsToNumber, numberToBfloat16Bits } from './float16.js';

/** Integer matrix layouts: dense row-major with offsets, as MatMul needs. */
export interface IntMatmulOptions {
  readonly aOffset?: number;
  readonly bOffset?: number;
  readonly cOffset?: number;
}

/**
 * Int32 / uint32 C = A @ B with wrap-around (two's complement) arithmetic, like
 * fixed-width integer hardware. `unsigned` reinterprets the wrapped result as uint32.
 */
export function matmulI32(
  a: Int32Array | Uint32Array, b: Int32Array | Uint32Array, c: Int32Array | Uint32Array,
  m: number, n: number, k: number, options: IntMatmulOptions = {},
): void {
  const aOff = options.aOffset ?? 0;
  const bOff = options.bOffset ?? 0;
  const cOff = options.cOffset ?? 0;
  const acc = new Int32Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[aOff + i * k + p]! | 0;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) acc[j] = (acc[j]! + Math.imul(av, b[bRow + j]! | 0)) | 0;
    }
    // Storing into a Uint32Array wraps the signed sum to its unsigned bit pattern.
    for (let j = 0; j < n; j++) c[cOff + i * n + j] = acc[j]!;
  }
}

/** Int64 / uint64 C = A @ B modulo 2^64. */
export function matmulI64(
  a: BigInt64Array | BigUint64Array, b: BigInt64Array | BigUint64Array, c: BigInt64Array | BigUint64Array,
  m: number, n: number, k: number, options: IntMatmulOptions = {},
): void {
  const aOff = options.aOffset ?? 0;
  const bOff = options.bOffset ?? 0;
  const cOff = options.cOffset ?? 0;
  const signed = c instanceof BigInt64Array;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a[aOff + i * k + p]! * b[bOff + p * n + j]!;
      c[cOff + i * n + j] = signed ? BigInt.asIntN(64, s) : BigInt.asUintN(64, s);
    }
  }
}

/**
 * dst[i] = src[i] - zeroPoint[zpIndex[i]] as float64. `zpIndex` maps each element to its zero
 * point (per row / per channel); null uses zeroPoint[0] everywhere; a null zeroPoint means 0.
 */
export function centerF64(
  src: ArrayLike<number>, zeroPoint: ArrayLike<number> | null, zpIndex: Int32Array | null, dst: Float64Array,
): void {
  const n = dst.length;
  if (zeroPoint === null) {
    for (let i = 0; i < n; i++) dst[i] = src[i]!;
  } else if (zpIndex === null) {
    const z = zeroPoint[0]!;
    for (let i = 0; i < n; i++) dst[i] = src[i]! - z;
  } else {
    for (let i = 0; i < n; i++) dst[i] = src[i]! - zeroPoint[zpIndex[i]!]!;
  }
}

/** Precision in which numpy multiplies scale tensors of a given element type. */
export type ScalePrecision = 'float16' | 'bfloat16' | 'float32' | 'float64';

function roundTo(v: number, precision: ScalePrecision): number {
  switch (precision) {
    case 'float16': return float16BitsToNumber(numberToFloat16Bits(v));
    case 'bfloat16': return bfloat16BitsToNumber(numberToBfloat16Bits(v));
    case 'float32': return Math.fround(v);
    default: return v;
  }
}

/**
 * out[i] = (a[aIndex[i]] * b[bIndex[i]]) / y, each step rounded to `precision` (the scales'
 * element type), as the ONNX reference computes the requantization multiplier.
 * Null index maps read element 0 (per-tensor scales).
 */
export function combineScales(
  a: ArrayLike<number>, aIndex: Int32Array | null, b: ArrayLike<number>, bIndex: Int32Array | null,
  y: number, precision: ScalePrecision, out: Float64Array,
): void {
  for (let i = 0; i < out.length; i++) {
    const ab = roundTo(a[aIndex === null ? 0 : aIndex[i]!]! * b[bIndex === null ? 0 : bIndex[i]!]!, precision);
    out[i] = roundTo(ab / y, precision);
  }
}

/**
 * out[i] = saturate(roundHalfEven(acc[i] * scale[i]) + zeroPoint) into [lo, hi]
 * (an int8 or uint8 output).
 */
export function requantize(
  acc: Float64Array, scale: Float64Array, zeroPoint: number, lo: number, hi: number, out: Int8Array | Uint8Array,
): void {
  for (let i = 0; i < out.length; i++) {
    const v = roundHalfEven(acc[i]! * scale[i]!) + zeroPoint;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
