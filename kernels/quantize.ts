// Linear (de)quantization: y = saturate(round(x / scale) + zero_point) and
// x = (y - zero_point) * scale, with per-tensor, per-axis and blocked scales.
//
// Every element i of a tensor viewed as [outer, axisLen, inner] reads its scale (and zero point)
// at   o * sOuter + floor(a / block) * sAxis + r * sInner
// which covers the three layouts:
//   per tensor: all strides 0;  per axis: sAxis = 1, block = 1;
//   blocked:    sOuter = blocks * inner, sAxis = inner, sInner = 1, block = block_size.
//
// Rounding is half to even (numpy.rint). Integer targets saturate to [lo, hi]; ±Inf saturate to
// the matching end and NaN quantizes to the zero point (numpy's int cast of NaN is undefined).

import { roundHalfEven } from './rounding.js';
import { numberToBfloat16Bits, numberToFloat16Bits, bfloat16BitsToNumber, float16BitsToNumber } from './float16.js';

export interface QuantLayout {
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
  readonly block: number;
  readonly sOuter: number;
  readonly sAxis: number;
  readonly sInner: number;
}

/** Floating-point type in which x / scale is rounded (numpy's result type of the division). */
export type QuantPrecision = 'float16' | 'bfloat16' | 'float32' | 'float64';

export type QuantIntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** A per-tensor layout over n elements. */
export function perTensorLayout(n: number): QuantLayout {
  return { outer: 1, axisLen: 1, inner: n, block: 1, sOuter: 0, sAxis: 0, sInner: 0 };
}

/** out[i] = x[i] / scale[index(i)], then rounded to `precision`. */
export function divideByScale(
  x: ArrayLike<number>, scale: ArrayLike<number>, layout: QuantLayout, precision: QuantPrecision, out: Float64Array,
): void {
  const { outer, axisLen, inner, block, sOuter, sAxis, sInner } = layout;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axisLen; a++) {
      const base = o * sOuter + Math.floor(a / block) * sAxis;
      for (let r = 0; r < inner; r++, i++) out[i] = x[i]! / scale[base + r * sInner]!;
    }
  }
  roundToPrecision(out, precision);
}

/** Rounds every value of `buf` to the nearest value of `precision` (ties to even), in place. */
export function roundToPrecision(buf: Float64Array, precision: QuantPrecision): void {
  const n = buf.length;
  switch (precision) {
    case 'float64':
      return;
    case 'float32':
      for (let i = 0; i < n; i++) buf[i] = Math.fround(buf[i]!);
      return;
    case 'float16':
      // Through float32 first: exact for a float16/float16 quotient (double rounding is harmless
      // when the intermediate has more than twice the target's precision plus two bits).
      for (let i = 0; i < n; i++) buf[i] = float16BitsToNumber(numberToFloat16Bits(Math.fround(buf[i]!)));
      return;
    case 'bfloat16':
      for (let i = 0; i < n; i++) buf[i] = bfloat16BitsToNumber(numberToBfloat16Bits(Math.fround(buf[i]!)));
      return;
  }
}

/**
 * out[i] = clamp(rint(q[i]) + zp[index(i)], lo, hi) for integer targets (one element per slot,
 * int4/int2 included). A null zero point means 0.
 */
export function roundAddZeroPointSaturate(
  q: Float64Array, zp: ArrayLike<number> | null, layout: QuantLayout, lo: number, hi: number, out: QuantIntArray,
): void {
  const { outer, axisLen, inner, block, sOuter, sAxis, sInner } = layout;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axisLen; a++) {
      const base = o * sOuter + Math.floor(a / block) * sAxis;
      for (let r = 0; r < inner; r++, i++) {
        const v = q[i]!;
        const z = zp === null ? 0 : zp[base + r * sInner]!;
        let y: number;
        if (v !== v) y = z;
        else y = roundHalfEven(v) + z;
        out[i] = y < lo ? lo : y > hi ? hi : y;
      }
    }
  }
}

/** q[i] += zp[index(i)] in place (float targets, before encoding). */
export function addZeroPoint(q: Float64Array, zp: ArrayLike<number>, layout: QuantLayout): void {
  const { outer, axisLen, inner, block, sOuter, sAxis, sInner } = layout;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axisLen; a++) {
      const base = o * sOuter + Math.floor(a / block) * sAxis;
      for (let r = 0; r < inner; r++, i++) q[i] = q[i]! + zp[base + r * sInner]!;
    }
  }
}

/**
 * out[i] = (x[i] - zp[index(i)]) * scale[index(i)], each step rounded to float32 as the ONNX
 * reference computes it (x is converted to float32 first). A null zero point means 0.
 */
export function dequantizeLinear(
  x: ArrayLike<number>, scale: ArrayLike<number>, zp: ArrayLike<number> | null, layout: QuantLayout,
  out: Float32Array,
): void {
  const { outer, axisLen, inner, block, sOuter, sAxis, sInner } = layout;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axisLen; a++) {
      const base = o * sOuter + Math.floor(a / block) * sAxis;
      if (zp === null) {
        for (let r = 0; r < inner; r++, i++) out[i] = Math.fround(x[i]!) * scale[base + r * sInner]!;
      } else {
        for (let r = 0; r < inner; r++, i++) {
          const k = base + r * sInner;
          out[i] = Math.fround(Math.fround(x[i]!) - zp[k]!) * scale[k]!;
        }
      }
    }
  }
}

/** Min and max of x (NaN ignored); [Infinity, -Infinity] when empty or all NaN. */
export function minMax(x: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
