// Float32 scaled dot-product attention read in place through strides: the kernel of the
// attention the planner recognises in a graph (softmax(Q K^T * scale + mask) V, one head per
// query head, no soft cap, no causal or padding bounds beyond an additive mask).
//
// Every operand is addressed as offset + b * strides[0] + h * strides[1] + s * strides[2] + d
// (feature stride 1); the mask as offset + b * strides[0] + h * strides[1] + i * strides[2] + j.
// Nothing is copied: keys and values are read where the graph left them.
//
// Its reference is attentionFloat (kernels/attention.ts, itself tested against a plain loop):
// for the same inputs this computes exactly what attentionFloat computes,
// the same float64 sums in the same order, the same softmax, the same treatment of rows whose
// mask is all -inf (zeros) and of NaN. It only skips work whose result is known: where the
// mask is -inf the score is -inf whatever Q K^T is, and a probability of exactly 0 adds exactly
// 0 to the output, as long as Q, K and V are finite there; a head with a non-finite Q row, K
// or V is computed in full, so that Inf and NaN propagate as they would.

/** Where one operand lives: element [b, h, s, d] at offset + b*s0 + h*s1 + s*s2 + d. */
export interface StridedView {
  readonly offset: number;
  readonly strides: readonly [number, number, number];
}

export interface StridedAttentionGeometry {
  readonly batch: number;
  readonly heads: number;
  readonly qSeq: number;
  readonly kvSeq: number;
  readonly headSize: number;
  readonly vHeadSize: number;
  readonly scale: number;
  readonly q: StridedView;
  readonly k: StridedView;
  readonly v: StridedView;
  /** Additive mask, columns (keys) contiguous; null for none. */
  readonly mask: StridedView | null;
  readonly out: StridedView;
}

/** Scores and output accumulator of one row, float64, grown and reused (kernels run synchronously). */
let rowScores = new Float64Array(64);
let rowAcc = new Float64Array(64);

/** True when a[off + r * stride + d] is finite for every r < rows, d < width. */
function allFinite(a: Float32Array, off: number, rows: number, stride: number, width: number): boolean {
  // x - x is 0 for a finite x and NaN for ±Inf and NaN: one sum tells, without a branch per element.
  let z = 0;
  for (let r = 0, o = off; r < rows; r++, o += stride) {
    for (let d = 0; d < width; d++) {
      const x = a[o + d]!;
      z += x - x;
    }
  }
  return z === 0;
}

/** out = softmax(q k^T * scale + mask) v, per batch, head and query row. */
export function attentionStridedF32(
  g: StridedAttentionGeometry, q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, out: Float32Array,
): void {
  const { batch, heads, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale } = g;
  if (rowScores.length < T) rowScores = new Float64Array(T);
  if (rowAcc.length < Dv) rowAcc = new Float64Array(Dv);
  const x = rowScores;
  const acc = rowAcc;
  const [qsb, qsh, qss] = g.q.strides;
  const [ksb, ksh, kss] = g.k.strides;
  const [vsb, vsh, vss] = g.v.strides;
  const [osb, osh, oss] = g.out.strides;
  const mv = g.mask;
  const [msb, msh, mss] = mv ? mv.strides : [0, 0, 0];
  const mOff = mv ? mv.offset : 0;
  // A float32 dot product is below 2^31 * 2^256 in magnitude: times a scale under 1e200 it stays
  // finite, so a score plus a -inf mask is -inf (a NaN or huge scale is computed in full).
  const scaleBounded = Math.abs(scale) < 1e200;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kBase = g.k.offset + b * ksb + h * ksh;
      const vBase = g.v.offset + b * vsb + h * vsh;
      const kvFinite = scaleBounded && allFinite(k, kBase, T, kss, D) && allFinite(v, vBase, T, vss, Dv);
      for (let i = 0; i < S; i++) {
        const qo = g.q.offset + b * qsb + h * qsh + i * qss;
        const skip = kvFinite && allFinite(q, qo, 1, 0, D);
        const mRow = mOff + b * msb + h * msh + i * mss;
        let maxBias = -Infinity;
        let maxX = -Infinity;
        let nan = false;
        for (let j = 0; j < T; j++) {
          const bias = mask !== null ? mask[mRow + j]! : 0;
          if (bias > maxBias || bias !== bias) maxBias = bias;
          if (skip && bias === -Infinity) {
            x[j] = -Infinity; // finite score + -inf: -inf, and neither the max nor NaN changes
            continue;
          }
          const ko = kBase + j * kss;
          let dot = 0;
          let d = 0;
          for (; d + 4 <= D; d += 4) {
            dot += q[qo + d]! * k[ko + d]!;
            dot += q[qo + d + 1]! * k[ko + d + 1]!;
            dot += q[qo + d + 2]! * k[ko + d + 2]!;
            dot += q[qo + d + 3]! * k[ko + d + 3]!;
          }
          for (; d < D; d++) dot += q[qo + d]! * k[ko + d]!;
          const xv = dot * scale + bias;
          x[j] = xv;
          if (xv > maxX) maxX = xv;
          else if (xv !== xv) nan = true;
        }
        let inv = 0;
        if (maxBias === -Infinity && T > 0) {
          x.fill(0, 0, T); // every key masked: weights 0 (still multiplied into V, as the reference does)
        } else {
          const m = nan ? NaN : maxX;
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = Math.exp(x[j]! - m);
            x[j] = e;
            sum += e;
          }
          inv = 1 / sum;
        }
        acc.fill(0, 0, Dv);
        for (let j = 0; j < T; j++) {
          const p = x[j]! * inv;
          if (skip && p === 0) continue; // 0 * finite v adds exactly 0
          const vo = vBase + j * vss;
          for (let d = 0; d < Dv; d++) acc[d] = acc[d]! + p * v[vo + d]!;
        }
        const oo = g.out.offset + b * osb + h * osh + i * oss;
        for (let d = 0; d < Dv; d++) out[oo + d] = acc[d]!;
      }
    }
  }
}
