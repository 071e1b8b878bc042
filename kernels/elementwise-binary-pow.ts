// Pow with numpy broadcasting and mixed base / exponent types. The result has the base's
// type (ONNX Pow(T, T1) -> T): float bases use C pow semantics, integer bases with integer
// exponents multiply exactly with wrap-around, and float results stored into an integer
// base type are truncated toward zero (numpy's astype).

import { BOTH, FIRST_REPEATS, type BroadcastPlan, rowMode } from './elementwise-binary-plan.js';
import type { BigArray } from './elementwise-binary-bigint.js';
import type { FloatArray, IntArray } from './elementwise-binary.js';

export type PowArray = FloatArray | IntArray | BigArray;

function isFloatArray(x: PowArray): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

function isBigArray(x: PowArray): x is BigArray {
  return x instanceof BigInt64Array || x instanceof BigUint64Array;
}

/** out = a ** b; `out` has the element family of `a`. */
export function powKernel(a: PowArray, b: PowArray, out: PowArray, plan: BroadcastPlan): void {
  if (isFloatArray(a)) {
    if (isBigArray(b)) powFloatBigExp(a, b, out as FloatArray, plan);
    else powFloat(a, b, out as FloatArray, plan);
  } else if (isBigArray(a)) {
    if (isBigArray(b)) powBigBig(a, b, out as BigArray, plan);
    else if (isFloatArray(b)) powBigFloat(a, b, out as BigArray, plan);
    else powBigInt(a, b, out as BigArray, plan);
  } else if (isFloatArray(b)) {
    powIntFloat(a, b, out as IntArray, plan);
  } else if (isBigArray(b)) {
    powIntBig(a, b, out as IntArray, plan);
  } else {
    powIntInt(a, b, out as IntArray, plan);
  }
}

/** C / numpy pow: 1 ** y = 1 and (-1) ** ±Inf = 1, where JS gives NaN. */
export function powNumber(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** x ** e for integers, exact modulo 2^32 (the caller's store keeps the low bits). */
export function powInt32(x: number, e: number): number {
  if (e < 0) return x === 1 ? 1 : x === -1 ? (e % 2 === 0 ? 1 : -1) : 0;
  let r = 1;
  let base = x | 0;
  while (e > 0) {
    if (e % 2 === 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return r;
}

/** x ** e for 64-bit integers, exact modulo 2^64 (the caller's store wraps). */
export function powInt64(x: bigint, e: bigint): bigint {
  if (e < 0n) return x === 1n ? 1n : x === -1n ? (e % 2n === 0n ? 1n : -1n) : 0n;
  let r = 1n;
  let base = BigInt.asUintN(64, x);
  while (e > 0n) {
    if (e & 1n) r = BigInt.asUintN(64, r * base);
    base = BigInt.asUintN(64, base * base);
    e >>= 1n;
  }
  return r;
}

const INT64_MIN = -(2n ** 63n);

/** A float result cast to int64 like numpy on x86: out-of-range and NaN give INT64_MIN. */
function floatToInt64(v: number): bigint {
  return Number.isFinite(v) && Math.abs(v) < 2 ** 63 ? BigInt(Math.trunc(v)) : INT64_MIN;
}

function powFloat(a: FloatArray, b: FloatArray | IntArray, out: FloatArray, plan: BroadcastPlan): void {
  const mode = rowMode(plan);
  const { rows, inner: n } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) {
    const ia = offA[r]!;
    const ib = offB[r]!;
    const o = r * n;
    if (mode === BOTH) {
      for (let i = 0; i < n; i++) out[o + i] = powNumber(a[ia + i]!, b[ib + i]!);
    } else if (mode === FIRST_REPEATS) {
      const x = a[ia]!;
      for (let i = 0; i < n; i++) out[o + i] = powNumber(x, b[ib + i]!);
    } else {
      const y = b[ib]!;
      if (y === 2) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! * a[ia + i]!;
      else for (let i = 0; i < n; i++) out[o + i] = powNumber(a[ia + i]!, y);
    }
  }
}

// The mixed-type combinations below are rarer; they share one strided loop shape.

function powFloatBigExp(a: FloatArray, b: BigArray, out: FloatArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) {
      out[i] = powNumber(a[ia]!, Number(b[ib]!));
    }
  }
}

function powIntInt(a: IntArray, b: IntArray, out: IntArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) out[i] = powInt32(a[ia]!, b[ib]!);
  }
}

function powIntBig(a: IntArray, b: BigArray, out: IntArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) {
      out[i] = Number(BigInt.asUintN(32, powInt64(BigInt(a[ia]!), b[ib]!)));
    }
  }
}

function powIntFloat(a: IntArray, b: FloatArray, out: IntArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    // The typed-array store truncates toward zero.
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) out[i] = powNumber(a[ia]!, b[ib]!);
  }
}

function powBigBig(a: BigArray, b: BigArray, out: BigArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) out[i] = powInt64(a[ia]!, b[ib]!);
  }
}

function powBigInt(a: BigArray, b: IntArray, out: BigArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) {
      out[i] = powInt64(a[ia]!, BigInt(b[ib]!));
    }
  }
}

function powBigFloat(a: BigArray, b: FloatArray, out: BigArray, plan: BroadcastPlan): void {
  const { rows, inner: n, steps: [sa, sb] } = plan;
  for (let r = 0; r < rows; r++) {
    let ia = plan.offsets[0]![r]!;
    let ib = plan.offsets[1]![r]!;
    for (let i = r * n, end = i + n; i < end; i++, ia += sa!, ib += sb!) {
      out[i] = floatToInt64(powNumber(Number(a[ia]!), b[ib]!));
    }
  }
}
