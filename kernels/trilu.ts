// Upper / lower triangle of a batch of matrices, any element type moved as words.

import { copyWords, type WordArray } from './element-words.js';

/**
 * Copies the kept part of each [rows, cols] matrix of src into dst, which must be zero-filled
 * (the removed part stays zero). upper keeps j - i >= k, lower keeps j - i <= k.
 * Each element is `width` words.
 */
export function trilu(
  src: WordArray, dst: WordArray, batch: number, rows: number, cols: number, k: number, upper: boolean,
  width: number,
): void {
  const rowW = cols * width;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const off = (b * rows + i) * rowW;
      // Kept columns [from, to) of row i.
      const from = upper ? Math.min(Math.max(i + k, 0), cols) : 0;
      const to = upper ? cols : Math.min(Math.max(i + k + 1, 0), cols);
      copyWords(src, off + from * width, dst, off + from * width, (to - from) * width);
    }
  }
}
