// TopK along one axis of a tensor viewed as [outerSize, n, innerSize]: the k largest (or
// smallest) values of each slice, best first, ties broken by the lower index. NaN ranks above
// every number (first for largest, last for smallest), as in the ONNX reference.
//
// Each slice is copied into a key array (negated for `largest`, so both directions sort
// ascending; NaN then goes first) and its indices are merge-sorted; a stable sort keeps tied
// indices ascending.

import { argsortByKeys } from './argsort.js';

/** Whether slot i comes before slot j: ascending key, NaN first or last, ties by lower index. */
function precedes(keys: Float64Array, i: number, j: number, nanFirst: boolean): boolean {
  const a = keys[i]!;
  const b = keys[j]!;
  if (a !== a) return b !== b ? i < j : nanFirst;
  if (b !== b) return !nanFirst;
  return a < b || (a === b && i < j);
}

/** Moves heap[pos] down a heap whose root is the slot that comes last. */
function siftDown(keys: Float64Array, heap: Int32Array, size: number, pos: number, nanFirst: boolean): void {
  const item = heap[pos]!;
  for (;;) {
    let child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && precedes(keys, heap[child]!, heap[child + 1]!, nanFirst)) child++;
    if (!precedes(keys, item, heap[child]!, nanFirst)) break;
    heap[pos] = heap[child]!;
    pos = child;
  }
  heap[pos] = item;
}

/**
 * The first k slots of [0, n) in order, for k much smaller than n: a k-slot heap keeps the
 * best so far (root = the worst of them), then pops into place from the back.
 */
function selectByFloatKeys(
  keys: Float64Array, heap: Int32Array, n: number, k: number, nanFirst: boolean,
): Int32Array {
  if (k === 0) return heap;
  for (let i = 0; i < k; i++) heap[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(keys, heap, k, i, nanFirst);
  for (let i = k; i < n; i++) {
    if (precedes(keys, i, heap[0]!, nanFirst)) {
      heap[0] = i;
      siftDown(keys, heap, k, 0, nanFirst);
    }
  }
  for (let size = k - 1; size > 0; size--) {
    const last = heap[0]!;
    heap[0] = heap[size]!;
    heap[size] = last;
    siftDown(keys, heap, size, 0, nanFirst);
  }
  return heap;
}

/** Stable bottom-up merge sort of `idx[0, n)` by ascending bigint keys. */
function sortByBigIntKeys(keys: bigint[], idx: Int32Array, tmp: Int32Array, n: number): Int32Array {
  let src = idx;
  let dst = tmp;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        if (keys[src[j]!]! < keys[src[i]!]!) dst[o++] = src[j++]!;
        else dst[o++] = src[i++]!;
      }
      while (i < mid) dst[o++] = src[i++]!;
      while (j < hi) dst[o++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

type NumberArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** TopK over number-backed data; `values` is [outerSize, k, innerSize], `indices` likewise. */
export function topkNumber(
  x: NumberArray, values: NumberArray, indices: BigInt64Array,
  outerSize: number, n: number, innerSize: number, k: number, largest: boolean,
): void {
  const keys = new Float64Array(n);
  const idx = new Int32Array(n);
  const tmp = new Int32Array(n);
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      const base = a * n * innerSize + b;
      for (let i = 0; i < n; i++) {
        const v = x[base + i * innerSize]!;
        keys[i] = largest ? -v : v;
        idx[i] = i;
      }
      // Small k: heap selection, O(n log k); otherwise a full stable sort.
      const sorted = k * 4 <= n
        ? selectByFloatKeys(keys, tmp, n, k, largest)
        : argsortByKeys(keys, idx, tmp, n, false, largest);
      const outBase = a * k * innerSize + b;
      for (let i = 0; i < k; i++) {
        const src = sorted[i]!;
        values[outBase + i * innerSize] = x[base + src * innerSize]!;
        indices[outBase + i * innerSize] = BigInt(src);
      }
    }
  }
}

/** TopK over int64 / uint64 data. */
export function topkBigInt(
  x: BigInt64Array | BigUint64Array, values: BigInt64Array | BigUint64Array, indices: BigInt64Array,
  outerSize: number, n: number, innerSize: number, k: number, largest: boolean,
): void {
  const keys = new Array<bigint>(n).fill(0n);
  const idx = new Int32Array(n);
  const tmp = new Int32Array(n);
  for (let a = 0; a < outerSize; a++) {
    for (let b = 0; b < innerSize; b++) {
      const base = a * n * innerSize + b;
      for (let i = 0; i < n; i++) {
        const v = x[base + i * innerSize]!;
        keys[i] = largest ? -v : v;
        idx[i] = i;
      }
      const sorted = sortByBigIntKeys(keys, idx, tmp, n);
      const outBase = a * k * innerSize + b;
      for (let i = 0; i < k; i++) {
        const src = sorted[i]!;
        values[outBase + i * innerSize] = x[base + src * innerSize]!;
        indices[outBase + i * innerSize] = BigInt(src);
      }
    }
  }
}
