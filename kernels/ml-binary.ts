// Binary classifiers that produce one score per row (ai.onnx.ml TreeEnsembleClassifier with
// weights for one class, LinearClassifier with one coefficient row), following onnxruntime:
// s = scores[r * width + col] + base; label index = s > threshold ? 1 : 0; the two output scores are
//   [1 - s, s]                       when the weights are all positive (s is a probability),
//   [logistic(-s), logistic(s)]      under LOGISTIC otherwise,
//   [-probit(s), probit(s)]          under PROBIT otherwise,
//   [-s, s]                          otherwise.

import { PostTransform, logistic, probit } from './ml-post-transform.js';

export function binaryScores(
  scores: Float64Array, width: number, col: number, base: number, threshold: number, allPositive: boolean,
  post: PostTransform, rows: number, label: Int32Array, out: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const s = scores[r * width + col]! + base;
    label[r] = s > threshold ? 1 : 0;
    if (allPositive) {
      out[2 * r] = 1 - s;
      out[2 * r + 1] = s;
    } else if (post === PostTransform.LOGISTIC) {
      out[2 * r] = logistic(-s);
      out[2 * r + 1] = logistic(s);
    } else if (post === PostTransform.PROBIT) {
      out[2 * r] = -probit(s);
      out[2 * r + 1] = probit(s);
    } else {
      out[2 * r] = -s;
      out[2 * r + 1] = s;
    }
  }
}
