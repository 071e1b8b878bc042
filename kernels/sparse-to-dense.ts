// Densifying a COO sparse tensor (Constant's sparse_value), any element type moved as words.

import { copyWords, type WordArray } from './element-words.js';

/**
 * Writes values[i] (`width` words each) into the zero-filled dense dst of shape `dims` at
 * indices[i]: either flat positions (indexRank 1 with a rank != 1 shape, or rank 1) or
 * `indexRank` coordinates per value. Returns the first bad index position, or -1.
 */
export function sparseToDense(
  values: WordArray, indices: readonly number[], indexRank: number, dims: readonly number[], dst: WordArray,
  width: number,
): number {
  const n = indexRank === 0 ? 0 : indices.length / indexRank;
  let size = 1;
  for (const d of dims) size *= d;
  for (let i = 0; i < n; i++) {
    let flat = 0;
    if (indexRank === 1) {
      flat = indices[i]!;
    } else {
      for (let a = 0; a < indexRank; a++) flat = flat * dims[a]! + indices[i * indexRank + a]!;
    }
    if (!(flat >= 0 && flat < size)) return i;
    copyWords(values, i * width, dst, flat * width, width);
  }
  return -1;
}
