// Stateful causal depthwise 1-D convolution (ONNX CausalConvWithState, opset 27) and the
// SwiGLU gate (opset 28).
//
// CausalConvWithState, per batch b and channel c, with seq = concat(past[b, c, :], x[b, c, :])
// (past = zeros when absent) and kernel size K:
//   y[b, c, t] = act(bias[c] + sum_k w[c, k] * seq[t + k]),  act = identity or x * sigmoid(x)
//   present[b, c, :] = the last K - 1 entries of seq

import type { FloatArray } from './arrays.js';

export function causalConvWithStateFloat(
  x: FloatArray, weight: FloatArray, bias: FloatArray | null, past: FloatArray | null,
  out: FloatArray, present: FloatArray,
  batch: number, channels: number, length: number, kernel: number, silu: boolean,
): void {
  const keep = kernel - 1;
  const seq = new Float64Array(keep + length);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const row = b * channels + c;
      for (let i = 0; i < keep; i++) seq[i] = past ? past[row * keep + i]! : 0;
      for (let t = 0; t < length; t++) seq[keep + t] = x[row * length + t]!;
      const w = c * kernel;
      const b0 = bias ? bias[c]! : 0;
      for (let t = 0; t < length; t++) {
        let acc = 0;
        for (let i = 0; i < kernel; i++) acc += weight[w + i]! * seq[t + i]!;
        acc += b0;
        out[row * length + t] = silu ? acc / (1 + Math.exp(-acc)) : acc;
      }
      for (let i = 0; i < keep; i++) present[row * keep + i] = seq[length + i]!;
    }
  }
}

/** y = a * sigmoid(alpha * a) * b, elementwise over equal-length arrays. */
export function swigluFloat(a: FloatArray, b: FloatArray, out: FloatArray, alpha: number): void {
  for (let i = 0; i < out.length; i++) {
    const x = a[i]!;
    out[i] = (x / (1 + Math.exp(-alpha * x))) * b[i]!;
  }
}
