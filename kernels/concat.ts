// Concatenation along an axis and its inverse, splitting, for any element type moved as words.
// Viewed around the axis, every tensor is [outer, block] where block = (size from the axis
// onwards) * words per element: the output interleaves one block of each input per outer row.

import { copyWords, type WordArray } from './element-words.js';

/** dst[o] = srcs[0] block o ++ srcs[1] block o ++ ... for o < outer; blocks[i] in words. */
export function concat(srcs: readonly WordArray[], blocks: readonly number[], dst: WordArray, outer: number): void {
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < srcs.length; i++) {
      const b = blocks[i]!;
      copyWords(srcs[i]!, o * b, dst, off, b);
      off += b;
    }
  }
}

/** The inverse of concat: deals each outer row of src out into dsts, blocks[i] words each. */
export function split(src: WordArray, dsts: readonly WordArray[], blocks: readonly number[], outer: number): void {
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < dsts.length; i++) {
      const b = blocks[i]!;
      copyWords(src, off, dsts[i]!, o * b, b);
      off += b;
    }
  }
}
