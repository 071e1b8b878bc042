// Elementwise comparisons with numpy broadcasting: bool (0/1) outputs. One specialised copy
// per element family (number-backed arrays, BigInt arrays, strings) keeps the loops monomorphic.

import { BOTH, FIRST_REPEATS, type BroadcastPlan, rowMode } from './elementwise-binary-plan.js';
import type { BigArray } from './elementwise-binary-bigint.js';
import type { FloatArray, IntArray } from './elementwise-binary.js';

export type CompareOp = 'Equal' | 'Less' | 'Greater' | 'LessOrEqual' | 'GreaterOrEqual';

/** out[i] = a (op) b for number-backed arrays (floats, ints, bool); NaN compares false. */
export function compareNumber(
  op: CompareOp, a: FloatArray | IntArray, b: FloatArray | IntArray, out: Uint8Array, plan: BroadcastPlan,
): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) numberRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function numberRow(
  op: CompareOp, mode: number, a: FloatArray | IntArray, ia: number, b: FloatArray | IntArray, ib: number,
  out: Uint8Array, o: number, n: number,
): void {
  switch (op) {
    case 'Equal':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x === b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === y ? 1 : 0; }
      return;
    case 'Less':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x < b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < y ? 1 : 0; }
      return;
    case 'Greater':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x > b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > y ? 1 : 0; }
      return;
    case 'LessOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x <= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= y ? 1 : 0; }
      return;
    case 'GreaterOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x >= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= y ? 1 : 0; }
      return;
  }
}

/** out[i] = a (op) b for int64 / uint64 arrays. */
export function compareBig(op: CompareOp, a: BigArray, b: BigArray, out: Uint8Array, plan: BroadcastPlan): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) bigRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function bigRow(
  op: CompareOp, mode: number, a: BigArray, ia: number, b: BigArray, ib: number,
  out: Uint8Array, o: number, n: number,
): void {
  switch (op) {
    case 'Equal':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x === b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === y ? 1 : 0; }
      return;
    case 'Less':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x < b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < y ? 1 : 0; }
      return;
    case 'Greater':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x > b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > y ? 1 : 0; }
      return;
    case 'LessOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x <= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= y ? 1 : 0; }
      return;
    case 'GreaterOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x >= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= y ? 1 : 0; }
      return;
  }
}

/** out[i] = a (op) b for strings (code-unit order for the orderings). */
export function compareString(
  op: CompareOp, a: readonly string[], b: readonly string[], out: Uint8Array, plan: BroadcastPlan,
): void {
  const mode = rowMode(plan);
  const { rows, inner } = plan;
  const offA = plan.offsets[0]!;
  const offB = plan.offsets[1]!;
  for (let r = 0; r < rows; r++) stringRow(op, mode, a, offA[r]!, b, offB[r]!, out, r * inner, inner);
}

function stringRow(
  op: CompareOp, mode: number, a: readonly string[], ia: number, b: readonly string[], ib: number,
  out: Uint8Array, o: number, n: number,
): void {
  switch (op) {
    case 'Equal':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x === b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! === y ? 1 : 0; }
      return;
    case 'Less':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x < b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! < y ? 1 : 0; }
      return;
    case 'Greater':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x > b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! > y ? 1 : 0; }
      return;
    case 'LessOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x <= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! <= y ? 1 : 0; }
      return;
    case 'GreaterOrEqual':
      if (mode === BOTH) for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= b[ib + i]! ? 1 : 0;
      else if (mode === FIRST_REPEATS) { const x = a[ia]!; for (let i = 0; i < n; i++) out[o + i] = x >= b[ib + i]! ? 1 : 0; }
      else { const y = b[ib]!; for (let i = 0; i < n; i++) out[o + i] = a[ia + i]! >= y ? 1 : 0; }
      return;
  }
}
