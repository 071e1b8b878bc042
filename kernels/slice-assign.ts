// The inverse of slice(): writes a compact block back into the strided positions of a larger
// array (PyTorch's slice_scatter), moving elements as words (see element-words.ts).

import { copyWords, type WordArray } from './element-words.js';

/**
 * dst[starts[0] + k0*steps[0], ...] = src[k0, k1, ...] for every source coordinate k < srcDims.
 * `dims` are dst's dims; all arrays are full rank and every position written is in range.
 * Each element is `width` words.
 */
export function sliceAssign(
  dst: WordArray, src: WordArray, dims: readonly number[], starts: readonly number[],
  steps: readonly number[], srcDims: readonly number[], width: number,
): void {
  let total = width;
  for (const d of srcDims) total *= d;
  if (total === 0) return;
  const r = dims.length;
  const stride = new Array<number>(r);
  let s = width;
  for (let a = r - 1; a >= 0; a--) { stride[a] = s; s *= dims[a]!; }
  let base = 0;
  for (let a = 0; a < r; a++) base += starts[a]! * stride[a]!;
  // Rows of the innermost source axis (times the element width when that axis is contiguous).
  const innerLen = r === 0 ? 1 : srcDims[r - 1]!;
  const innerStep = r === 0 ? 1 : steps[r - 1]!;
  const rows = total / (innerLen * width);
  const idx = new Int32Array(Math.max(r - 1, 0));
  let outOff = base;
  let inOff = 0;
  for (let k = 0; k < rows; k++) {
    if (innerStep === 1) {
      copyWords(src, inOff, dst, outOff, innerLen * width);
    } else {
      let o = outOff;
      for (let j = 0; j < innerLen; j++) {
        for (let w = 0; w < width; w++) dst[o + w] = src[inOff + j * width + w]!;
        o += innerStep * width;
      }
    }
    inOff += innerLen * width;
    for (let a = r - 2; a >= 0; a--) {
      idx[a]!++;
      outOff += steps[a]! * stride[a]!;
      if (idx[a]! < srcDims[a]!) break;
      outOff -= steps[a]! * stride[a]! * srcDims[a]!;
      idx[a] = 0;
    }
  }
}
