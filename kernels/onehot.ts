// OneHot: indices of any numeric type -> [outer, depth, inner] filled with off/on values.

import type { MovableArray } from './take.js';

/**
 * Normalises OneHot indices: values are truncated toward zero, negatives in [-depth, -1]
 * wrap by adding depth, anything else out of [0, depth) becomes -1 (an all-off row).
 */
export function oneHotIndices(
  src: ArrayLike<number> | BigInt64Array | BigUint64Array, depth: number, out: Int32Array,
): void {
  const n = src.length;
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const v = Number(src[i]!);
      const w = v < 0 ? v + depth : v;
      out[i] = w >= 0 && w < depth ? w : -1;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = Math.trunc(src[i]!);
    const w = v < 0 ? v + depth : v;
    out[i] = w >= 0 && w < depth ? w : -1; // NaN fails both tests
  }
}

/**
 * dst[o, d, i] = values[1] when idx[o * inner + i] === d, else values[0]; each element is
 * `lanes` slots of the bit view.
 */
export function oneHotFill(
  dst: MovableArray, values: MovableArray, lanes: number,
  idx: Int32Array, outer: number, depth: number, inner: number,
): void {
  let p = 0;
  for (let o = 0; o < outer; o++) {
    const row = o * inner;
    for (let d = 0; d < depth; d++) {
      for (let i = 0; i < inner; i++) {
        const v = idx[row + i] === d ? lanes : 0;
        for (let l = 0; l < lanes; l++) dst[p++] = values[v + l]!;
      }
    }
  }
}
