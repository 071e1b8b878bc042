// Rotary position embedding (ONNX RotaryEmbedding, opset 23).
//
// The input is viewed as [batch, seq, heads, headSize] through strides (4-D inputs are
// [B, H, S, D], 3-D inputs are [B, S, H*D]); the output uses the same strides. Only the
// first `rotaryDim` features of each head rotate; the rest are copied. For the pair
// (x1, x2) of rotary slot r (r < rotaryDim / 2):
//   non-interleaved: x1 = x[r], x2 = x[r + rotaryDim/2]
//   interleaved:     x1 = x[2r], x2 = x[2r + 1]
//   y1 = cos * x1 - sin * x2,  y2 = sin * x1 + cos * x2
// with cos = cosCache[row * cacheStride + r] and row = rows[b * seq + s].

import type { FloatArray } from './arrays.js';

export interface RotaryLayout {
  readonly batch: number;
  readonly seq: number;
  readonly heads: number;
  readonly headSize: number;
  readonly rotaryDim: number;
  readonly interleaved: boolean;
  /** Strides of x (and out) per batch, position, head; feature stride 1. */
  readonly strides: readonly [number, number, number];
  /** Elements per row of the cos/sin caches. */
  readonly cacheStride: number;
}

export function rotaryEmbeddingFloat(
  layout: RotaryLayout, x: FloatArray, cos: FloatArray, sin: FloatArray, rows: Int32Array, out: FloatArray,
): void {
  const { batch, seq, heads, headSize, rotaryDim, interleaved, cacheStride } = layout;
  const [sb, ss, sh] = layout.strides;
  const half = rotaryDim >> 1;
  const step = interleaved ? 2 : 1;
  const second = interleaved ? 1 : half;
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const c = rows[b * seq + s]! * cacheStride;
      for (let h = 0; h < heads; h++) {
        const o = b * sb + s * ss + h * sh;
        for (let r = 0; r < half; r++) {
          const i1 = o + r * step;
          const i2 = i1 + second;
          const x1 = x[i1]!;
          const x2 = x[i2]!;
          const cv = cos[c + r]!;
          const sv = sin[c + r]!;
          out[i1] = cv * x1 - sv * x2;
          out[i2] = sv * x1 + cv * x2;
        }
        for (let d = rotaryDim; d < headSize; d++) out[o + d] = x[o + d]!;
      }
    }
  }
}
