// Adaptive average / max pooling over [planes, D, H, W] (lower ranks pass 1 for the
// leading dims): output cell o of an axis of length `in` pooled to `out` covers
// [floor(o * in / out), ceil((o + 1) * in / out)), as PyTorch's adaptive pools do.

import type { FloatArray } from './arrays.js';

function bounds(inLen: number, outLen: number): Int32Array {
  const r = new Int32Array(outLen * 2);
  for (let o = 0; o < outLen; o++) {
    r[o * 2] = Math.floor((o * inLen) / outLen);
    r[o * 2 + 1] = Math.ceil(((o + 1) * inLen) / outLen);
  }
  return r;
}

/**
 * Adaptive pooling; `inShape` / `outShape` are [D, H, W]. With `isMax`, NaN propagates and
 * `indices` (or null) receives the flat index of the maximum within its plane (D * H * W).
 */
export function adaptivePoolFloat(
  x: FloatArray, out: FloatArray, planes: number, inShape: readonly number[], outShape: readonly number[],
  isMax: boolean, indices: BigInt64Array | null,
): void {
  const [D, H, W] = inShape as [number, number, number];
  const [OD, OH, OW] = outShape as [number, number, number];
  const bd = bounds(D, OD);
  const bh = bounds(H, OH);
  const bw = bounds(W, OW);
  const plane = D * H * W;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * plane;
    for (let od = 0; od < OD; od++) {
      const d0 = bd[od * 2]!, d1 = bd[od * 2 + 1]!;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = bh[oh * 2]!, h1 = bh[oh * 2 + 1]!;
        for (let ow = 0; ow < OW; ow++, o++) {
          const w0 = bw[ow * 2]!, w1 = bw[ow * 2 + 1]!;
          if (isMax) {
            let m = -Infinity;
            let at = -1;
            for (let d = d0; d < d1; d++) {
              for (let h = h0; h < h1; h++) {
                const row = (d * H + h) * W;
                for (let w = w0; w < w1; w++) {
                  const v = x[base + row + w]!;
                  if (v > m || v !== v) {
                    m = v;
                    at = row + w;
                    if (v !== v) { d = d1; h = h1; break; }
                  }
                }
              }
            }
            out[o] = m;
            if (indices !== null) indices[o] = BigInt(at);
          } else {
            let s = 0;
            for (let d = d0; d < d1; d++) {
              for (let h = h0; h < h1; h++) {
                const row = base + (d * H + h) * W;
                for (let w = w0; w < w1; w++) s += x[row + w]!;
              }
            }
            out[o] = s / ((d1 - d0) * (h1 - h0) * (w1 - w0));
          }
        }
      }
    }
  }
}
