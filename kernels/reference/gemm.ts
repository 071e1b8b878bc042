// Plain reference GEMM and epilogue: the naive triple loop in float64, what every fast
// float32 GEMM kernel is property-tested against. Not for production use.

import { erf } from '../elementwise-unary-erf.js';
import type { GemmActivation } from '../gemm-f32.js';

/** Where a reference operand lives: element (r, q) of op(X) at data[offset + r * rs + q * cs]. */
export interface ReferenceOperand {
  readonly data: ArrayLike<number>;
  readonly offset: number;
  readonly rs: number;
  readonly cs: number;
}

/** The activations of the GEMM epilogue written from their definitions. */
export function activationReference(act: GemmActivation, v: number): number {
  switch (act.kind) {
    case 'none': return v;
    case 'relu': return Number.isNaN(v) ? v : Math.max(0, v);
    case 'clip': return Number.isNaN(v) ? v : Math.min(act.max, Math.max(act.min, v));
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    case 'hardsigmoid': return Math.max(0, Math.min(1, act.alpha * v + act.beta));
    case 'hardswish': return v * Math.max(0, Math.min(1, v / 6 + 0.5));
    case 'silu': return v / (1 + Math.exp(-v));
    case 'gelu': return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'gelu-tanh': return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    case 'leakyrelu': return Number.isNaN(v) ? v : v >= 0 ? v : act.alpha * v;
  }
}

/**
 * out[i * n + j] = alpha * sum_p A(i, p) B(p, j) in float64, and absSum[i * n + j] =
 * |alpha| * sum_p |A(i, p) B(p, j)| (what float rounding error is proportional to).
 */
export function gemmReference(
  A: ReferenceOperand, B: ReferenceOperand, m: number, n: number, k: number, alpha = 1,
): { out: Float64Array; absSum: Float64Array } {
  const out = new Float64Array(m * n);
  const absSum = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const prod = A.data[A.offset + i * A.rs + p * A.cs]! * B.data[B.offset + p * B.rs + j * B.cs]!;
        s += prod;
        t += Math.abs(prod);
      }
      out[i * n + j] = alpha * s;
      absSum[i * n + j] = Math.abs(alpha) * t;
    }
  }
  return { out, absSum };
}
