// Plain reference convolution: the textbook sum over every tap in float64, what every fast
// float32 conv kernel is property-tested against. Not for production use.

import type { ConvGeometry } from '../conv.js';

function product(v: readonly number[]): number {
  let n = 1;
  for (const d of v) n *= d;
  return n;
}

/** Multi-index of flat index `f` over `dims` (row-major). */
function unravel(f: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = f % dims[d]!;
    f = Math.floor(f / dims[d]!);
  }
  return idx;
}

/**
 * y[n, m, o...] = bias[m] + sum_{c, k...} x[n, g*Cg + c, o*s - p + k*d] * w[m, c, k...] (taps in
 * the padding read 0), and absSum: the same sum of absolute values (for error bounds).
 */
export function convReference(
  x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeometry,
): { out: Float64Array; absSum: Float64Array } {
  const Cg = g.inChannels / g.group;
  const Mg = g.outChannels / g.group;
  const outSp = product(g.outSize);
  const inSp = product(g.inSize);
  const taps = product(g.kernel);
  const out = new Float64Array(g.batch * g.outChannels * outSp);
  const absSum = new Float64Array(out.length);
  for (let n = 0; n < g.batch; n++) {
    for (let m = 0; m < g.outChannels; m++) {
      const grp = Math.floor(m / Mg);
      for (let q = 0; q < outSp; q++) {
        const o = unravel(q, g.outSize);
        let s = bias ? bias[m]! : 0;
        let t = Math.abs(s);
        for (let c = 0; c < Cg; c++) {
          for (let tap = 0; tap < taps; tap++) {
            const k = unravel(tap, g.kernel);
            let xi = 0;
            let inside = true;
            for (let a = 0; a < o.length; a++) {
              const pos = o[a]! * g.strides[a]! - g.padsBegin[a]! + k[a]! * g.dilations[a]!;
              if (pos < 0 || pos >= g.inSize[a]!) inside = false;
              xi = xi * g.inSize[a]! + pos;
            }
            // A tap in the padding reads a zero (as numpy's pad-then-multiply does: 0 * Inf is NaN).
            const xv = inside ? x[(n * g.inChannels + grp * Cg + c) * inSp + xi]! : 0;
            const prod = xv * w[(m * Cg + c) * taps + tap]!;
            s += prod;
            t += Math.abs(prod);
          }
        }
        out[(n * g.outChannels + m) * outSp + q] = s;
        absSum[(n * g.outChannels + m) * outSp + q] = t;
      }
    }
  }
  return { out, absSum };
}
