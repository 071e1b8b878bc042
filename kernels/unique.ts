// Unique: distinct elements (or distinct slices along an axis) of a tensor.
//
// Every slice becomes a row of float64 keys compared lexicographically (NaN equal to NaN and
// after every number; -0 equal to 0): numbers are their own keys, a 64-bit integer is two keys
// (high and low 32 bits), a string is its rank among the tensor's strings. A stable merge sort
// of the rows groups equal slices, so the first row of each group is its first occurrence.

import type { WordArray } from './element-words.js';

/** Number-backed element storage. */
export type NumberArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * Lays out the keys of slice i (of `n` along the middle axis of [outer, n, inner]) as row i:
 * keys[(i * outer + o) * inner * perElement + ...]. `perElement` keys per element.
 */
function rowOffset(o: number, i: number, outer: number, inner: number, per: number): number {
  return (i * outer + o) * inner * per;
}

/** Row keys of number elements. */
export function numberRowKeys(values: NumberArray, outer: number, n: number, inner: number): Float64Array {
  const keys = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const src = (o * n + i) * inner;
      const dst = rowOffset(o, i, outer, inner, 1);
      for (let k = 0; k < inner; k++) keys[dst + k] = values[src + k]!;
    }
  }
  return keys;
}

/** Row keys of 64-bit integers: (high 32 bits, low 32 bits) per element, signed high for int64. */
export function bigintRowKeys(values: BigInt64Array | BigUint64Array, outer: number, n: number, inner: number): Float64Array {
  const keys = new Float64Array(outer * n * inner * 2);
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const signed = values instanceof BigInt64Array;
  // Little-endian storage: word 2e is the low half, 2e + 1 the high half.
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const src = (o * n + i) * inner;
      const dst = rowOffset(o, i, outer, inner, 2);
      for (let k = 0; k < inner; k++) {
        const hi = words[(src + k) * 2 + 1]!;
        keys[dst + 2 * k] = signed ? hi | 0 : hi;
        keys[dst + 2 * k + 1] = words[(src + k) * 2]!;
      }
    }
  }
  return keys;
}

/** Row keys of strings: each string's rank in code-unit order. */
export function stringRowKeys(values: readonly string[], outer: number, n: number, inner: number): Float64Array {
  const distinct = [...new Set(values)].sort();
  const rank = new Map<string, number>();
  distinct.forEach((s, r) => rank.set(s, r));
  const keys = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const src = (o * n + i) * inner;
      const dst = rowOffset(o, i, outer, inner, 1);
      for (let k = 0; k < inner; k++) keys[dst + k] = rank.get(values[src + k]!)!;
    }
  }
  return keys;
}

/** -1, 0 or 1: row a against row b (length len), NaN after numbers and equal to NaN. */
function compareRows(keys: Float64Array, a: number, b: number, len: number): number {
  const pa = a * len;
  const pb = b * len;
  for (let k = 0; k < len; k++) {
    const x = keys[pa + k]!;
    const y = keys[pb + k]!;
    if (x < y) return -1;
    if (x > y) return 1;
    if (x !== x) {
      if (y === y) return 1;
    } else if (y !== y) return -1;
  }
  return 0;
}

/** Stable merge sort of row indices 0..n-1 by compareRows. */
function sortRows(keys: Float64Array, n: number, len: number): Int32Array {
  let src = new Int32Array(n);
  let dst = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        if (compareRows(keys, src[j]!, src[i]!, len) < 0) dst[o++] = src[j++]!;
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

export interface UniqueResult {
  /** Number of distinct slices. */
  readonly count: number;
  /** Per output slot: index of the slice's first occurrence. */
  readonly first: Int32Array;
  /** Per input slice: its output slot. */
  readonly inverse: Int32Array;
  /** Per output slot: occurrences. */
  readonly counts: Int32Array;
}

/**
 * Groups `n` rows of `len` keys. Output slots are in ascending row order when `sorted`, else in
 * order of first occurrence.
 */
export function uniqueRows(keys: Float64Array, n: number, len: number, sorted: boolean): UniqueResult {
  const order = sortRows(keys, n, len);
  const group = new Int32Array(n);
  const first = new Int32Array(n);
  const counts = new Int32Array(n);
  let g = -1;
  for (let t = 0; t < n; t++) {
    const i = order[t]!;
    if (t === 0 || compareRows(keys, order[t - 1]!, i, len) !== 0) {
      g++;
      first[g] = i;
    }
    group[i] = g;
    counts[g]!++;
  }
  const count = g + 1;
  // Slot of each group: sorted keeps group order; otherwise order of first occurrence.
  const slot = new Int32Array(count);
  if (sorted) {
    for (let k = 0; k < count; k++) slot[k] = k;
  } else {
    let s = 0;
    for (let i = 0; i < n; i++) if (first[group[i]!] === i) slot[group[i]!] = s++;
  }
  const outFirst = new Int32Array(count);
  const outCounts = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    outFirst[slot[k]!] = first[k]!;
    outCounts[slot[k]!] = counts[k]!;
  }
  const inverse = new Int32Array(n);
  for (let i = 0; i < n; i++) inverse[i] = slot[group[i]!]!;
  return { count, first: outFirst, inverse, counts: outCounts };
}

/** dst[o, j, :] = src[o, picks[j], :] over [outer, n, inner] words (inner = words per slice row). */
export function takeSlices(
  src: WordArray, dst: WordArray, outer: number, n: number, inner: number, picks: Int32Array,
): void {
  const k = picks.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const s = (o * n + picks[j]!) * inner;
      const d = (o * k + j) * inner;
      for (let w = 0; w < inner; w++) dst[d + w] = src[s + w]!;
    }
  }
}
