// Compress: keep the slices along an axis whose condition entry is set.

import { copyWords, type WordArray } from './element-words.js';

/**
 * src is [outer, axisLen, inner] words; dst receives, per outer row, the inner blocks at axis
 * positions i < min(axisLen, cond.length) with cond[i] != 0, in order.
 */
export function compress(
  src: WordArray, dst: WordArray, outer: number, axisLen: number, inner: number, cond: Uint8Array,
): void {
  const n = Math.min(axisLen, cond.length);
  let off = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * axisLen * inner;
    for (let i = 0; i < n; i++) {
      if (cond[i]) {
        copyWords(src, base + i * inner, dst, off, inner);
        off += inner;
      }
    }
  }
}

/** Number of set entries among the first n of flags. */
export function countSet(flags: Uint8Array, n: number): number {
  const m = Math.min(n, flags.length);
  let c = 0;
  for (let i = 0; i < m; i++) if (flags[i]) c++;
  return c;
}
