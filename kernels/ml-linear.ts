// Linear models (ai.onnx.ml LinearClassifier / LinearRegressor, linear SVMs):
// scores[r, t] = sum_j x[r, j] * coef[t * cols + j] + intercept[t].

export function linearScores(
  x: ArrayLike<number>, rows: number, cols: number, coef: Float64Array, intercept: Float64Array | null,
  nOut: number, out: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * cols;
    for (let t = 0; t < nOut; t++) {
      const co = t * cols;
      let s = intercept ? intercept[t]! : 0;
      for (let j = 0; j < cols; j++) s += x[xo + j]! * coef[co + j]!;
      out[r * nOut + t] = s;
    }
  }
}
