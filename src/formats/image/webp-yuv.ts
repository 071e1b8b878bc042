// libwebp's YUV 4:2:0 -> RGB output path: "fancy" upsampling of chroma (9-3-3-1 filter over
// pairs of rows, UPSAMPLE_FUNC in dsp/upsampling.c) and the 14-bit fixed-point converters of dsp/yuv.h.

import type { YuvPlanes } from './webp-vp8.js';

const mulHi = (v: number, c: number): number => (v * c) >> 8;
const clip8 = (v: number): number => ((v & ~16383) === 0 ? v >> 6 : v < 0 ? 0 : 255);

function putRgb(y: number, u: number, v: number, out: Uint8Array, o: number): void {
  out[o] = clip8(mulHi(y, 19077) + mulHi(v, 26149) - 14234);
  out[o + 1] = clip8(mulHi(y, 19077) - mulHi(u, 6419) - mulHi(v, 13320) + 8708);
  out[o + 2] = clip8(mulHi(y, 19077) + mulHi(u, 33050) - 17685);
}

/** Converts the visible width x height area to interleaved RGB. */
export function yuvToRgb(f: YuvPlanes, out: Uint8Array): void {
  const { width: w, height: h, y: Y, u: U, v: V, yStride, uvStride } = f;
  const uvH = (h + 1) >> 1;
  const last = (w - 1) >> 1;
  for (let r = 0; r < h; r++) {
    // Row r pairs chroma rows (k-1, k) with k = ceil(r / 2); the top row and an even height's
    // last row use one chroma row twice, as libwebp's EmitFancyRGB does.
    const k = (r + 1) >> 1;
    const topRow = r === 0 ? 0 : k - 1;
    const curRow = r === 0 ? 0 : Math.min(k, uvH - 1);
    const isTop = r === 0 || (r & 1) === 1; // "top_dst" of a pair (nearer the earlier chroma row)
    const tu = topRow * uvStride;
    const cu = curRow * uvStride;
    const yRow = r * yStride;
    const o = r * w * 3;
    // near = chroma row closest to this output row, far = the other one
    const nu = isTop ? tu : cu;
    const fu = isTop ? cu : tu;
    let nearU = U[nu], nearV = V[nu], farU = U[fu], farV = V[fu];
    putRgb(Y[yRow], (3 * nearU + farU + 2) >> 2, (3 * nearV + farV + 2) >> 2, out, o);
    for (let x = 1; x <= last; x++) {
      const nU = U[nu + x], nV = V[nu + x], fU = U[fu + x], fV = V[fu + x];
      // tl = top-left, t = top, l = left, c = current (libwebp names), top meaning chroma row k-1
      const tlU = isTop ? nearU : farU, tlV = isTop ? nearV : farV;
      const tU = isTop ? nU : fU, tV = isTop ? nV : fV;
      const lU = isTop ? farU : nearU, lV = isTop ? farV : nearV;
      const cU = isTop ? fU : nU, cV = isTop ? fV : nV;
      const avgU = tlU + tU + lU + cU + 8;
      const avgV = tlV + tV + lV + cV + 8;
      const d12U = (avgU + 2 * (tU + lU)) >> 3, d12V = (avgV + 2 * (tV + lV)) >> 3;
      const d03U = (avgU + 2 * (tlU + cU)) >> 3, d03V = (avgV + 2 * (tlV + cV)) >> 3;
      if (isTop) {
        putRgb(Y[yRow + 2 * x - 1], (d12U + tlU) >> 1, (d12V + tlV) >> 1, out, o + 3 * (2 * x - 1));
        putRgb(Y[yRow + 2 * x], (d03U + tU) >> 1, (d03V + tV) >> 1, out, o + 3 * (2 * x));
      } else {
        putRgb(Y[yRow + 2 * x - 1], (d03U + lU) >> 1, (d03V + lV) >> 1, out, o + 3 * (2 * x - 1));
        putRgb(Y[yRow + 2 * x], (d12U + cU) >> 1, (d12V + cV) >> 1, out, o + 3 * (2 * x));
      }
      nearU = nU;
      nearV = nV;
      farU = fU;
      farV = fV;
    }
    if (!(w & 1)) {
      putRgb(Y[yRow + w - 1], (3 * nearU + farU + 2) >> 2, (3 * nearV + farV + 2) >> 2, out, o + 3 * (w - 1));
    }
  }
}
