// ReverseSequence: reverse the first lens[b] time steps of every batch entry, any element type.

import { copyWords, type WordArray } from './element-words.js';

/**
 * src/dst are [T, B, inner] (timeMajor) or [B, T, inner] words; for each batch b the steps
 * t < lens[b] are reversed and the rest copied. lens must lie in [0, T].
 */
export function reverseSequence(
  src: WordArray, dst: WordArray, steps: number, batch: number, inner: number, timeMajor: boolean,
  lens: readonly number[],
): void {
  const tStride = timeMajor ? batch * inner : inner;
  const bStride = timeMajor ? inner : steps * inner;
  for (let b = 0; b < batch; b++) {
    const len = lens[b]!;
    for (let t = 0; t < steps; t++) {
      const from = t < len ? len - 1 - t : t;
      copyWords(src, b * bStride + from * tStride, dst, b * bStride + t * tStride, inner);
    }
  }
}
