// Transpose (axis permutation) of any element type, moved as words (see element-words.ts).
// The permutation is first simplified: size-1 axes are dropped and input axes that stay
// adjacent in the output are merged. Then either the innermost axis stays in place (copy
// contiguous runs) or it moves, and the work is a batch of 2-D transposes done in square tiles
// so both the reads and the writes stay within a few cache lines.

import { copyWords, type WordArray } from './element-words.js';

const TILE = 32;

export interface SimplePermutation {
  /** Input dims after dropping 1s and merging axes that stay adjacent. */
  readonly dims: number[];
  /** Output axis i reads input axis perm[i] (of the simplified dims). */
  readonly perm: number[];
}

/**
 * Drops size-1 axes and merges runs of input axes that remain consecutive in the output.
 * (Plain loops, no sort: it runs once per transpose, and the ranks are small.)
 */
export function simplifyPermutation(dims: readonly number[], perm: readonly number[]): SimplePermutation {
  // Input axes kept (size != 1), renumbered in input order.
  const keep = new Array<number>(dims.length);
  const keptDims: number[] = [];
  for (let a = 0; a < dims.length; a++) {
    if (dims[a] !== 1) {
      keep[a] = keptDims.length;
      keptDims.push(dims[a]!);
    } else keep[a] = -1;
  }
  // Groups of consecutive input axes, in output order: each group's first input axis and size.
  const first: number[] = [];
  const size: number[] = [];
  let last = -2;
  for (let i = 0; i < perm.length; i++) {
    const a = keep[perm[i]!]!;
    if (a < 0) continue;
    if (a === last + 1 && first.length > 0) size[size.length - 1]! *= keptDims[a]!;
    else {
      first.push(a);
      size.push(keptDims[a]!);
    }
    last = a;
  }
  // A group's rank in input order is how many groups start before it.
  const g = first.length;
  const newDims = new Array<number>(g);
  const rankOfGroup = new Array<number>(g);
  for (let i = 0; i < g; i++) {
    let rank = 0;
    for (let j = 0; j < g; j++) if (first[j]! < first[i]!) rank++;
    newDims[rank] = size[i]!;
    rankOfGroup[i] = rank;
  }
  return { dims: newDims, perm: rankOfGroup };
}

/**
 * dst = transpose(src): output axis i is input axis perm[i]. `dims` are the input dims in
 * elements; each element is `width` consecutive words. dst must not alias src.
 */
export function transpose(
  src: WordArray, dst: WordArray, dims: readonly number[], perm: readonly number[], width: number,
): void {
  let total = width;
  for (const d of dims) total *= d;
  if (total === 0) return;
  const { dims: d, perm: p } = simplifyPermutation(dims, perm);
  const r = d.length;
  if (r <= 1) {
    copyWords(src, 0, dst, 0, total);
    return;
  }
  // Element strides of the simplified input and output.
  const inStride = new Array<number>(r);
  const outDims = new Array<number>(r);
  const outStride = new Array<number>(r);
  let s = 1;
  for (let a = r - 1; a >= 0; a--) { inStride[a] = s; s *= d[a]!; }
  for (let i = 0; i < r; i++) outDims[i] = d[p[i]!]!;
  s = 1;
  for (let i = r - 1; i >= 0; i--) { outStride[i] = s; s *= outDims[i]!; }

  if (p[r - 1] === r - 1) {
    transposeRuns(src, dst, outDims, p.map((a) => inStride[a]! * width), d[r - 1]! * width, total);
    return;
  }
  // The input's innermost axis lands at output axis q; the output's innermost axis reads input
  // axis p[r-1]. Every other output axis is an outer loop over 2-D tiles.
  const q = p.indexOf(r - 1);
  const loopDims: number[] = [];
  const loopIn: number[] = [];
  const loopOut: number[] = [];
  for (let i = 0; i < r - 1; i++) {
    if (i === q) continue;
    loopDims.push(outDims[i]!);
    loopIn.push(inStride[p[i]!]! * width);
    loopOut.push(outStride[i]! * width);
  }
  const rows = d[r - 1]!;
  const cols = outDims[r - 1]!;
  const colIn = inStride[p[r - 1]!]!;
  const rowOut = outStride[q]!;
  const n = loopDims.length;
  const idx = new Array<number>(n).fill(0);
  let outer = 1;
  for (const x of loopDims) outer *= x;
  let inBase = 0;
  let outBase = 0;
  for (let k = 0; k < outer; k++) {
    if (width === 1) tile2d(src, dst, inBase, outBase, rows, cols, colIn, rowOut);
    else tile2dWide(src, dst, inBase, outBase, rows, cols, colIn, rowOut, width);
    for (let a = n - 1; a >= 0; a--) {
      idx[a]!++;
      inBase += loopIn[a]!;
      outBase += loopOut[a]!;
      if (idx[a]! < loopDims[a]!) break;
      inBase -= loopIn[a]! * loopDims[a]!;
      outBase -= loopOut[a]! * loopDims[a]!;
      idx[a] = 0;
    }
  }
}

/** The output is a sequence of contiguous input runs of `run` words. */
function transposeRuns(
  src: WordArray, dst: WordArray, outDims: readonly number[], inStrideW: readonly number[], run: number,
  total: number,
): void {
  const n = outDims.length - 1;
  const idx = new Array<number>(n).fill(0);
  const count = total / run;
  let inOff = 0;
  let outOff = 0;
  for (let k = 0; k < count; k++) {
    if (run <= 16) {
      for (let j = 0; j < run; j++) dst[outOff + j] = src[inOff + j]!;
    } else {
      copyWords(src, inOff, dst, outOff, run);
    }
    outOff += run;
    for (let a = n - 1; a >= 0; a--) {
      idx[a]!++;
      inOff += inStrideW[a]!;
      if (idx[a]! < outDims[a]!) break;
      inOff -= inStrideW[a]! * outDims[a]!;
      idx[a] = 0;
    }
  }
}

/**
 * One 2-D transpose of single-word elements: dst[outBase + i*rowOut + j] = src[inBase + j*colIn + i]
 * for i < rows (the input's contiguous axis), j < cols (the output's contiguous axis).
 */
function tile2d(
  src: WordArray, dst: WordArray, inBase: number, outBase: number,
  rows: number, cols: number, colIn: number, rowOut: number,
): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, rows);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, cols);
      for (let i = i0; i < i1; i++) {
        let o = outBase + i * rowOut + j0;
        let s = inBase + i + j0 * colIn;
        for (let j = j0; j < j1; j++) {
          dst[o++] = src[s]!;
          s += colIn;
        }
      }
    }
  }
}

/** tile2d for elements of `width` words (offsets inBase/outBase in words, strides in elements). */
function tile2dWide(
  src: WordArray, dst: WordArray, inBase: number, outBase: number,
  rows: number, cols: number, colIn: number, rowOut: number, width: number,
): void {
  const colInW = colIn * width;
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, rows);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, cols);
      for (let i = i0; i < i1; i++) {
        let o = outBase + (i * rowOut + j0) * width;
        let s = inBase + (i + j0 * colIn) * width;
        if (width === 2) {
          for (let j = j0; j < j1; j++) {
            dst[o] = src[s]!;
            dst[o + 1] = src[s + 1]!;
            o += 2;
            s += colInW;
          }
        } else {
          for (let j = j0; j < j1; j++) {
            for (let w = 0; w < width; w++) dst[o + w] = src[s + w]!;
            o += width;
            s += colInW;
          }
        }
      }
    }
  }
}
