// BatchNormalization (inference form) folded into the convolution before it:
//   BN(conv(x, W) + B) = conv(x, W * s) + (B - mean) * s + bias,   s = scale / sqrt(var + epsilon)
// per output channel m. s and the new bias are computed in float64 from the float32 parameters
// (as batchNormFloat does) and each new value is rounded to float32 once.

/**
 * w: M x rest (a conv weight, output channel first), b: M values or null (no conv bias).
 * Writes the folded weight into wOut (w.length) and the folded bias into bOut (M).
 */
export function foldBatchNormF32(
  w: Float32Array, b: Float32Array | null, scale: Float32Array, bias: Float32Array, mean: Float32Array,
  variance: Float32Array, epsilon: number, wOut: Float32Array, bOut: Float32Array,
): void {
  const m = bOut.length;
  const rest = m === 0 ? 0 : w.length / m;
  for (let c = 0; c < m; c++) {
    const s = scale[c]! / Math.sqrt(variance[c]! + epsilon);
    const base = c * rest;
    for (let i = 0; i < rest; i++) wOut[base + i] = w[base + i]! * s;
    bOut[c] = ((b === null ? 0 : b[c]!) - mean[c]!) * s + bias[c]!;
  }
}
