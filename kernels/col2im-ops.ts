// Col2Im over any number of spatial axes, and the MaxUnpool scatter.
//
// Col2Im: col is [NC, K, L] where K = prod(block) kernel taps and L = prod(grid) block
// positions; every (tap k, position l) adds into
//   image[nc, l_i * stride_i - padBegin_i + k_i * dilation_i  for each axis i]
// when that point lies inside the image (taps falling in the padding are dropped).

import type { FloatArray } from './arrays.js';
export type { FloatArray };

export interface Col2ImGeometry {
  /** N * C: independent images. */
  readonly planes: number;
  readonly image: readonly number[];
  readonly block: readonly number[];
  /** Block positions per axis: floor((image + pads - dilation * (block - 1) - 1) / stride) + 1. */
  readonly grid: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
}

/** Adds col's columns into `image` (which the caller zero-fills). */
export function col2im(col: FloatArray, image: FloatArray, g: Col2ImGeometry): void {
  const r = g.image.length;
  let taps = 1;
  let positions = 1;
  let plane = 1;
  for (let i = 0; i < r; i++) { taps *= g.block[i]!; positions *= g.grid[i]!; plane *= g.image[i]!; }
  const imgStride = new Int32Array(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) { imgStride[i] = s; s *= g.image[i]!; }
  const k = new Int32Array(r);
  const l = new Int32Array(r);
  for (let nc = 0; nc < g.planes; nc++) {
    const colBase = nc * taps * positions;
    const imgBase = nc * plane;
    k.fill(0);
    for (let t = 0; t < taps; t++) {
      l.fill(0);
      const rowBase = colBase + t * positions;
      for (let q = 0; q < positions; q++) {
        let off = 0;
        for (let i = 0; i < r; i++) {
          const p = l[i]! * g.strides[i]! - g.padsBegin[i]! + k[i]! * g.dilations[i]!;
          if (p < 0 || p >= g.image[i]!) { off = -1; break; }
          off += p * imgStride[i]!;
        }
        if (off >= 0) image[imgBase + off] += col[rowBase + q]!;
        for (let i = r - 1; i >= 0; i--) {
          if (++l[i]! < g.grid[i]!) break;
          l[i] = 0;
        }
      }
      for (let i = r - 1; i >= 0; i--) {
        if (++k[i]! < g.block[i]!) break;
        k[i] = 0;
      }
    }
  }
}

/**
 * MaxUnpool scatter: dst[indices[i]] = src[i] for elements of `width` words each. Returns the
 * position of the first index outside [0, dstElements), or -1 when all were in range.
 */
export function scatterElements(
  src: Uint8Array | Uint16Array | Uint32Array, dst: Uint8Array | Uint16Array | Uint32Array,
  indices: BigInt64Array, width: number,
): number {
  const limit = dst.length / width;
  const n = indices.length;
  for (let i = 0; i < n; i++) {
    const j = Number(indices[i]!);
    if (j < 0 || j >= limit) return i;
    const d = j * width;
    const s = i * width;
    for (let w = 0; w < width; w++) dst[d + w] = src[s + w]!;
  }
  return -1;
}
