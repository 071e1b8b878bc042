// Normalisation kernels: batch / instance / group / layer / RMS / Lp / mean-variance
// normalisation and local response normalisation. Statistics are accumulated in
// float64 (JS numbers) with two passes (mean, then squared deviations), whatever the
// storage type; variances are population variances.

import type { FloatArray } from './arrays.js';

/**
 * Inference batch norm over x viewed as [n, c, spatial]:
 * y = (x - mean[c]) / sqrt(variance[c] + epsilon) * scale[c] + bias[c].
 */
export function batchNormFloat(
  x: FloatArray, out: FloatArray,
  scale: FloatArray, bias: FloatArray, mean: FloatArray, variance: FloatArray,
  epsilon: number, n: number, c: number, spatial: number,
): void {
  for (let ch = 0; ch < c; ch++) {
    const a = scale[ch]! / Math.sqrt(variance[ch]! + epsilon);
    const m = mean[ch]!;
    const b = bias[ch]!;
    for (let b0 = 0; b0 < n; b0++) {
      const base = (b0 * c + ch) * spatial;
      for (let i = 0; i < spatial; i++) out[base + i] = (x[base + i]! - m) * a + b;
    }
  }
}

/** Per-channel mean and population variance of x viewed as [n, c, spatial]. */
export function channelMeanVarianceFloat(
  x: FloatArray, mean: FloatArray, variance: FloatArray, n: number, c: number, spatial: number,
): void {
  const count = n * spatial;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let b0 = 0; b0 < n; b0++) {
      const base = (b0 * c + ch) * spatial;
      for (let i = 0; i < spatial; i++) sum += x[base + i]!;
    }
    const m = sum / count;
    let sq = 0;
    for (let b0 = 0; b0 < n; b0++) {
      const base = (b0 * c + ch) * spatial;
      for (let i = 0; i < spatial; i++) {
        const d = x[base + i]! - m;
        sq += d * d;
      }
    }
    mean[ch] = m;
    variance[ch] = sq / count;
  }
}

/** out = running * momentum + current * (1 - momentum), elementwise. */
export function runningAverageFloat(
  running: FloatArray, current: FloatArray, momentum: number, out: FloatArray,
): void {
  for (let i = 0; i < out.length; i++) out[i] = running[i]! * momentum + current[i]! * (1 - momentum);
}

/**
 * Group normalisation of x viewed as [n, c, spatial] with `groups` groups of c / groups
 * channels each; statistics per (batch, group). The affine parameters are per channel
 * (`perChannel`, scale/bias of length c) or per group (length groups). Instance norm is
 * groups = c with per-channel parameters.
 */
export function groupNormFloat(
  x: FloatArray, out: FloatArray, scale: FloatArray, bias: FloatArray,
  n: number, c: number, groups: number, spatial: number, epsilon: number, perChannel: boolean,
): void {
  const perGroup = c / groups;
  const len = perGroup * spatial;
  for (let b0 = 0; b0 < n; b0++) {
    for (let g = 0; g < groups; g++) {
      const base = (b0 * c + g * perGroup) * spatial;
      let sum = 0;
      for (let i = 0; i < len; i++) sum += x[base + i]!;
      const m = sum / len;
      let sq = 0;
      for (let i = 0; i < len; i++) {
        const d = x[base + i]! - m;
        sq += d * d;
      }
      const inv = 1 / Math.sqrt(sq / len + epsilon);
      for (let k = 0; k < perGroup; k++) {
        const p = perChannel ? g * perGroup + k : g;
        const a = scale[p]! * inv;
        const bb = bias[p]!;
        const cb = base + k * spatial;
        for (let i = 0; i < spatial; i++) out[cb + i] = (x[cb + i]! - m) * a + bb;
      }
    }
  }
}

/**
 * Standardises each row of x viewed as [rows, cols]: out = (x - mean) / sqrt(var + epsilon).
 * `meanOut` / `invStdOut` (length rows, or null) receive the statistics.
 */
export function standardizeRowsFloat(
  x: FloatArray, out: FloatArray, rows: number, cols: number, epsilon: number,
  meanOut: FloatArray | null, invStdOut: FloatArray | null,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += x[base + i]!;
    const m = sum / cols;
    let sq = 0;
    for (let i = 0; i < cols; i++) {
      const d = x[base + i]! - m;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / cols + epsilon);
    for (let i = 0; i < cols; i++) out[base + i] = (x[base + i]! - m) * inv;
    if (meanOut !== null) meanOut[r] = m;
    if (invStdOut !== null) invStdOut[r] = inv;
  }
}

/** Scales each row of x viewed as [rows, cols] by 1 / sqrt(mean(x^2) + epsilon). */
export function rmsNormalizeRowsFloat(
  x: FloatArray, out: FloatArray, rows: number, cols: number, epsilon: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sq = 0;
    for (let i = 0; i < cols; i++) {
      const v = x[base + i]!;
      sq += v * v;
    }
    const inv = 1 / Math.sqrt(sq / cols + epsilon);
    for (let i = 0; i < cols; i++) out[base + i] = x[base + i]! * inv;
  }
}

/**
 * In place, out = out * scale[scaleIndex[.]] + bias[biasIndex[.]] over [rows, cols].
 * An index map of length cols is shared by every row; one of length rows * cols holds
 * an entry per element (parameters that broadcast across rows too). `bias` may be null.
 */
export function affineRowsFloat(
  out: FloatArray, rows: number, cols: number,
  scale: FloatArray, scaleIndex: Int32Array,
  bias: FloatArray | null, biasIndex: Int32Array | null,
): void {
  const scaleRows = scaleIndex.length > cols;
  const biasRows = biasIndex !== null && biasIndex.length > cols;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const sb = scaleRows ? base : 0;
    if (bias === null || biasIndex === null) {
      for (let i = 0; i < cols; i++) out[base + i] = out[base + i]! * scale[scaleIndex[sb + i]!]!;
    } else {
      const bb = biasRows ? base : 0;
      for (let i = 0; i < cols; i++) {
        out[base + i] = out[base + i]! * scale[scaleIndex[sb + i]!]! + bias[biasIndex[bb + i]!]!;
      }
    }
  }
}

/** Divides x viewed as [outer, n, inner] by the Lp norm (sum |x|^p)^(1/p) along n; a zero norm gives 0. */
export function lpNormalizeFloat(
  x: FloatArray, out: FloatArray, outer: number, n: number, inner: number, p: number,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let norm: number;
      if (p === 2) {
        let sq = 0;
        for (let k = 0, q = base; k < n; k++, q += inner) sq += x[q]! * x[q]!;
        norm = Math.sqrt(sq);
      } else if (p === 1) {
        let s = 0;
        for (let k = 0, q = base; k < n; k++, q += inner) s += Math.abs(x[q]!);
        norm = s;
      } else {
        let s = 0;
        for (let k = 0, q = base; k < n; k++, q += inner) s += Math.abs(x[q]!) ** p;
        norm = s ** (1 / p);
      }
      // A zero norm gives zeros (onnxruntime and the ONNX node tests), not 0 / 0.
      if (norm === 0) for (let k = 0, q = base; k < n; k++, q += inner) out[q] = 0;
      else for (let k = 0, q = base; k < n; k++, q += inner) out[q] = x[q]! / norm;
    }
  }
}

/**
 * Mean-variance normalisation over arbitrary axes: `group[i]` names the statistics group
 * of element i (0 <= group[i] < groups). out = (x - mean) / (sqrt(var) + epsilon), as the
 * MeanVarianceNormalization function body defines it.
 */
export function meanVarianceNormalizeFloat(
  x: FloatArray, out: FloatArray, group: Int32Array, groups: number, epsilon: number,
): void {
  const mean = new Float64Array(groups);
  const sq = new Float64Array(groups);
  const count = new Float64Array(groups);
  const len = x.length;
  for (let i = 0; i < len; i++) {
    const g = group[i]!;
    mean[g] = mean[g]! + x[i]!;
    count[g] = count[g]! + 1;
  }
  for (let g = 0; g < groups; g++) mean[g] = mean[g]! / count[g]!;
  for (let i = 0; i < len; i++) {
    const g = group[i]!;
    const d = x[i]! - mean[g]!;
    sq[g] = sq[g]! + d * d;
  }
  for (let g = 0; g < groups; g++) sq[g] = Math.sqrt(sq[g]! / count[g]!) + epsilon;
  for (let i = 0; i < len; i++) {
    const g = group[i]!;
    out[i] = (x[i]! - mean[g]!) / sq[g]!;
  }
}

/**
 * Local response normalisation across channels of x viewed as [n, c, spatial]:
 * y = x / (bias + alpha / size * sum of x^2 over channels
 *      [ch - floor((size - 1) / 2), ch + ceil((size - 1) / 2)]) ^ beta.
 */
export function lrnFloat(
  x: FloatArray, out: FloatArray, n: number, c: number, spatial: number,
  size: number, alpha: number, beta: number, bias: number,
): void {
  const before = Math.floor((size - 1) / 2);
  const after = Math.ceil((size - 1) / 2);
  const k = alpha / size;
  for (let b0 = 0; b0 < n; b0++) {
    const nb = b0 * c * spatial;
    for (let ch = 0; ch < c; ch++) {
      const lo = Math.max(0, ch - before);
      const hi = Math.min(c - 1, ch + after);
      const cb = nb + ch * spatial;
      for (let i = 0; i < spatial; i++) {
        let sq = 0;
        for (let j = lo; j <= hi; j++) {
          const v = x[nb + j * spatial + i]!;
          sq += v * v;
        }
        out[cb + i] = x[cb + i]! / (bias + k * sq) ** beta;
      }
    }
  }
}

/**
 * LayerNormalization of float32 rows in one call: out = f32((x - mean) * invStd) * scale + bias
 * per row of x viewed as [rows, cols], with scale and bias (or null) one value per column. The
 * same float64 statistics and the same two float32 roundings as standardizeRowsFloat followed by
 * affineRowsFloat with identity index maps (its reference; a property test holds them bit-equal),
 * without their per-element index loads, the second pass over the output, or polymorphic
 * element access: the Transformer's LayerNorms, where rows are short and many.
 */
export function layerNormRowsF32(
  x: Float32Array, out: Float32Array, rows: number, cols: number, epsilon: number,
  scale: Float32Array | null, bias: Float32Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += x[base + i]!;
    const m = sum / cols;
    let sq = 0;
    for (let i = 0; i < cols; i++) {
      const d = x[base + i]! - m;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / cols + epsilon);
    if (scale === null) {
      for (let i = 0; i < cols; i++) out[base + i] = (x[base + i]! - m) * inv;
    } else if (bias === null) {
      for (let i = 0; i < cols; i++) out[base + i] = Math.fround((x[base + i]! - m) * inv) * scale[i]!;
    } else {
      for (let i = 0; i < cols; i++) out[base + i] = Math.fround((x[base + i]! - m) * inv) * scale[i]! + bias[i]!;
    }
  }
}
