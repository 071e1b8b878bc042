// TensorScatter (opset 24): writes an update block into a KV-cache-like tensor along one axis.
// The cache is viewed as [batch, rows, maxSeq, inner] and the update as [batch, rows, seq,
// inner] (rows = product of the dims between the batch axis and the sequence axis, inner = words
// of the dims after it). Update position s of batch b lands at sequence index
// writeIndex[b] + s, taken modulo maxSeq in circular mode.

import type { WordArray } from './element-words.js';

export interface TensorScatterGeometry {
  readonly batch: number;
  readonly rows: number;
  readonly maxSeq: number;
  readonly seq: number;
  /** Words per sequence position. */
  readonly inner: number;
  readonly circular: boolean;
}

/**
 * Writes `update` into `cache` (already holding the past values). Returns the first batch whose
 * write range leaves [0, maxSeq) in linear mode (nothing written for it or later), else -1.
 */
export function tensorScatter(
  cache: WordArray, update: WordArray, writeIndex: Int32Array, g: TensorScatterGeometry,
): number {
  const { rows, maxSeq, seq, inner } = g;
  for (let b = 0; b < g.batch; b++) {
    const start = writeIndex[b]!;
    if (!g.circular && (start < 0 || start + seq > maxSeq)) return b;
    for (let r = 0; r < rows; r++) {
      const row = b * rows + r;
      for (let s = 0; s < seq; s++) {
        let t = start + s;
        if (g.circular) t = ((t % maxSeq) + maxSeq) % maxSeq;
        const d = (row * maxSeq + t) * inner;
        const u = (row * seq + s) * inner;
        for (let w = 0; w < inner; w++) cache[d + w] = update[u + w]!;
      }
    }
  }
  return -1;
}
