// Scaled dot-product attention (ONNX Attention, FlexAttention) over float arrays.
//
// Layout: queries and outputs are addressed through [batch, head, position] strides with
// the feature axis contiguous, so 3-D packed inputs ([B, S, H*D]) and 4-D inputs
// ([B, H, S, D]) share one kernel. Keys and values are contiguous [B, Hkv, T, D].
// Grouped-query attention: query head h reads key/value head floor(h / (Hq / Hkv)).
//
// Per query row the Attention kernel follows the ONNX function body, in order:
//   s_j = scale * (q . k_j)                         (qk mode 0)
//   s_j = softcap * tanh(s_j / softcap) if softcap>0 (qk mode 1)
//   x_j = s_j + bias_j                               (qk mode 2)
//   p   = softmax(x), or 0 when every bias_j is -inf (qk mode 3)
//   y   = sum_j p_j v_j
// where bias_j = mask (additive; -inf past the mask's last column) + causal (-inf for
// j > i + causalOffset[b]) + padding (-inf for j >= kvValid[b]).

import type { FloatArray } from './arrays.js';

export interface AttentionLayout {
  readonly batch: number;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly qSeq: number;
  /** Total key/value length (past + new). */
  readonly kvSeq: number;
  readonly headSize: number;
  readonly vHeadSize: number;
  /** Strides of q per batch, head, position (feature stride 1). */
  readonly qStrides: readonly [number, number, number];
  /** Strides of the output per batch, head, position (feature stride 1). */
  readonly outStrides: readonly [number, number, number];
}

export interface AttentionOptions {
  readonly scale: number;
  /** 0 disables the soft cap. */
  readonly softcap: number;
  /** Additive mask, read at b*maskStrides[0] + h*maskStrides[1] + i*maskStrides[2] + j. */
  readonly mask: FloatArray | null;
  readonly maskStrides: readonly [number, number, number];
  /** Columns the mask covers; keys at or past this column are masked out (-inf). */
  readonly maskCols: number;
  /** Per batch: query i may see key j only when j <= i + offset. null = not causal. */
  readonly causalOffset: Int32Array | null;
  /** Per batch: keys at or past this index are padding. null = all keys valid. */
  readonly kvValid: Int32Array | null;
  /** Which intermediate to write to qkOut ([B, Hq, S, T]): 0..3, or -1 for none. */
  readonly qkMode: number;
}

/**
 * Per-row float64 scratch of attentionFloat (scores, capped, biased, probabilities, accumulator),
 * grown and reused: kernels run synchronously, and a steady-state run then allocates none.
 */
const rowBuffers = [0, 1, 2, 3, 4].map(() => new Float64Array(0));
function rowScratch(which: number, n: number): Float64Array {
  if (rowBuffers[which]!.length < n) rowBuffers[which] = new Float64Array(n);
  return rowBuffers[which]!;
}

/**
 * Attention forward pass. `out` is addressed by layout.outStrides; `qkOut` (when qkMode >= 0)
 * is a contiguous [B, Hq, S, T] array.
 */
export function attentionFloat(
  layout: AttentionLayout, opts: AttentionOptions,
  q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, qkOut: FloatArray | null,
): void {
  const { batch, qHeads, kvHeads, qSeq, kvSeq: T, headSize: D, vHeadSize: Dv } = layout;
  const [qsb, qsh, qss] = layout.qStrides;
  const [osb, osh, oss] = layout.outStrides;
  const { scale, softcap, mask, maskCols, causalOffset, kvValid, qkMode } = opts;
  const [msb, msh, mss] = opts.maskStrides;
  const group = qHeads / kvHeads;
  const raw = rowScratch(0, T);
  const capped = rowScratch(1, T);
  const x = rowScratch(2, T);
  const p = rowScratch(3, T);
  const acc = rowScratch(4, Dv);
  for (let b = 0; b < batch; b++) {
    const valid = kvValid ? kvValid[b]! : T;
    for (let h = 0; h < qHeads; h++) {
      const kvh = Math.floor(h / group);
      const kBase = (b * kvHeads + kvh) * T * D;
      const vBase = (b * kvHeads + kvh) * T * Dv;
      for (let i = 0; i < qSeq; i++) {
        const qOff = b * qsb + h * qsh + i * qss;
        const limit = causalOffset ? i + causalOffset[b]! : T;
        const mRow = b * msb + h * msh + i * mss;
        let maxBias = -Infinity;
        let maxX = -Infinity;
        let nan = false;
        for (let j = 0; j < T; j++) {
          let dot = 0;
          const kOff = kBase + j * D;
          for (let d = 0; d < D; d++) dot += q[qOff + d]! * k[kOff + d]!;
          const s = dot * scale;
          raw[j] = s;
          const c = softcap > 0 ? softcap * Math.tanh(s / softcap) : s;
          capped[j] = c;
          let bias = 0;
          if (mask) bias = j < maskCols ? mask[mRow + j]! : -Infinity;
          if (j > limit) bias += -Infinity;
          if (j >= valid) bias += -Infinity;
          if (bias > maxBias || bias !== bias) maxBias = bias;
          const xv = c + bias;
          x[j] = xv;
          if (xv > maxX) maxX = xv;
          else if (xv !== xv) nan = true;
        }
        const allMasked = maxBias === -Infinity && T > 0;
        if (allMasked) {
          p.fill(0, 0, T);
        } else {
          const m = nan ? NaN : maxX;
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = Math.exp(x[j]! - m);
            p[j] = e;
            sum += e;
          }
          const inv = 1 / sum;
          for (let j = 0; j < T; j++) p[j] = p[j]! * inv;
        }
        if (qkOut) {
          const src = qkMode === 0 ? raw : qkMode === 1 ? capped : qkMode === 2 ? x : p;
          const base = ((b * qHeads + h) * qSeq + i) * T;
          for (let j = 0; j < T; j++) qkOut[base + j] = src[j]!;
        }
        acc.fill(0, 0, Dv);
        for (let j = 0; j < T; j++) {
          const pj = p[j]!;
          const vOff = vBase + j * Dv;
          for (let d = 0; d < Dv; d++) acc[d] = acc[d]! + pj * v[vOff + d]!;
        }
        const oOff = b * osb + h * osh + i * oss;
        for (let d = 0; d < Dv; d++) out[oOff + d] = acc[d]!;
      }
    }
  }
}

/**
 * Writes the key/value cache [B, H, past + cur, D]: the past rows (contiguous
 * [B, H, past, D], or none) followed by the new rows read through `curStrides`
 * (batch, head, position; feature stride 1).
 */
export function appendKvCache(
  past: FloatArray | null, cur: FloatArray, curStrides: readonly [number, number, number],
  out: FloatArray, batch: number, heads: number, pastLen: number, curLen: number, dim: number,
): void {
  const total = pastLen + curLen;
  const [sb, sh, ss] = curStrides;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const dst = (b * heads + h) * total * dim;
      if (past) {
        const src = (b * heads + h) * pastLen * dim;
        for (let e = 0; e < pastLen * dim; e++) out[dst + e] = past[src + e]!;
      }
      for (let s = 0; s < curLen; s++) {
        const src = b * sb + h * sh + s * ss;
        const o = dst + (pastLen + s) * dim;
        for (let d = 0; d < dim; d++) out[o + d] = cur[src + d]!;
      }
    }
  }
}

/**
 * scores[b, h, i, j] = scale * (q[b, h, i] . k[b, h / group, j]) for contiguous
 * q [B, Hq, S, D], k [B, Hkv, T, D], scores [B, Hq, S, T].
 */
export function attentionScoresFloat(
  q: FloatArray, k: FloatArray, scores: FloatArray,
  batch: number, qHeads: number, kvHeads: number, qSeq: number, kvSeq: number, dim: number, scale: number,
): void {
  const group = qHeads / kvHeads;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < qHeads; h++) {
      const kBase = (b * kvHeads + Math.floor(h / group)) * kvSeq * dim;
      for (let i = 0; i < qSeq; i++) {
        const qOff = ((b * qHeads + h) * qSeq + i) * dim;
        const sOff = ((b * qHeads + h) * qSeq + i) * kvSeq;
        for (let j = 0; j < kvSeq; j++) {
          const kOff = kBase + j * dim;
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += q[qOff + d]! * k[kOff + d]!;
          scores[sOff + j] = dot * scale;
        }
      }
    }
  }
}

/** out[b, h, i] = sum_j probs[b, h, i, j] * v[b, h / group, j] for contiguous arrays. */
export function attentionApplyFloat(
  probs: FloatArray, v: FloatArray, out: FloatArray,
  batch: number, qHeads: number, kvHeads: number, qSeq: number, kvSeq: number, vDim: number,
): void {
  const group = qHeads / kvHeads;
  const acc = new Float64Array(vDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < qHeads; h++) {
      const vBase = (b * kvHeads + Math.floor(h / group)) * kvSeq * vDim;
      for (let i = 0; i < qSeq; i++) {
        const pOff = ((b * qHeads + h) * qSeq + i) * kvSeq;
        acc.fill(0);
        for (let j = 0; j < kvSeq; j++) {
          const pj = probs[pOff + j]!;
          const vOff = vBase + j * vDim;
          for (let d = 0; d < vDim; d++) acc[d] = acc[d]! + pj * v[vOff + d]!;
        }
        const oOff = ((b * qHeads + h) * qSeq + i) * vDim;
        for (let d = 0; d < vDim; d++) out[oOff + d] = acc[d]!;
      }
    }
  }
}
