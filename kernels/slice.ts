// Strided slicing of any element type, moved as words (see element-words.ts).

import { copyWords, type WordArray } from './element-words.js';

/**
 * dst[k0, k1, ...] = src[starts[0] + k0*steps[0], starts[1] + k1*steps[1], ...] for every
 * output coordinate k < outDims. All arrays are full rank; starts/steps are already clamped
 * so every coordinate read is in range. Each element is `width` words.
 */
export function slice(
  src: WordArray, dst: WordArray, dims: readonly number[], starts: readonly number[],
  steps: readonly number[], outDims: readonly number[], width: number,
): void {
  let total = width;
  for (const d of outDims) total *= d;
  if (total === 0) return;
  // Fold the element width in as a full trailing axis, then merge an axis with the next one
  // when that one is taken whole and this one has step 1 (together they read one run).
  const d: number[] = [width];
  const st: number[] = [0];
  const sp: number[] = [1];
  const od: number[] = [width];
  for (let a = dims.length - 1; a >= 0; a--) {
    const full = st[0] === 0 && sp[0] === 1 && od[0] === d[0];
    if (full && steps[a] === 1) {
      const inner = d[0]!;
      d[0] = dims[a]! * inner;
      st[0] = starts[a]! * inner;
      od[0] = outDims[a]! * inner;
    } else {
      d.unshift(dims[a]!);
      st.unshift(starts[a]!);
      sp.unshift(steps[a]!);
      od.unshift(outDims[a]!);
    }
  }
  const r = d.length;
  const stride = new Array<number>(r);
  let s = 1;
  for (let a = r - 1; a >= 0; a--) { stride[a] = s; s *= d[a]!; }
  let base = 0;
  for (let a = 0; a < r; a++) base += st[a]! * stride[a]!;

  const n = r - 1;
  const inner = od[n]!;
  const innerStep = sp[n]!;
  const rows = total / inner;
  const step = new Array<number>(n);
  for (let a = 0; a < n; a++) step[a] = sp[a]! * stride[a]!;
  const idx = new Int32Array(n);
  let inOff = base;
  let outOff = 0;
  for (let k = 0; k < rows; k++) {
    if (innerStep === 1) {
      copyWords(src, inOff, dst, outOff, inner);
    } else {
      let i = inOff;
      for (let j = 0; j < inner; j++) {
        dst[outOff + j] = src[i]!;
        i += innerStep;
      }
    }
    outOff += inner;
    for (let a = n - 1; a >= 0; a--) {
      idx[a]!++;
      inOff += step[a]!;
      if (idx[a]! < od[a]!) break;
      inOff -= step[a]! * od[a]!;
      idx[a] = 0;
    }
  }
}

export interface SliceRange {
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

/**
 * Clamps one axis of an ONNX Slice (numpy semantics): negative start/end count from the end,
 * then clamp to [0, dim] for positive steps and [-1, dim-1] for negative steps.
 * Values may be huge (INT64 min/max read as ±9.2e18); they clamp like any other.
 */
export function sliceRange(dim: number, start: number, end: number, step: number): SliceRange {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  let count: number;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    count = end > start ? Math.ceil((end - start) / step) : 0;
  } else {
    start = Math.min(Math.max(start, -1), dim - 1);
    end = Math.min(Math.max(end, -1), dim - 1);
    count = start > end ? Math.ceil((start - end) / -step) : 0;
  }
  // With fewer than two elements the step is never taken; 1 keeps offsets exact when it is huge.
  return { start: count > 0 ? start : 0, step: count > 1 ? step : 1, count };
}
