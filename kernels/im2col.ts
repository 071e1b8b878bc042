// im2col / col2im over 3-D spatial volumes (1-D and 2-D convolutions pass leading
// spatial dims of size 1). Row r of the column matrix is one (channel, kz, ky, kx) tap,
// column q is one output position (oz, oy, ox):
//   col[r * outSpatial + q] = image[c, oz*sz - pz + kz*dz, oy*sy - py + ky*dy, ox*sx - px + kx*dx]
// with zeros where the tap falls in the padding. col2im is the exact adjoint (scatter-add).

import type { FloatArray } from './matmul.js';

/** A convolution window over a 3-D volume: image size, window grid, kernel, strides, dilations, pads. */
export interface Window3 {
  /** Image (the convolution's input) spatial size [D, H, W]. */
  readonly image: readonly [number, number, number];
  /** Window-grid (the convolution's output) spatial size. */
  readonly grid: readonly [number, number, number];
  readonly kernel: readonly [number, number, number];
  readonly strides: readonly [number, number, number];
  readonly dilations: readonly [number, number, number];
  /** Padding before each spatial axis (may be negative for ConvTranspose with output_shape). */
  readonly pads: readonly [number, number, number];
}

/** First grid index whose tap `start + o*stride` is >= 0, clamped to [0, n]. */
export function firstInside(start: number, stride: number, n: number): number {
  if (start >= 0) return 0;
  return Math.min(n, Math.ceil(-start / stride));
}

/** One past the last grid index whose tap `start + o*stride` is < size, clamped to [0, n]. */
export function endInside(start: number, stride: number, size: number, n: number): number {
  if (start >= size) return 0;
  return Math.max(0, Math.min(n, Math.floor((size - 1 - start) / stride) + 1));
}

/** Expands `channels` image planes starting at `imageOffset` into `col` (rows x grid size). */
export function im2col(image: FloatArray, imageOffset: number, channels: number, win: Window3, col: FloatArray): void {
  const [D, H, W] = win.image;
  const [OD, OH, OW] = win.grid;
  const [KD, KH, KW] = win.kernel;
  const [sz, sy, sx] = win.strides;
  const [dz, dy, dx] = win.dilations;
  const [pz, py, px] = win.pads;
  let dst = 0;
  for (let c = 0; c < channels; c++) {
    const plane = imageOffset + c * D * H * W;
    for (let kz = 0; kz < KD; kz++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          const xStart = kx * dx - px;
          const oxLo = firstInside(xStart, sx, OW);
          const oxHi = Math.max(oxLo, endInside(xStart, sx, W, OW));
          for (let oz = 0; oz < OD; oz++) {
            const iz = oz * sz - pz + kz * dz;
            if (iz < 0 || iz >= D) {
              col.fill(0, dst, dst + OH * OW);
              dst += OH * OW;
              continue;
            }
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * sy - py + ky * dy;
              if (iy < 0 || iy >= H) {
                col.fill(0, dst, dst + OW);
                dst += OW;
                continue;
              }
              const src = plane + (iz * H + iy) * W + xStart;
              let ox = 0;
              for (; ox < oxLo; ox++) col[dst + ox] = 0;
              if (sx === 1) {
                for (; ox < oxHi; ox++) col[dst + ox] = image[src + ox]!;
              } else {
                for (; ox < oxHi; ox++) col[dst + ox] = image[src + ox * sx]!;
              }
              for (; ox < OW; ox++) col[dst + ox] = 0;
              dst += OW;
            }
          }
        }
      }
    }
  }
}

/** Scatter-adds `col` (rows x grid size) into `channels` image planes starting at `imageOffset`. */
export function col2im(col: FloatArray, channels: number, win: Window3, image: FloatArray, imageOffset: number): void {
  const [D, H, W] = win.image;
  const [OD, OH, OW] = win.grid;
  const [KD, KH, KW] = win.kernel;
  const [sz, sy, sx] = win.strides;
  const [dz, dy, dx] = win.dilations;
  const [pz, py, px] = win.pads;
  let src = 0;
  for (let c = 0; c < channels; c++) {
    const plane = imageOffset + c * D * H * W;
    for (let kz = 0; kz < KD; kz++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          const xStart = kx * dx - px;
          const oxLo = firstInside(xStart, sx, OW);
          const oxHi = endInside(xStart, sx, W, OW);
          for (let oz = 0; oz < OD; oz++) {
            const iz = oz * sz - pz + kz * dz;
            if (iz < 0 || iz >= D) {
              src += OH * OW;
              continue;
            }
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * sy - py + ky * dy;
              if (iy >= 0 && iy < H) {
                const dst = plane + (iz * H + iy) * W + xStart;
                for (let ox = oxLo; ox < oxHi; ox++) image[dst + ox * sx] += col[src + ox]!;
              }
              src += OW;
            }
          }
        }
      }
    }
  }
}
