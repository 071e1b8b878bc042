// Elementwise binary arithmetic over int64 / uint64 (BigInt64Array / BigUint64Array) with
// numpy broadcasting. Results wrap to 64 bits on store, as numpy's int64 arithmetic does.

import { BOTH, FIRST_REPEATS, type BroadcastPlan, rowMode } from './elementwise-binary-plan.js';
import type { BigArray } from './arrays.js';
import type { IntBinaryOp } from './elementwise-binary.js';
export type { BigArray };

/** out = a (op) b; division truncates toward zero, x / 0 and x % 0 give 0 (as numpy). */
export function binaryBig(
  op: IntBinaryOp, a: BigArray, b: BigArray, out: BigArray, plan: BroadcastPlan,
): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) bigRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function bigRow(
  op: IntBinaryOp, mode: number, a: BigArray, ia: number, b: BigArray, ib: number,
  out: BigArray, o: number, n: number,
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
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = divBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = divBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = divBig(a[ia + i]!, y); }
      return;
    case 'Fmod':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = fmodBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = fmodBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = fmodBig(a[ia + i]!, y); }
      return;
    case 'Mod':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = modBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = modBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = modBig(a[ia + i]!, y); }
      return;
    case 'Min':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = minBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = minBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = minBig(a[ia + i]!, y); }
      return;
    case 'Max':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = maxBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = maxBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = maxBig(a[ia + i]!, y); }
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
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = shiftLeftBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = shiftLeftBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = shiftLeftBig(a[ia + i]!, y); }
      return;
    case 'ShiftRight':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = shiftRightBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = shiftRightBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = shiftRightBig(a[ia + i]!, y); }
      return;
    case 'PRelu':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = preluBig(a[ia + i]!, b[ib + i]!);
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = preluBig(x, b[ib + i]!); }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = preluBig(a[ia + i]!, y); }
      return;
  }
}

function divBig(x: bigint, y: bigint): bigint {
  return y === 0n ? 0n : x / y;
}

function fmodBig(x: bigint, y: bigint): bigint {
  return y === 0n ? 0n : x % y;
}

/** Python-style remainder: the sign follows the divisor. */
function modBig(x: bigint, y: bigint): bigint {
  if (y === 0n) return 0n;
  const r = x % y;
  return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
}

function minBig(x: bigint, y: bigint): bigint {
  return x < y ? x : y;
}

function maxBig(x: bigint, y: bigint): bigint {
  return x > y ? x : y;
}

/** Shifts of uint64; a shift by 64 or more gives 0 (numpy). */
function shiftLeftBig(x: bigint, s: bigint): bigint {
  return s >= 64n ? 0n : x << s;
}

function shiftRightBig(x: bigint, s: bigint): bigint {
  return s >= 64n ? 0n : x >> s;
}

function preluBig(x: bigint, slope: bigint): bigint {
  return x < 0n ? x * slope : x;
}

/** out = ~a elementwise (BitwiseNot of int64 / uint64; the store wraps). */
export function bitwiseNotBig(a: BigArray, out: BigArray): void {
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]!;
}
