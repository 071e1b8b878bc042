// Range and EyeLike: tensors generated from a few scalars.

import { copyWords, type WordArray } from './element-words.js';

/** dst[i] = start + i * delta (numbers; integer types get exact results while safe). */
export function rangeNumbers(dst: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array |
  Uint8Array | Uint16Array | Uint32Array, start: number, delta: number): void {
  for (let i = 0; i < dst.length; i++) dst[i] = start + i * delta;
}

/** dst[i] = start + i * delta for 64-bit integers. */
export function rangeBigInts(dst: BigInt64Array | BigUint64Array, start: bigint, delta: bigint): void {
  let v = start;
  for (let i = 0; i < dst.length; i++) {
    dst[i] = v;
    v += delta;
  }
}

/**
 * Writes `one` (one element's words) at [i, i + k] of a zero-filled [rows, cols] matrix:
 * the k-th diagonal (k > 0 above the main one).
 */
export function eyeFill(dst: WordArray, rows: number, cols: number, k: number, one: WordArray): void {
  const w = one.length;
  for (let i = 0; i < rows; i++) {
    const j = i + k;
    if (j >= 0 && j < cols) copyWords(one, 0, dst, (i * cols + j) * w, w);
  }
}
