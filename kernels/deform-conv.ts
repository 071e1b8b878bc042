// DeformConv (2-D): a convolution whose every kernel tap samples the input at a learned offset.
//
//   y[n, o, i, j] = B[o] + sum_{c in group(o), a, b}
//       W[o, c', a, b] * mask[n, og(c), a, b, i, j] * bilinear(X[n, c], h, w)
//   h = i * sh - padTop  + a * dh + offset[n, og(c), a, b, 0, i, j]
//   w = j * sw - padLeft + b * dw + offset[n, og(c), a, b, 1, i, j]
//
// bilinear() reads 0 outside the image (each of the four corners separately), as the ONNX
// reference does through GridSample(align_corners=1, padding zeros); a non-finite sampling
// position reads 0. og(c) = c / (C / offsetGroups). Each (n, group) is computed by filling a
// column matrix [C/group * kh * kw, oh * ow] of sampled, masked values and multiplying it by the
// group's weights.

import type { FloatArray } from './arrays.js';
export type { FloatArray };

export interface DeformConvGeometry {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly height: number;
  readonly width: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** Padding before each axis (top, left). */
  readonly pads: readonly [number, number];
  readonly group: number;
  readonly offsetGroup: number;
}

/** Bilinear sample of one H x W plane at (h, w), zero outside. */
export function bilinearZero(x: FloatArray, base: number, H: number, W: number, h: number, w: number): number {
  if (!Number.isFinite(h) || !Number.isFinite(w)) return 0;
  const h0 = Math.floor(h);
  const w0 = Math.floor(w);
  const lh = h - h0;
  const lw = w - w0;
  let v = 0;
  if (h0 >= 0 && h0 < H) {
    const row = base + h0 * W;
    if (w0 >= 0 && w0 < W) v += (1 - lh) * (1 - lw) * x[row + w0]!;
    if (w0 + 1 >= 0 && w0 + 1 < W) v += (1 - lh) * lw * x[row + w0 + 1]!;
  }
  if (h0 + 1 >= 0 && h0 + 1 < H) {
    const row = base + (h0 + 1) * W;
    if (w0 >= 0 && w0 < W) v += lh * (1 - lw) * x[row + w0]!;
    if (w0 + 1 >= 0 && w0 + 1 < W) v += lh * lw * x[row + w0 + 1]!;
  }
  return v;
}

export function deformConv2d(
  x: FloatArray, weight: FloatArray, offset: FloatArray, bias: FloatArray | null, mask: FloatArray | null,
  y: FloatArray, g: DeformConvGeometry,
): void {
  const { batch: N, inChannels: C, outChannels: OC, height: H, width: W, outHeight: OH, outWidth: OW } = g;
  const [KH, KW] = g.kernel;
  const taps = KH * KW;
  const Q = OH * OW;
  const cPerGroup = C / g.group;
  const ocPerGroup = OC / g.group;
  const cPerOffsetGroup = C / g.offsetGroup;
  const rows = cPerGroup * taps;
  const col = new Float64Array(rows * Q);
  const acc = new Float64Array(Q);
  for (let n = 0; n < N; n++) {
    for (let gr = 0; gr < g.group; gr++) {
      // Fill the column matrix for this group's input channels.
      for (let cl = 0; cl < cPerGroup; cl++) {
        const c = gr * cPerGroup + cl;
        const og = Math.floor(c / cPerOffsetGroup);
        const xBase = (n * C + c) * H * W;
        for (let a = 0; a < KH; a++) {
          for (let b = 0; b < KW; b++) {
            const tap = a * KW + b;
            const offH = ((n * g.offsetGroup + og) * taps + tap) * 2 * Q;
            const offW = offH + Q;
            const maskBase = ((n * g.offsetGroup + og) * taps + tap) * Q;
            const rowBase = (cl * taps + tap) * Q;
            for (let i = 0; i < OH; i++) {
              const h0 = i * g.strides[0] - g.pads[0] + a * g.dilations[0];
              for (let j = 0; j < OW; j++) {
                const q = i * OW + j;
                const h = h0 + offset[offH + q]!;
                const w = j * g.strides[1] - g.pads[1] + b * g.dilations[1] + offset[offW + q]!;
                let v = bilinearZero(x, xBase, H, W, h, w);
                if (mask) v *= mask[maskBase + q]!;
                col[rowBase + q] = v;
              }
            }
          }
        }
      }
      for (let ol = 0; ol < ocPerGroup; ol++) {
        const o = gr * ocPerGroup + ol;
        acc.fill(bias ? bias[o]! : 0);
        const wBase = o * rows;
        for (let r = 0; r < rows; r++) {
          const wv = weight[wBase + r]!;
          const cb = r * Q;
          for (let q = 0; q < Q; q++) acc[q] += wv * col[cb + q]!;
        }
        const yBase = (n * OC + o) * Q;
        for (let q = 0; q < Q; q++) y[yBase + q] = acc[q]!;
      }
    }
  }
}
