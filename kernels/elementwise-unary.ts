// Elementwise math without parameters (Abs, Sqrt, Sin, Round, ...), the integer variants of
// Abs/Neg/Sign/Relu, Clip, and the predicates IsNaN/IsInf/Not. One loop per op; the switch
// that picks it sits outside the loop. Outputs are caller-allocated and may alias inputs.

import { roundHalfEven } from './rounding.js';
import { erf } from './elementwise-unary-erf.js';
import type { FloatArray, IntArray } from './arrays.js';
export type { FloatArray, IntArray };

export type BigIntArray = BigInt64Array | BigUint64Array;

export type UnaryFloatOp =
  | 'Abs' | 'Neg' | 'Reciprocal' | 'Sqrt' | 'Exp' | 'Log' | 'Erf'
  | 'Sin' | 'Cos' | 'Tan' | 'Asin' | 'Acos' | 'Atan'
  | 'Sinh' | 'Cosh' | 'Asinh' | 'Acosh' | 'Atanh'
  | 'Sign' | 'Floor' | 'Ceil' | 'Round';

/** Sign with NaN propagated and zero kept as zero. */
function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : v;
}

export function unaryFloat(op: UnaryFloatOp, x: FloatArray, y: FloatArray): void {
  const n = x.length;
  switch (op) {
    case 'Abs': for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!); return;
    case 'Neg': for (let i = 0; i < n; i++) y[i] = -x[i]!; return;
    case 'Reciprocal': for (let i = 0; i < n; i++) y[i] = 1 / x[i]!; return;
    case 'Sqrt': for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!); return;
    case 'Exp': for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!); return;
    case 'Log': for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!); return;
    case 'Erf': for (let i = 0; i < n; i++) y[i] = erf(x[i]!); return;
    case 'Sin': for (let i = 0; i < n; i++) y[i] = Math.sin(x[i]!); return;
    case 'Cos': for (let i = 0; i < n; i++) y[i] = Math.cos(x[i]!); return;
    case 'Tan': for (let i = 0; i < n; i++) y[i] = Math.tan(x[i]!); return;
    case 'Asin': for (let i = 0; i < n; i++) y[i] = Math.asin(x[i]!); return;
    case 'Acos': for (let i = 0; i < n; i++) y[i] = Math.acos(x[i]!); return;
    case 'Atan': for (let i = 0; i < n; i++) y[i] = Math.atan(x[i]!); return;
    case 'Sinh': for (let i = 0; i < n; i++) y[i] = Math.sinh(x[i]!); return;
    case 'Cosh': for (let i = 0; i < n; i++) y[i] = Math.cosh(x[i]!); return;
    case 'Asinh': for (let i = 0; i < n; i++) y[i] = Math.asinh(x[i]!); return;
    case 'Acosh': for (let i = 0; i < n; i++) y[i] = Math.acosh(x[i]!); return;
    case 'Atanh': for (let i = 0; i < n; i++) y[i] = Math.atanh(x[i]!); return;
    case 'Sign': for (let i = 0; i < n; i++) y[i] = sign(x[i]!); return;
    case 'Floor': for (let i = 0; i < n; i++) y[i] = Math.floor(x[i]!); return;
    case 'Ceil': for (let i = 0; i < n; i++) y[i] = Math.ceil(x[i]!); return;
    case 'Round': for (let i = 0; i < n; i++) y[i] = roundHalfEven(x[i]!); return;
  }
}

export type UnaryIntOp = 'Abs' | 'Neg' | 'Sign' | 'Relu';

/** Integer Abs/Neg/Sign/Relu; results wrap to the output width (Abs(-128) is -128 in int8). */
export function unaryInt(op: UnaryIntOp, x: IntArray, y: IntArray): void {
  const n = x.length;
  switch (op) {
    case 'Abs': for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!); return;
    case 'Neg': for (let i = 0; i < n; i++) y[i] = -x[i]!; return;
    case 'Sign': for (let i = 0; i < n; i++) y[i] = Math.sign(x[i]!); return;
    case 'Relu': for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0 ? v : 0; } return;
  }
}

export function unaryBigInt(op: UnaryIntOp, x: BigIntArray, y: BigIntArray): void {
  const n = x.length;
  switch (op) {
    case 'Abs': for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < 0n ? -v : v; } return;
    case 'Neg': for (let i = 0; i < n; i++) y[i] = -x[i]!; return;
    case 'Sign': for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0n ? 1n : v < 0n ? -1n : 0n; } return;
    case 'Relu': for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > 0n ? v : 0n; } return;
  }
}

/**
 * y = min(max(x, lo), hi), as numpy.clip: when lo > hi every element becomes hi; NaN stays NaN.
 * Pass -Infinity / Infinity for an absent bound.
 */
export function clipFloat(x: FloatArray, y: FloatArray, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    let v = x[i]!;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v;
  }
}

export function clipInt(x: IntArray, y: IntArray, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    let v = x[i]!;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v;
  }
}

export function clipBigInt(x: BigIntArray, y: BigIntArray, lo: bigint, hi: bigint): void {
  for (let i = 0; i < x.length; i++) {
    let v = x[i]!;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v;
  }
}

/** y = 1 where x is NaN, else 0. */
export function isNaNFloat(x: FloatArray, y: Uint8Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] !== x[i] ? 1 : 0;
}

/** y = 1 where x is +Inf (when detectPositive) or -Inf (when detectNegative). */
export function isInfFloat(x: FloatArray, y: Uint8Array, detectPositive: boolean, detectNegative: boolean): void {
  const pos = detectPositive ? Infinity : NaN;
  const neg = detectNegative ? -Infinity : NaN;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v === pos || v === neg ? 1 : 0;
  }
}

/** Logical not of a bool (0/1) array. */
export function notBool(x: Uint8Array, y: Uint8Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] ? 0 : 1;
}
