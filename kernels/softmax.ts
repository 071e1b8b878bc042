// Softmax, LogSoftmax and Hardmax along one axis of a tensor viewed as [outer, n, inner].
// The caller picks the view: opset >= 13 uses the axis itself (n = dims[axis]);
// opset < 13 coerces to 2-D at the axis (n = product of dims[axis:], inner = 1).
// Numerics follow numpy: subtract the row max (started at -Infinity); a row whose max
// is +-Infinity or NaN yields NaN where numpy's exp(x - max) does.

import type { FloatArray } from './arrays.js';

/** The max of row (o, i) — NaN when any element is NaN, like numpy's max. */
function rowMax(x: FloatArray, base: number, n: number, inner: number): number {
  let m = -Infinity;
  for (let k = 0, p = base; k < n; k++, p += inner) {
    const v = x[p]!;
    if (v > m) m = v;
    else if (v !== v) return NaN;
  }
  return m;
}

/** out = exp(x - max) / sum(exp(x - max)) along the middle axis of [outer, n, inner]. */
export function softmaxFloat(
  x: FloatArray, out: FloatArray, outer: number, n: number, inner: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const m = rowMax(x, base, n, inner);
      let sum = 0;
      for (let k = 0, p = base; k < n; k++, p += inner) {
        const e = Math.exp(x[p]! - m);
        out[p] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let k = 0, p = base; k < n; k++, p += inner) out[p] = out[p]! * inv;
    }
  }
}

/** out = x - max - log(sum(exp(x - max))) along the middle axis of [outer, n, inner]. */
export function logSoftmaxFloat(
  x: FloatArray, out: FloatArray, outer: number, n: number, inner: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const m = rowMax(x, base, n, inner);
      let sum = 0;
      for (let k = 0, p = base; k < n; k++, p += inner) sum += Math.exp(x[p]! - m);
      const logSum = Math.log(sum);
      for (let k = 0, p = base; k < n; k++, p += inner) out[p] = x[p]! - m - logSum;
    }
  }
}

/**
 * out = 1 at the first maximum of each row and 0 elsewhere (a NaN counts as the
 * maximum, like numpy's argmax). `out` must be zero-filled by the caller.
 */
export function hardmaxFloat(
  x: FloatArray, out: FloatArray, outer: number, n: number, inner: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      if (n === 0) continue;
      let best = base;
      let m = x[base]!;
      if (m === m) {
        for (let k = 1, p = base + inner; k < n; k++, p += inner) {
          const v = x[p]!;
          if (v > m) { m = v; best = p; } else if (v !== v) { best = p; break; }
        }
      }
      out[best] = 1;
    }
  }
}
