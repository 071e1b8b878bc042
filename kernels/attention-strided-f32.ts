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

/** Scores of one row (float64) and the keys that need one, grown and reused (kernels run synchronously). */
let rowScores = new Float64Array(64);
let rowKeys = new Int32Array(64);

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

/**
 * out = softmax(q k^T * scale + mask) v, per batch, head and query row. Four keys' scores at a
 * time (the query row read once for four dot products) and four output features at a time (each
 * weight read once for four), every sum still in the order attentionFloat takes.
 */
export function attentionStridedF32(
  g: StridedAttentionGeometry, q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, out: Float32Array,
): void {
  const { batch, heads, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale } = g;
  if (rowScores.length < T) {
    rowScores = new Float64Array(T);
    rowKeys = new Int32Array(T);
  }
  const x = rowScores;
  const keys = rowKeys;
  const [qsb, qsh, qss] = g.q.strides;
  const [ksb, ksh, kss] = g.k.strides;
  const [vsb, vsh, vss] = g.v.strides;
  const [osb, osh, oss] = g.out.strides;
  const mv = g.mask;
  const msb = mv ? mv.strides[0] : 0, msh = mv ? mv.strides[1] : 0, mss = mv ? mv.strides[2] : 0;
  const mOff = mv ? mv.offset : 0;
  // A float32 dot product is below 2^31 * 2^256 in magnitude: times a scale under 1e200 it stays
  // finite, so a score plus a -inf mask is -inf (a NaN or huge scale is computed in full).
  const scaleBounded = Math.abs(scale) < 1e200;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kBase = g.k.offset + b * ksb + h * ksh;
      const vBase = g.v.offset + b * vsb + h * vsh;
      const qHead = g.q.offset + b * qsb + h * qsh;
      const skip = scaleBounded && allFinite(k, kBase, T, kss, D) && allFinite(v, vBase, T, vss, Dv) && allFinite(q, qHead, S, qss, D);
      for (let i = 0; i < S; i++) {
        const qo = qHead + i * qss;
        const mRow = mOff + b * msb + h * msh + i * mss;
        // Biases, and the keys whose score is needed (with finite inputs, not the -inf-masked).
        let maxBias = -Infinity;
        let need = 0;
        for (let j = 0; j < T; j++) {
          const bias = mask !== null ? mask[mRow + j]! : 0;
          if (bias > maxBias || bias !== bias) maxBias = bias;
          x[j] = bias;
          if (!(skip && bias === -Infinity)) keys[need++] = j; // else the score is -inf: x[j] already
        }
        let maxX = -Infinity;
        let nan = false;
        let t = 0;
        for (; t + 4 <= need; t += 4) {
          const j0 = keys[t]!, j1 = keys[t + 1]!, j2 = keys[t + 2]!, j3 = keys[t + 3]!;
          const k0 = kBase + j0 * kss, k1 = kBase + j1 * kss, k2 = kBase + j2 * kss, k3 = kBase + j3 * kss;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let d = 0; d < D; d++) {
            const qd = q[qo + d]!;
            s0 += qd * k[k0 + d]!;
            s1 += qd * k[k1 + d]!;
            s2 += qd * k[k2 + d]!;
            s3 += qd * k[k3 + d]!;
          }
          const x0 = s0 * scale + x[j0]!, x1 = s1 * scale + x[j1]!, x2 = s2 * scale + x[j2]!, x3 = s3 * scale + x[j3]!;
          x[j0] = x0; x[j1] = x1; x[j2] = x2; x[j3] = x3;
          if (x0 > maxX) maxX = x0; else if (x0 !== x0) nan = true;
          if (x1 > maxX) maxX = x1; else if (x1 !== x1) nan = true;
          if (x2 > maxX) maxX = x2; else if (x2 !== x2) nan = true;
          if (x3 > maxX) maxX = x3; else if (x3 !== x3) nan = true;
        }
        for (; t < need; t++) {
          const j = keys[t]!;
          const ko = kBase + j * kss;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d]! * k[ko + d]!;
          const xv = dot * scale + x[j]!;
          x[j] = xv;
          if (xv > maxX) maxX = xv; else if (xv !== xv) nan = true;
        }
        // Weights: softmax, or 0 for every key when the mask keeps none (still multiplied into
        // V below, as the reference does).
        if (maxBias === -Infinity && T > 0) {
          x.fill(0, 0, T);
        } else {
          const m = nan ? NaN : maxX;
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = Math.exp(x[j]! - m);
            x[j] = e;
            sum += e;
          }
          const inv = 1 / sum;
          for (let j = 0; j < T; j++) x[j] = x[j]! * inv;
        }
        // out = sum_j p_j v_j, four features per pass; 0 * finite v adds exactly 0 and is skipped.
        const oo = g.out.offset + b * osb + h * osh + i * oss;
        let d0 = 0;
        for (; d0 + 4 <= Dv; d0 += 4) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let j = 0; j < T; j++) {
            const p = x[j]!;
            if (skip && p === 0) continue;
            const vo = vBase + j * vss + d0;
            a0 += p * v[vo]!;
            a1 += p * v[vo + 1]!;
            a2 += p * v[vo + 2]!;
            a3 += p * v[vo + 3]!;
          }
          out[oo + d0] = a0; out[oo + d0 + 1] = a1; out[oo + d0 + 2] = a2; out[oo + d0 + 3] = a3;
        }
        for (; d0 < Dv; d0++) {
          let a = 0;
          for (let j = 0; j < T; j++) {
            const p = x[j]!;
            if (skip && p === 0) continue;
            a += p * v[vBase + j * vss + d0]!;
          }
          out[oo + d0] = a;
        }
      }
    }
  }
}

/**
 * A boolean attention mask (nonzero = masked) as the additive mask this kernel reads: 0 where
 * kept, -inf where masked, `rows` rows of `cols`. False when some row masks every key (softmax
 * over a row of -inf is NaN, not what this kernel gives), with `out` then partly written.
 */
export function additiveMaskF32(mask: Uint8Array, out: Float32Array, rows: number, cols: number): boolean {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let kept = false;
    for (let j = 0; j < cols; j++) {
      const masked = mask[o + j] !== 0;
      out[o + j] = masked ? -Infinity : 0;
      kept ||= !masked;
    }
    if (!kept && cols > 0) return false;
  }
  return true;
}

/** Whether every one of the first n elements of a is finite. */
export function allFiniteF32(a: Float32Array, n: number): boolean {
  return allFinite(a, 0, 1, 0, n);
}
