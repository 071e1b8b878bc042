// Reductions over any set of axes, and arg-reductions (ArgMax / ArgMin) along one axis.
//
// A reduction is planned once as two offset lists: `outer[o]` is the input offset of the
// first element folded into output element o (row-major over the kept axes), `inner[r]` the
// offset of the r-th element of a group relative to it (row-major over the reduced axes).
// Every kernel then folds x[outer[o] + inner[r]] for r in [0, inner.length).

import { contiguousStrides } from './strides.js';
import type { IntArray } from './arrays.js';
export type { IntArray };

export type ReduceKind =
  | 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'l1' | 'l2' | 'logsum' | 'logsumexp' | 'sumsquare';

export interface ReducePlan {
  /** Input offset of each output element's group (length = output size). */
  readonly outer: Int32Array;
  /** Offsets inside a group (length = number of elements folded per output). */
  readonly inner: Int32Array;
  /**
   * Set when the reduced axes are one contiguous block followed by kept axes: the input is
   * [outerSize, n, innerSize] reduced over n, and rows can be streamed in memory order.
   */
  readonly block: { readonly outerSize: number; readonly n: number; readonly innerSize: number } | null;
}

/** [outerSize, n, innerSize] when the reduced axes (ignoring size-1 axes) form one block before kept ones. */
function middleBlock(dims: readonly number[], reduced: readonly boolean[]): ReducePlan['block'] {
  let first = -1;
  let last = -1;
  for (let d = 0; d < dims.length; d++) {
    if (!reduced[d] || dims[d] === 1) continue;
    if (first < 0) first = d;
    last = d;
  }
  if (first < 0) return null;
  for (let d = first; d <= last; d++) if (!reduced[d] && dims[d] !== 1) return null;
  let outerSize = 1;
  let n = 1;
  let innerSize = 1;
  for (let d = 0; d < dims.length; d++) {
    if (d < first) outerSize *= dims[d]!;
    else if (d <= last) n *= dims[d]!;
    else innerSize *= dims[d]!;
  }
  // Trailing blocks already read contiguously through the offset lists.
  return innerSize > 1 ? { outerSize, n, innerSize } : null;
}

/** Offsets of every index of `sizes` (row-major) under `strides`. */
export function odometerOffsets(sizes: readonly number[], strides: readonly number[]): Int32Array {
  let total = 1;
  for (const s of sizes) total *= s;
  const out = new Int32Array(total);
  if (total === 0) return out;
  const rank = sizes.length;
  const idx = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    out[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      offset += strides[d]!;
      if (idx[d]! < sizes[d]!) break;
      offset -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Plans a reduction of a contiguous tensor of shape `dims` over the axes flagged in `reduced`. */
export function reductionPlan(dims: readonly number[], reduced: readonly boolean[]): ReducePlan {
  const strides = contiguousStrides(dims);
  const keptSizes: number[] = [];
  const keptStrides: number[] = [];
  const redSizes: number[] = [];
  const redStrides: number[] = [];
  for (let d = 0; d < dims.length; d++) {
    if (reduced[d]) {
      redSizes.push(dims[d]!);
      redStrides.push(strides[d]!);
    } else {
      keptSizes.push(dims[d]!);
      keptStrides.push(strides[d]!);
    }
  }
  return {
    outer: odometerOffsets(keptSizes, keptStrides),
    inner: odometerOffsets(redSizes, redStrides),
    block: middleBlock(dims, reduced),
  };
}

/** Float reduction (float16 callers convert to float32 first). Accumulates in float64. */
export function reduceFloat(
  kind: ReduceKind, x: Float32Array | Float64Array, out: Float32Array | Float64Array, plan: ReducePlan,
): void {
  if (plan.block) {
    const { outerSize, n, innerSize } = plan.block;
    reduceFloatBlock(kind, x, out, outerSize, n, innerSize);
    return;
  }
  const { outer, inner } = plan;
  const nOut = outer.length;
  const n = inner.length;
  switch (kind) {
    case 'sum':
    case 'mean': {
      const mean = kind === 'mean';
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = 0;
        for (let r = 0; r < n; r++) acc += x[base + inner[r]!]!;
        out[o] = mean ? acc / n : acc;
      }
      return;
    }
    case 'max':
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = -Infinity;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v > acc || v !== v) acc = v; // NaN sticks: NaN > v and v > NaN are both false
        }
        out[o] = acc;
      }
      return;
    case 'min':
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = Infinity;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v < acc || v !== v) acc = v;
        }
        out[o] = acc;
      }
      return;
    case 'prod':
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = 1;
        for (let r = 0; r < n; r++) acc *= x[base + inner[r]!]!;
        out[o] = acc;
      }
      return;
    case 'l1':
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = 0;
        for (let r = 0; r < n; r++) acc += Math.abs(x[base + inner[r]!]!);
        out[o] = acc;
      }
      return;
    case 'l2':
    case 'sumsquare':
    case 'logsum': {
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let acc = 0;
        if (kind === 'logsum') {
          for (let r = 0; r < n; r++) acc += x[base + inner[r]!]!;
          out[o] = Math.log(acc);
        } else {
          for (let r = 0; r < n; r++) {
            const v = x[base + inner[r]!]!;
            acc += v * v;
          }
          out[o] = kind === 'l2' ? Math.sqrt(acc) : acc;
        }
      }
      return;
    }
    case 'logsumexp':
      for (let o = 0; o < nOut; o++) {
        const base = outer[o]!;
        let m = -Infinity;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v > m || v !== v) m = v;
        }
        // Empty or all -inf: log(0) = -inf. Any +inf: +inf. NaN flows through the sum below.
        if (m === -Infinity || m === Infinity) {
          out[o] = m;
          continue;
        }
        let acc = 0;
        for (let r = 0; r < n; r++) acc += Math.exp(x[base + inner[r]!]! - m);
        out[o] = m + Math.log(acc);
      }
      return;
  }
}

/**
 * Float reduction of x viewed as [outerSize, n, innerSize] over n, streaming whole rows of
 * innerSize elements into a float64 accumulator row (same results as the offset-list path).
 */
function reduceFloatBlock(
  kind: ReduceKind, x: Float32Array | Float64Array, out: Float32Array | Float64Array,
  outerSize: number, n: number, innerSize: number,
): void {
  const acc = new Float64Array(innerSize);
  const mx = kind === 'logsumexp' ? new Float64Array(innerSize) : acc;
  for (let a = 0; a < outerSize; a++) {
    const base = a * n * innerSize;
    const outBase = a * innerSize;
    switch (kind) {
      case 'max':
      case 'min': {
        acc.fill(kind === 'max' ? -Infinity : Infinity);
        const isMax = kind === 'max';
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) {
            const v = x[row + i]!;
            const c = acc[i]!;
            if ((isMax ? v > c : v < c) || v !== v) acc[i] = v;
          }
        }
        break;
      }
      case 'prod':
        acc.fill(1);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) acc[i]! *= x[row + i]!;
        }
        break;
      case 'l1':
        acc.fill(0);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) acc[i]! += Math.abs(x[row + i]!);
        }
        break;
      case 'l2':
      case 'sumsquare':
        acc.fill(0);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) {
            const v = x[row + i]!;
            acc[i]! += v * v;
          }
        }
        if (kind === 'l2') for (let i = 0; i < innerSize; i++) acc[i] = Math.sqrt(acc[i]!);
        break;
      case 'logsumexp': {
        mx.fill(-Infinity);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) {
            const v = x[row + i]!;
            if (v > mx[i]! || v !== v) mx[i] = v;
          }
        }
        acc.fill(0);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) acc[i]! += Math.exp(x[row + i]! - mx[i]!);
        }
        for (let i = 0; i < innerSize; i++) {
          const m = mx[i]!;
          acc[i] = m === -Infinity || m === Infinity ? m : m + Math.log(acc[i]!);
        }
        break;
      }
      default: // sum, mean, logsum
        acc.fill(0);
        for (let r = 0; r < n; r++) {
          const row = base + r * innerSize;
          for (let i = 0; i < innerSize; i++) acc[i]! += x[row + i]!;
        }
        if (kind === 'mean') for (let i = 0; i < innerSize; i++) acc[i]! /= n;
        else if (kind === 'logsum') for (let i = 0; i < innerSize; i++) acc[i] = Math.log(acc[i]!);
    }
    for (let i = 0; i < innerSize; i++) out[outBase + i] = acc[i]!;
  }
}

/** Integer arrays whose elements are JS numbers (int8..uint32, and bool as 0/1). */

/**
 * Integer reduction: prod and sumsquare wrap like 32-bit arithmetic; the others are computed
 * in float64 and stored with typed-array conversion (wraps, and truncates toward zero for
 * mean / l2 / logsum / logsumexp). `lowest` / `highest` are the
 * type's limits: the results of empty max / min.
 */
export function reduceInt(
  kind: ReduceKind, x: IntArray, out: IntArray, plan: ReducePlan, lowest: number, highest: number,
): void {
  const { outer, inner } = plan;
  const nOut = outer.length;
  const n = inner.length;
  for (let o = 0; o < nOut; o++) {
    const base = outer[o]!;
    let acc: number;
    switch (kind) {
      case 'max':
        acc = lowest;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v > acc) acc = v;
        }
        break;
      case 'min':
        acc = highest;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v < acc) acc = v;
        }
        break;
      case 'prod': // imul / |0: exact modulo 2^32, which the store narrows further
        acc = 1;
        for (let r = 0; r < n; r++) acc = Math.imul(acc, x[base + inner[r]!]!);
        break;
      case 'sumsquare':
        acc = 0;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          acc = (acc + Math.imul(v, v)) | 0;
        }
        break;
      case 'l1':
        acc = 0;
        for (let r = 0; r < n; r++) acc += Math.abs(x[base + inner[r]!]!);
        break;
      case 'l2':
        acc = 0;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          acc += v * v;
        }
        acc = Math.sqrt(acc);
        break;
      case 'logsumexp': {
        let m = -Infinity;
        for (let r = 0; r < n; r++) m = Math.max(m, x[base + inner[r]!]!);
        acc = 0;
        for (let r = 0; r < n; r++) acc += Math.exp(x[base + inner[r]!]! - m);
        acc = n === 0 ? -Infinity : m + Math.log(acc);
        break;
      }
      default: // sum, mean, logsum
        acc = 0;
        for (let r = 0; r < n; r++) acc += x[base + inner[r]!]!;
        if (kind === 'mean') acc /= n;
        else if (kind === 'logsum') acc = Math.log(acc);
    }
    out[o] = Number.isFinite(acc) ? Math.trunc(acc) : 0;
  }
}

/** int64 / uint64 reduction: exact in BigInt for sum/prod/max/min/l1/sumsquare/mean. */
export function reduceBigInt(
  kind: ReduceKind, x: BigInt64Array | BigUint64Array, out: BigInt64Array | BigUint64Array,
  plan: ReducePlan, lowest: bigint, highest: bigint,
): void {
  const { outer, inner } = plan;
  const nOut = outer.length;
  const n = inner.length;
  for (let o = 0; o < nOut; o++) {
    const base = outer[o]!;
    let acc: bigint;
    switch (kind) {
      case 'max':
        acc = lowest;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v > acc) acc = v;
        }
        break;
      case 'min':
        acc = highest;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          if (v < acc) acc = v;
        }
        break;
      case 'prod':
        acc = 1n;
        for (let r = 0; r < n; r++) acc = BigInt.asIntN(64, acc * x[base + inner[r]!]!);
        break;
      case 'l1':
        acc = 0n;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          acc += v < 0n ? -v : v;
        }
        break;
      case 'sumsquare':
        acc = 0n;
        for (let r = 0; r < n; r++) {
          const v = x[base + inner[r]!]!;
          acc += v * v;
        }
        break;
      case 'sum':
      case 'mean':
        acc = 0n;
        for (let r = 0; r < n; r++) acc += x[base + inner[r]!]!;
        if (kind === 'mean') acc = n === 0 ? 0n : acc / BigInt(n);
        break;
      default: { // l2, logsum, logsumexp: through float64
        let f = 0;
        if (kind === 'logsumexp') {
          let m = -Infinity;
          for (let r = 0; r < n; r++) m = Math.max(m, Number(x[base + inner[r]!]!));
          for (let r = 0; r < n; r++) f += Math.exp(Number(x[base + inner[r]!]!) - m);
          f = n === 0 ? -Infinity : m + Math.log(f);
        } else if (kind === 'l2') {
          for (let r = 0; r < n; r++) {
            const v = Number(x[base + inner[r]!]!);
            f += v * v;
          }
          f = Math.sqrt(f);
        } else {
          for (let r = 0; r < n; r++) f += Number(x[base + inner[r]!]!);
          f = Math.log(f);
        }
        acc = Number.isFinite(f) ? BigInt(Math.trunc(f)) : 0n;
      }
    }
    out[o] = acc; // the typed array wraps to 64 bits
  }
}

/**
 * ArgMax / ArgMin along one axis of a tensor viewed as [outerSize, n, innerSize] (n >= 1).
 * Ties go to the first index, or the last with `selectLast`. NaN counts as the extreme for
 * both, like numpy: the first (or last) NaN wins.
 */
export function argReduceNumber(
  x: Float32Array | Float64Array | IntArray, out: BigInt64Array,
  outerSize: number, n: number, innerSize: number, isMax: boolean, selectLast: boolean,
): void {
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      const base = a * n * innerSize + b;
      let best = 0;
      let bv = x[base]!;
      for (let k = 1; k < n; k++) {
        const v = x[base + k * innerSize]!;
        if (bv !== bv) {
          if (!selectLast) break;
          if (v !== v) best = k;
          continue;
        }
        const better = v !== v ||
          (isMax ? (selectLast ? v >= bv : v > bv) : (selectLast ? v <= bv : v < bv));
        if (better) {
          best = k;
          bv = v;
        }
      }
      out[a * innerSize + b] = BigInt(best);
    }
  }
}

/** ArgMax / ArgMin for int64 / uint64 data (see argReduceNumber). */
export function argReduceBigInt(
  x: BigInt64Array | BigUint64Array, out: BigInt64Array,
  outerSize: number, n: number, innerSize: number, isMax: boolean, selectLast: boolean,
): void {
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      const base = a * n * innerSize + b;
      let best = 0;
      let bv = x[base]!;
      for (let k = 1; k < n; k++) {
        const v = x[base + k * innerSize]!;
        const better = isMax ? (selectLast ? v >= bv : v > bv) : (selectLast ? v <= bv : v < bv);
        if (better) {
          best = k;
          bv = v;
        }
      }
      out[a * innerSize + b] = BigInt(best);
    }
  }
}
