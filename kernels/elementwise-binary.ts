// Elementwise binary arithmetic with numpy broadcasting, for float (Float32Array /
// Float64Array; halves are computed in float32 by the caller) and number-backed integer
// arrays (int8..uint32, bool). Integer results wrap like numpy: the typed-array store
// keeps the low bits. One loop per op and row mode; the switch sits outside the loops.

import { BOTH, FIRST_REPEATS, type BroadcastPlan, rowMode } from './elementwise-binary-plan.js';
import type { FloatArray, IntArray } from './arrays.js';
export type { FloatArray, IntArray };

export type FloatBinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Fmod' | 'Min' | 'Max' | 'PRelu';
export type IntBinaryOp =
  | 'Add' | 'Sub' | 'Mul' | 'Div' | 'Fmod' | 'Mod' | 'Min' | 'Max'
  | 'BitwiseAnd' | 'BitwiseOr' | 'BitwiseXor' | 'ShiftLeft' | 'ShiftRight' | 'PRelu';

/** out = a (op) b over the broadcast plan of [a, b]; `out` may be `a` when a has the output shape. */
export function binaryFloat(
  op: FloatBinaryOp, a: FloatArray, b: FloatArray, out: FloatArray, plan: BroadcastPlan,
): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) floatRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function floatRow(
  op: FloatBinaryOp, mode: number, a: FloatArray, ia: number, b: FloatArray, ib: number,
  out: FloatArray, o: number, n: number,
): void {
  switch (op) {
    case 'Add':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! + b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x + b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! + y; }
      return;
    case 'Sub':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! - b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x - b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! - y; }
      return;
    case 'Mul':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! * b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x * b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! * y; }
      return;
    case 'Div':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! / b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x / b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! / y; }
      return;
    case 'Fmod':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! % b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x % b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! % y; }
      return;
    case 'Min':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = Math.min(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = Math.min(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = Math.min(a[ia + i]!, y); }
      return;
    case 'Max':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = Math.max(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ia + i]!, y); }
      return;
    case 'PRelu':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = preluFloat(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = preluFloat(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = preluFloat(a[ia + i]!, y); }
      return;
  }
}

/** Integer out = a (op) b; division truncates toward zero, x / 0 and x % 0 give 0 (as numpy). */
export function binaryInt(
  op: IntBinaryOp, a: IntArray, b: IntArray, out: IntArray, plan: BroadcastPlan,
): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) intRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function intRow(
  op: IntBinaryOp, mode: number, a: IntArray, ia: number, b: IntArray, ib: number,
  out: IntArray, o: number, n: number,
): void {
  switch (op) {
    case 'Add':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! + b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x + b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! + y; }
      return;
    case 'Sub':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! - b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x - b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! - y; }
      return;
    case 'Mul':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = Math.imul(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = Math.imul(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = Math.imul(a[ia + i]!, y); }
      return;
    case 'Div':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = Math.trunc(a[ia + i]! / b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = Math.trunc(x / b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = Math.trunc(a[ia + i]! / y); }
      return;
    case 'Fmod':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! % b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x % b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! % y; }
      return;
    case 'Mod':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = modInt(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = modInt(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = modInt(a[ia + i]!, y); }
      return;
    case 'Min':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = minNum(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = minNum(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = minNum(a[ia + i]!, y); }
      return;
    case 'Max':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = maxNum(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = maxNum(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = maxNum(a[ia + i]!, y); }
      return;
    case 'BitwiseAnd':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! & b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x & b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! & y; }
      return;
    case 'BitwiseOr':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! | b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x | b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! | y; }
      return;
    case 'BitwiseXor':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! ^ b[ib + i]!;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x ^ b[ib + i]!; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! ^ y; }
      return;
    case 'ShiftLeft':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = shiftLeftInt(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = shiftLeftInt(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = shiftLeftInt(a[ia + i]!, y); }
      return;
    case 'ShiftRight':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = shiftRightInt(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = shiftRightInt(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = shiftRightInt(a[ia + i]!, y); }
      return;
    case 'PRelu':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = preluInt(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = preluInt(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = preluInt(a[ia + i]!, y); }
      return;
  }
}

/** Python-style remainder: the sign follows the divisor. NaN for y = 0 (stored as 0). */
function modInt(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
}

function minNum(x: number, y: number): number {
  return x < y ? x : y;
}

function maxNum(x: number, y: number): number {
  return x > y ? x : y;
}

/** Shifts of the unsigned types; a shift by the bit width or more gives 0 (numpy). */
function shiftLeftInt(x: number, s: number): number {
  return s >= 32 ? 0 : x << s;
}

function shiftRightInt(x: number, s: number): number {
  return s >= 32 ? 0 : x >>> s;
}

/** PRelu: x for x >= 0, slope * x below (NaN passes through). */
function preluFloat(x: number, slope: number): number {
  return x < 0 ? x * slope : x;
}

function preluInt(x: number, slope: number): number {
  return x < 0 ? Math.imul(x, slope) : x;
}

/** out = ~a elementwise (BitwiseNot; the store keeps the low bits for unsigned types). */
export function bitwiseNotInt(a: IntArray, out: IntArray): void {
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]!;
}
