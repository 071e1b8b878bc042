// Index arithmetic for Gather, GatherElements and GatherND (and their scatter inverses):
// indices are validated and normalised once, then turned into flat element offsets that
// take.ts moves as raw bits.

/** Index tensors: int32 or int64. */
export type IndexArray = Int32Array | BigInt64Array;

/**
 * Wraps negative indices and checks bounds. Element i is checked against
 * bounds[i % bounds.length] (GatherND indices cycle over the indexed dims).
 * Writes the normalised indices to `out`; returns the position of the first index out of
 * range [-bound, bound), or -1 when all are valid.
 */
export function normalizeIndices(src: IndexArray, bounds: readonly number[], out: Int32Array): number {
  const n = src.length;
  const period = bounds.length;
  if (src instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const bound = bounds[i % period]!;
      const v = Number(src[i]!);
      const w = v < 0 ? v + bound : v;
      if (w < 0 || w >= bound) return i;
      out[i] = w;
    }
    return -1;
  }
  if (period === 1) {
    const bound = bounds[0]!;
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      const w = v < 0 ? v + bound : v;
      if (w < 0 || w >= bound) return i;
      out[i] = w;
    }
    return -1;
  }
  for (let i = 0; i < n; i++) {
    const bound = bounds[i % period]!;
    const v = src[i]!;
    const w = v < 0 ? v + bound : v;
    if (w < 0 || w >= bound) return i;
    out[i] = w;
  }
  return -1;
}

/**
 * Gather along an axis, as block offsets: data is [outer, axisLen, inner], indices are flat
 * (already normalised); out[o * m + j] = (o * axisLen + idx[j]) * inner, m = idx.length.
 */
export function gatherOffsets(
  outer: number, axisLen: number, inner: number, idx: Int32Array, out: Int32Array,
): void {
  const m = idx.length;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * axisLen;
    for (let j = 0; j < m; j++) out[k++] = (base + idx[j]!) * inner;
  }
}

/**
 * GatherElements / ScatterElements offsets: for each position p of the indices tensor (shape
 * `idxDims`, row-major), the flat data offset of p with coordinate `axis` replaced by idx[p].
 */
export function elementOffsets(
  idxDims: readonly number[], dataStrides: readonly number[], axis: number, idx: Int32Array, out: Int32Array,
): void {
  const rank = idxDims.length;
  const total = idx.length;
  if (total === 0) return;
  const counter = new Int32Array(rank);
  const axisStride = dataStrides[axis]!;
  let base = 0; // offset of the current position with the axis coordinate zeroed
  for (let p = 0; p < total; p++) {
    out[p] = base + idx[p]! * axisStride;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      if (d !== axis) base += dataStrides[d]!;
      if (counter[d]! < idxDims[d]!) break;
      if (d !== axis) base -= dataStrides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
}

/**
 * GatherND / ScatterND offsets. idx holds `batches * perBatch` tuples of k normalised indices;
 * tuple t of batch b addresses b * batchStride + sum_j idx[t, j] * strides[j].
 */
export function ndOffsets(
  idx: Int32Array, k: number, batches: number, perBatch: number, batchStride: number,
  strides: readonly number[], out: Int32Array,
): void {
  let t = 0;
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const base = b * batchStride;
    for (let q = 0; q < perBatch; q++) {
      let off = base;
      for (let j = 0; j < k; j++) off += idx[i++]! * strides[j]!;
      out[t++] = off;
    }
  }
}
