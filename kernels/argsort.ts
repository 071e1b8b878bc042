// Stable argsort of indices by float keys: a bottom-up merge sort with caller-owned buffers.

/**
 * Sorts idx[0, n) by keys[idx[i]] (ascending, or descending), NaN keys first or last, equal
 * keys keeping index order. Uses tmp (length >= n) as scratch and returns whichever of
 * idx/tmp holds the result.
 */
export function argsortByKeys(
  keys: Float64Array, idx: Int32Array, tmp: Int32Array, n: number, descending: boolean, nanFirst: boolean,
): Int32Array {
  let src = idx;
  let dst = tmp;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        const ki = keys[src[i]!]!;
        const kj = keys[src[j]!]!;
        // Take from the right only when it strictly precedes (keeps equal keys in index order).
        const right = (descending ? kj > ki : kj < ki) ||
          (nanFirst ? kj !== kj && ki === ki : ki !== ki && kj === kj);
        if (right) dst[o++] = src[j++]!;
        else dst[o++] = src[i++]!;
      }
      while (i < mid) dst[o++] = src[i++]!;
      while (j < hi) dst[o++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}
