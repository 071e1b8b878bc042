// Optimizer update rules of ai.onnx.preview.training (Adagrad, Momentum, Adam), element-wise over
// one tensor to optimize. Scalars (learning rate, step count, attributes) come in as numbers;
// arithmetic is in float64 and the stores round to the arrays' element type.

export type OptimizerArray = Float32Array | Float64Array;

/**
 * Adagrad:  r = R / (1 + T * decay);  g = norm * X + G;  H' = H + g^2;
 *           X' = X - r * g / (sqrt(H') + epsilon).
 */
export function adagradStep(
  r: number, x: OptimizerArray, g: OptimizerArray, h: OptimizerArray, normCoefficient: number, epsilon: number,
  xOut: OptimizerArray, hOut: OptimizerArray,
): void {
  for (let i = 0; i < x.length; i++) {
    const gr = normCoefficient * x[i]! + g[i]!;
    const hn = h[i]! + gr * gr;
    hOut[i] = hn;
    xOut[i] = x[i]! - (r * gr) / (Math.sqrt(hn) + epsilon);
  }
}

/**
 * Momentum:  g = norm * X + G;  V' = alpha * V + beta' * g  (beta' = beta, or 1 on step T = 0);
 *   standard: X' = X - R * V';   nesterov: X' = X - R * (g + alpha * V').
 */
export function momentumStep(
  r: number, alpha: number, betaAdjusted: number, nesterov: boolean, x: OptimizerArray, g: OptimizerArray,
  v: OptimizerArray, normCoefficient: number, xOut: OptimizerArray, vOut: OptimizerArray,
): void {
  const n = x.length;
  if (nesterov) {
    for (let i = 0; i < n; i++) {
      const gr = normCoefficient * x[i]! + g[i]!;
      const vn = alpha * v[i]! + betaAdjusted * gr;
      vOut[i] = vn;
      xOut[i] = x[i]! - r * (gr + alpha * vn);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gr = normCoefficient * x[i]! + g[i]!;
      const vn = alpha * v[i]! + betaAdjusted * gr;
      vOut[i] = vn;
      xOut[i] = x[i]! - r * vn;
    }
  }
}

/**
 * Adam:  g = norm * X + G;  V' = alpha * V + (1 - alpha) * g;  H' = beta * H + (1 - beta) * g^2;
 *        X' = (1 - normPost) * (X - rAdjusted * V' / (sqrt(H') + epsilon)),
 * where rAdjusted = R * sqrt(1 - beta^T) / (1 - alpha^T) for T > 0, else R (see adamLearningRate).
 */
export function adamStep(
  rAdjusted: number, alpha: number, beta: number, epsilon: number, normCoefficient: number, normPost: number,
  x: OptimizerArray, g: OptimizerArray, v: OptimizerArray, h: OptimizerArray,
  xOut: OptimizerArray, vOut: OptimizerArray, hOut: OptimizerArray,
): void {
  for (let i = 0; i < x.length; i++) {
    const gr = normCoefficient * x[i]! + g[i]!;
    const vn = alpha * v[i]! + (1 - alpha) * gr;
    const hn = beta * h[i]! + (1 - beta) * (gr * gr);
    vOut[i] = vn;
    hOut[i] = hn;
    xOut[i] = (1 - normPost) * (x[i]! - rAdjusted * (vn / (Math.sqrt(hn) + epsilon)));
  }
}

/** Adam's bias-corrected learning rate for step count t. */
export function adamLearningRate(r: number, t: number, alpha: number, beta: number): number {
  return t > 0 ? (r * Math.sqrt(1 - beta ** t)) / (1 - alpha ** t) : r;
}
