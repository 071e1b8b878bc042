// Negative log-likelihood loss, the reduction step shared by ONNX
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (which first takes a log-softmax).
//
// The input is viewed as [n, c, inner] (inner = product of the spatial dims d1..dk) and the
// target as [n, inner]. Element (i, d) contributes -x[i, t, d] * w[t] with t = target[i, d]
// and w the class weights (1 without weights); a target equal to ignoreIndex contributes 0
// with weight 0. 'sum' adds the contributions; 'mean' divides that sum by the sum of the
// weights that were applied (the count of non-ignored elements without weights), which is
// NaN when every element is ignored, as in the ONNX reference. Sums accumulate in float64.

import type { FloatArray } from './arrays.js';
export type { FloatArray };

export type LossReduction = 'none' | 'sum' | 'mean';

/**
 * Writes the loss to `out`: n * inner elements for 'none', one element for 'sum' / 'mean'.
 * Returns the flat target position of the first target outside [0, c) that is not
 * `ignoreIndex`, or -1 when all targets are valid (the outputs are then complete).
 */
export function nllLossFloat(
  x: FloatArray, target: ArrayLike<number>, weight: FloatArray | null, ignoreIndex: number | null,
  n: number, c: number, inner: number, reduction: LossReduction, out: FloatArray,
): number {
  const ignore = ignoreIndex ?? Number.NaN;
  const perElement = reduction === 'none';
  let sum = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const tBase = i * inner;
    const xBase = i * c * inner;
    for (let d = 0; d < inner; d++) {
      const t = target[tBase + d]!;
      let loss = 0;
      let w = 0;
      if (t !== ignore) {
        if (!(t >= 0 && t < c)) return tBase + d;
        w = weight === null ? 1 : weight[t]!;
        loss = -x[xBase + t * inner + d]! * w;
      }
      if (perElement) out[tBase + d] = loss;
      else { sum += loss; weightSum += w; }
    }
  }
  if (reduction === 'sum') out[0] = sum;
  else if (reduction === 'mean') out[0] = sum / weightSum;
  return -1;
}
