// Padding (constant / reflect / edge / wrap) of any element type, moved as words.
// Each axis gets an index map: output coordinate -> input coordinate, or -1 for "constant".
// Negative pads crop first (as onnxruntime does); the modes then pad the cropped range.

import { copyWords, fillPattern, type WordArray } from './element-words.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/**
 * Map for one axis of length `dim` padded by `before` / `after` (either may be negative).
 * The map has dim + before + after entries. Returns null when a non-constant mode has to pad an
 * empty (or over-cropped) range: there is nothing to copy from.
 */
export function padIndexMap(dim: number, before: number, after: number, mode: PadMode): Int32Array | null {
  const lo = Math.max(0, -before);
  const m = dim - lo - Math.max(0, -after);
  const pb = Math.max(0, before);
  const out = Math.max(dim + before + after, 0);
  const map = new Int32Array(out);
  if (m <= 0) {
    if (mode !== 'constant' && out > 0) return null;
    map.fill(-1);
    return map;
  }
  for (let o = 0; o < out; o++) {
    let j = o - pb;
    if (j < 0 || j >= m) {
      switch (mode) {
        case 'constant': map[o] = -1; continue;
        case 'edge': j = j < 0 ? 0 : m - 1; break;
        case 'wrap': j = ((j % m) + m) % m; break;
        case 'reflect': {
          if (m === 1) { j = 0; break; }
          const period = 2 * (m - 1);
          j = ((j % period) + period) % period;
          if (j >= m) j = period - j;
          break;
        }
      }
    }
    map[o] = lo + j;
  }
  return map;
}

/**
 * dst[k...] = src[maps[0][k0], maps[1][k1], ...] or `fill` (one element's words) where any map
 * entry is -1. `dims` are the input dims; the output dims are the map lengths.
 */
export function pad(
  src: WordArray, dst: WordArray, dims: readonly number[], maps: readonly Int32Array[], fill: WordArray,
): void {
  const width = fill.length;
  const r = dims.length;
  let total = 1;
  for (const m of maps) total *= m.length;
  if (total === 0) return;
  if (r === 0) {
    copyWords(src, 0, dst, 0, width);
    return;
  }
  const stride = new Array<number>(r);
  let s = width;
  for (let a = r - 1; a >= 0; a--) { stride[a] = s; s *= dims[a]!; }
  const last = maps[r - 1]!;
  const inner = last.length;
  const rows = total / inner;
  const n = r - 1;
  const idx = new Int32Array(n);
  let outOff = 0;
  for (let k = 0; k < rows; k++) {
    // Source offset of this row, or -1 when the row lies in a constant border.
    let base = 0;
    for (let a = 0; a < n; a++) {
      const i = maps[a]![idx[a]!]!;
      if (i < 0) { base = -1; break; }
      base += i * stride[a]!;
    }
    if (base < 0) {
      fillPattern(dst, fill, inner, outOff);
    } else if (width === 1) {
      for (let j = 0; j < inner; j++) {
        const i = last[j]!;
        dst[outOff + j] = i < 0 ? fill[0]! : src[base + i]!;
      }
    } else {
      for (let j = 0; j < inner; j++) {
        const i = last[j]!;
        const o = outOff + j * width;
        if (i < 0) {
          for (let w = 0; w < width; w++) dst[o + w] = fill[w]!;
        } else {
          const b = base + i * width;
          for (let w = 0; w < width; w++) dst[o + w] = src[b + w]!;
        }
      }
    }
    outOff += inner * width;
    for (let a = n - 1; a >= 0; a--) {
      if (++idx[a]! < maps[a]!.length) break;
      idx[a] = 0;
    }
  }
}
