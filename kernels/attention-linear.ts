// Recurrent linear attention (ONNX LinearAttention, opset 27).
//
// Inputs are packed [B, T, H*D]. Per batch and key/value head the state S is a
// [dk, dv] matrix (row = key feature). Each step t, with g = decay, beta = step size:
//   gated rules:  S = exp(g) * S        (g per key feature, or one per head)
//   delta rules:  S = S + k ⊗ (beta * (v - S^T k))
//   other rules:  S = S + k ⊗ v
//   o_h = scale * q_h^T S   for every query head h of the group (h / (Hq/Hkv) = kv head)
// The state is kept in float64 while it runs.

import type { FloatArray } from './arrays.js';

export interface LinearAttentionLayout {
  readonly batch: number;
  readonly seq: number;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly scale: number;
  /** Apply exp(decay) before the update. */
  readonly gated: boolean;
  /** Use the delta rule (needs beta). */
  readonly delta: boolean;
  /** Decay values per step: kvHeads * keyDim (per feature) or kvHeads (per head). */
  readonly decayWidth: number;
  /** Beta values per step: kvHeads or 1. */
  readonly betaWidth: number;
}

/**
 * `state` holds the initial state [B, Hkv, dk, dv] on entry (zeros when there is no past)
 * and the final state on return. `out` is [B, T, Hq*dv].
 */
export function linearAttentionFloat(
  l: LinearAttentionLayout, q: FloatArray, k: FloatArray, v: FloatArray,
  decay: FloatArray | null, beta: FloatArray | null, state: Float64Array, out: FloatArray,
): void {
  const { batch, seq, qHeads, kvHeads, keyDim: dk, valueDim: dv, scale, decayWidth, betaWidth } = l;
  const group = qHeads / kvHeads;
  const retrieved = new Float64Array(dv);
  const perFeature = decayWidth === kvHeads * dk;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const bt = b * seq + t;
      for (let kh = 0; kh < kvHeads; kh++) {
        const sBase = (b * kvHeads + kh) * dk * dv;
        const kOff = bt * kvHeads * dk + kh * dk;
        const vOff = bt * kvHeads * dv + kh * dv;
        if (l.gated && decay) {
          for (let r = 0; r < dk; r++) {
            const g = Math.exp(decay[bt * decayWidth + (perFeature ? kh * dk + r : kh)]!);
            const row = sBase + r * dv;
            for (let c = 0; c < dv; c++) state[row + c] = state[row + c]! * g;
          }
        }
        if (l.delta && beta) {
          const bv = beta[bt * betaWidth + (betaWidth === 1 ? 0 : kh)]!;
          retrieved.fill(0);
          for (let r = 0; r < dk; r++) {
            const kr = k[kOff + r]!;
            const row = sBase + r * dv;
            for (let c = 0; c < dv; c++) retrieved[c] = retrieved[c]! + state[row + c]! * kr;
          }
          for (let c = 0; c < dv; c++) retrieved[c] = bv * (v[vOff + c]! - retrieved[c]!);
          for (let r = 0; r < dk; r++) {
            const kr = k[kOff + r]!;
            const row = sBase + r * dv;
            for (let c = 0; c < dv; c++) state[row + c] = state[row + c]! + kr * retrieved[c]!;
          }
        } else {
          for (let r = 0; r < dk; r++) {
            const kr = k[kOff + r]!;
            const row = sBase + r * dv;
            for (let c = 0; c < dv; c++) state[row + c] = state[row + c]! + kr * v[vOff + c]!;
          }
        }
        for (let g = 0; g < group; g++) {
          const h = kh * group + g;
          const qOff = bt * qHeads * dk + h * dk;
          const oOff = bt * qHeads * dv + h * dv;
          for (let c = 0; c < dv; c++) {
            let acc = 0;
            for (let r = 0; r < dk; r++) acc += q[qOff + r]! * state[sBase + r * dv + c]!;
            out[oOff + c] = scale * acc;
          }
        }
      }
    }
  }
}
