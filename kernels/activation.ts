// Activation functions over float arrays, computed in double and stored into the output
// (Float32Array stores round once). Parameters arrive as plain numbers; each op uses the
// ones its ONNX definition names (alpha, beta, gamma; Shrink: alpha = lambd, beta = bias).

import { geluErf } from './elementwise-unary-erf.js';
import type { FloatArray } from './arrays.js';

export type ActivationOp =
  | 'Relu' | 'LeakyRelu' | 'Elu' | 'Selu' | 'Celu' | 'Gelu' | 'GeluTanh'
  | 'Sigmoid' | 'HardSigmoid' | 'HardSwish' | 'Tanh' | 'Softplus' | 'Softsign'
  | 'Mish' | 'ThresholdedRelu' | 'Shrink' | 'Swish';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** log(1 + exp(v)) without overflow for large v or loss of precision for very negative v. */
export function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/** 1 / (1 + exp(-v)) without overflow in either direction. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function activationFloat(
  op: ActivationOp, x: FloatArray, y: FloatArray, alpha = 0, beta = 0, gamma = 0,
): void {
  const n = x.length;
  switch (op) {
    case 'Relu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < 0 ? 0 : v; }
      return;
    case 'LeakyRelu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < 0 ? alpha * v : v; }
      return;
    case 'Elu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < 0 ? alpha * Math.expm1(v) : v; }
      return;
    case 'Selu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v <= 0 ? gamma * alpha * Math.expm1(v) : gamma * v; }
      return;
    case 'Celu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < 0 ? alpha * Math.expm1(v / alpha) : v; }
      return;
    case 'Gelu':
      for (let i = 0; i < n; i++) y[i] = geluErf(x[i]!);
      return;
    case 'GeluTanh':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
      return;
    case 'Sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoid(x[i]!);
      return;
    case 'HardSigmoid':
      for (let i = 0; i < n; i++) y[i] = Math.max(0, Math.min(1, alpha * x[i]! + beta));
      return;
    case 'HardSwish':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * Math.max(0, Math.min(1, alpha * v + beta)); }
      return;
    case 'Tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      return;
    case 'Softplus':
      for (let i = 0; i < n; i++) y[i] = softplus(x[i]!);
      return;
    case 'Softsign':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v === Infinity ? 1 : v === -Infinity ? -1 : v / (1 + Math.abs(v));
      }
      return;
    case 'Mish':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * Math.tanh(softplus(v)); }
      return;
    case 'ThresholdedRelu':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v > alpha ? v : 0; }
      return;
    case 'Shrink':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v < -alpha ? v + beta : v > alpha ? v - beta : 0; }
      return;
    case 'Swish':
      for (let i = 0; i < n; i++) { const v = x[i]!; y[i] = v * sigmoid(alpha * v); }
      return;
  }
}
