// ai.onnx.ml post_transform on rows of scores: NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO, PROBIT.

export const enum PostTransform { NONE = 0, SOFTMAX = 1, LOGISTIC = 2, SOFTMAX_ZERO = 3, PROBIT = 4 }

export const POST_TRANSFORM_NAMES = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'] as const;

export function logistic(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function probit(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Applies `t` in place to each of `rows` rows of `width` scores. SOFTMAX subtracts the row max;
 * SOFTMAX_ZERO leaves zero scores at zero and takes the softmax over the others.
 */
export function postTransformRows(s: Float64Array, rows: number, width: number, t: PostTransform): void {
  switch (t) {
    case PostTransform.NONE:
      return;
    case PostTransform.LOGISTIC:
      for (let i = 0; i < rows * width; i++) s[i] = logistic(s[i]!);
      return;
    case PostTransform.PROBIT:
      for (let i = 0; i < rows * width; i++) s[i] = probit(s[i]!);
      return;
    case PostTransform.SOFTMAX:
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        let m = -Infinity;
        for (let j = o; j < o + width; j++) if (s[j]! > m) m = s[j]!;
        let sum = 0;
        for (let j = o; j < o + width; j++) {
          s[j] = Math.exp(s[j]! - m);
          sum += s[j]!;
        }
        for (let j = o; j < o + width; j++) s[j] /= sum;
      }
      return;
    case PostTransform.SOFTMAX_ZERO:
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        let m = -Infinity;
        for (let j = o; j < o + width; j++) if (s[j] !== 0 && s[j]! > m) m = s[j]!;
        let sum = 0;
        for (let j = o; j < o + width; j++) {
          s[j] = s[j] === 0 ? 0 : Math.exp(s[j]! - m);
          sum += s[j]!;
        }
        if (sum > 0) for (let j = o; j < o + width; j++) s[j] /= sum;
      }
  }
}
