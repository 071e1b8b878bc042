// Repetition of any element type, moved as words: Tile and broadcasting (Expand).
// Both read input coordinate (output coordinate mod input dim) on every axis: for Tile the
// output dim is dim * repeats, for broadcasting the input dim is 1 or equal to the output's.

import { copyWords, type WordArray } from './element-words.js';

/**
 * dst[k...] = src[k0 % dims[0], k1 % dims[1], ...]; outDims[a] must be a multiple of dims[a]
 * (same rank; pad broadcast shapes with leading 1s). Each element is `width` words.
 */
export function repeatCopy(
  src: WordArray, dst: WordArray, dims: readonly number[], outDims: readonly number[], width: number,
): void {
  let total = width;
  for (const d of outDims) total *= d;
  if (total === 0) return;
  // Merge each axis with the next when the next is not repeated (one run covers both).
  const d: number[] = [width];
  const od: number[] = [width];
  for (let a = dims.length - 1; a >= 0; a--) {
    if (d[0] === od[0]) {
      const inner = d[0]!;
      d[0] = dims[a]! * inner;
      od[0] = outDims[a]! * inner;
    } else {
      d.unshift(dims[a]!);
      od.unshift(outDims[a]!);
    }
  }
  const r = d.length;
  const stride = new Array<number>(r);
  let s = 1;
  for (let a = r - 1; a >= 0; a--) { stride[a] = s; s *= d[a]!; }
  const n = r - 1;
  const innerIn = d[n]!;
  const innerOut = od[n]!;
  const rows = total / innerOut;
  const idx = new Int32Array(n);
  let outOff = 0;
  for (let k = 0; k < rows; k++) {
    let base = 0;
    for (let a = 0; a < n; a++) base += (idx[a]! % d[a]!) * stride[a]!;
    if (innerIn === innerOut) {
      copyWords(src, base, dst, outOff, innerIn);
    } else if (innerIn === 1) {
      fillWord(src, base, dst, outOff, innerOut);
    } else {
      for (let o = 0; o < innerOut; o += innerIn) copyWords(src, base, dst, outOff + o, innerIn);
    }
    outOff += innerOut;
    for (let a = n - 1; a >= 0; a--) {
      if (++idx[a]! < od[a]!) break;
      idx[a] = 0;
    }
  }
}

/** dst[d, d + n) = src[s]. */
function fillWord(src: WordArray, s: number, dst: WordArray, d: number, n: number): void {
  if (Array.isArray(dst)) {
    const v = src[s] as string;
    for (let i = d; i < d + n; i++) dst[i] = v;
  } else {
    dst.fill(src[s] as number, d, d + n);
  }
}
