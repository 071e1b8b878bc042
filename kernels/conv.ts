// Convolution and transposed convolution over NC(D)(H)W float tensors, 1-D to 3-D.
//
// Float32 Conv runs on conv-f32.ts (packed weights, im2col gathered straight into GEMM
// panels, fused epilogue). The code below is the float64 path:
// Conv: im2col + the blocked matmul per (batch, group); 1x1 stride-1 unpadded
// convolutions multiply the input directly, and depthwise convolutions
// (one input channel per group) use a direct loop.
// ConvTranspose: matmul (W^T @ X) + col2im scatter-add.
// The caller allocates the output; offsets let batches and groups share arrays.

import { type FloatArray, matmulF32, matmulF64 } from './matmul.js';
import { convF32Fast } from './conv-f32.js';
import { type Window3, col2im, im2col } from './im2col.js';

/** Shapes of one convolution. Spatial arrays have one entry per spatial axis (1 to 3). */
export interface ConvGeometry {
  readonly batch: number;
  /** Channels of X. */
  readonly inChannels: number;
  /** Channels of Y. */
  readonly outChannels: number;
  readonly group: number;
  /** Spatial size of X. */
  readonly inSize: readonly number[];
  /** Spatial size of Y. */
  readonly outSize: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /**
   * Padding before each spatial axis. For Conv: of X. For ConvTranspose: cropped from the
   * start of the full output (negative when output_shape asks for more than the full size).
   */
  readonly padsBegin: readonly number[];
}

function to3(v: readonly number[], fill: number): [number, number, number] {
  const r = v.length;
  return [r >= 3 ? v[r - 3]! : fill, r >= 2 ? v[r - 2]! : fill, r >= 1 ? v[r - 1]! : fill];
}

function product(v: readonly number[]): number {
  let n = 1;
  for (const d of v) n *= d;
  return n;
}

function allocLike(x: FloatArray, n: number): FloatArray {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

function matmul(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  o: Parameters<typeof matmulF32>[6],
): void {
  if (c instanceof Float64Array) matmulF64(a as Float64Array, b as Float64Array, c, m, n, k, o);
  else matmulF32(a as Float32Array, b as Float32Array, c, m, n, k, o);
}

/** Fills each of `channels` planes of `size` elements with bias[c] (or 0). */
function fillBias(y: FloatArray, yOff: number, channels: number, size: number, bias: FloatArray | null): void {
  for (let c = 0; c < channels; c++) {
    const start = yOff + c * size;
    y.fill(bias === null ? 0 : bias[c]!, start, start + size);
  }
}

let paddedPlane = new Float64Array(0);

/**
 * Depthwise convolution (one input channel per group), computed directly: each input plane
 * is copied once into a zero-padded float64 plane, so every tap is in range and the inner
 * loops carry no bounds logic. Padding taps multiply zeros, as in the im2col path.
 */
function depthwise(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry, win: Window3): void {
  const C = g.inChannels;
  const M = g.outChannels;
  const mult = M / C;
  const [D, H, W] = win.image;
  const [OD, OH, OW] = win.grid;
  const [KD, KH, KW] = win.kernel;
  const [sz, sy, sx] = win.strides;
  const [dz, dy, dx] = win.dilations;
  const [pz, py, px] = win.pads;
  // Padded extents: exactly the input positions some output reads, shifted by the pads.
  const Dp = (OD - 1) * sz + (KD - 1) * dz + 1;
  const Hp = (OH - 1) * sy + (KH - 1) * dy + 1;
  const Wp = (OW - 1) * sx + (KW - 1) * dx + 1;
  if (paddedPlane.length < Dp * Hp * Wp) paddedPlane = new Float64Array(Dp * Hp * Wp);
  const xp = paddedPlane;
  const inPlane = D * H * W;
  const outPlane = OD * OH * OW;
  const taps = KD * KH * KW;
  // Copy ranges of the input rows that land inside the padded plane.
  const xLo = Math.max(0, -px);
  const xHi = Math.min(W, Wp - px);
  for (let n = 0; n < g.batch; n++) {
    for (let ic = 0; ic < C; ic++) {
      const xPlane = (n * C + ic) * inPlane;
      xp.fill(0, 0, Dp * Hp * Wp);
      for (let iz = Math.max(0, -pz); iz < Math.min(D, Dp - pz); iz++) {
        for (let iy = Math.max(0, -py); iy < Math.min(H, Hp - py); iy++) {
          const src = xPlane + (iz * H + iy) * W;
          const dst = ((iz + pz) * Hp + iy + py) * Wp + px;
          for (let ix = xLo; ix < xHi; ix++) xp[dst + ix] = x[src + ix]!;
        }
      }
      for (let m = 0; m < mult; m++) {
        const oc = ic * mult + m;
        const yPlane = (n * M + oc) * outPlane;
        const wOff = oc * taps;
        const b0 = bias === null ? 0 : bias[oc]!;
        if (KD === 1 && KH === 3 && KW === 3) {
          // The common 3x3 case: all nine taps summed in registers, one store per output.
          const w00 = w[wOff]!, w01 = w[wOff + 1]!, w02 = w[wOff + 2]!;
          const w10 = w[wOff + 3]!, w11 = w[wOff + 4]!, w12 = w[wOff + 5]!;
          const w20 = w[wOff + 6]!, w21 = w[wOff + 7]!, w22 = w[wOff + 8]!;
          const o1 = dx, o2 = 2 * dx, rowStep = dy * Wp;
          for (let oz = 0; oz < OD; oz++) {
            for (let oy = 0; oy < OH; oy++) {
              const yRow = yPlane + (oz * OH + oy) * OW;
              let r0 = (oz * sz * Hp + oy * sy) * Wp;
              for (let ox = 0; ox < OW; ox++, r0 += sx) {
                const r1 = r0 + rowStep;
                const r2 = r1 + rowStep;
                y[yRow + ox] = b0
                  + (w00 * xp[r0]! + w01 * xp[r0 + o1]! + w02 * xp[r0 + o2]!)
                  + (w10 * xp[r1]! + w11 * xp[r1 + o1]! + w12 * xp[r1 + o2]!)
                  + (w20 * xp[r2]! + w21 * xp[r2 + o1]! + w22 * xp[r2 + o2]!);
              }
            }
          }
          continue;
        }
        y.fill(b0, yPlane, yPlane + outPlane);
        for (let oz = 0; oz < OD; oz++) {
          for (let oy = 0; oy < OH; oy++) {
            const yRow = yPlane + (oz * OH + oy) * OW;
            for (let kz = 0; kz < KD; kz++) {
              for (let ky = 0; ky < KH; ky++) {
                const xRow = ((oz * sz + kz * dz) * Hp + oy * sy + ky * dy) * Wp;
                const wRow = wOff + (kz * KH + ky) * KW;
                if (KW === 3) {
                  const w0 = w[wRow]!, w1 = w[wRow + 1]!, w2 = w[wRow + 2]!;
                  const o1 = dx, o2 = 2 * dx;
                  for (let ox = 0, xi = xRow; ox < OW; ox++, xi += sx) {
                    y[yRow + ox] += w0 * xp[xi]! + w1 * xp[xi + o1]! + w2 * xp[xi + o2]!;
                  }
                } else {
                  for (let kx = 0; kx < KW; kx++) {
                    const wv = w[wRow + kx]!;
                    for (let ox = 0, xi = xRow + kx * dx; ox < OW; ox++, xi += sx) y[yRow + ox] += wv * xp[xi]!;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

function convFloat(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry): void {
  const win: Window3 = {
    image: to3(g.inSize, 1),
    grid: to3(g.outSize, 1),
    kernel: to3(g.kernel, 1),
    strides: to3(g.strides, 1),
    dilations: to3(g.dilations, 1),
    pads: to3(g.padsBegin, 0),
  };
  const C = g.inChannels;
  const M = g.outChannels;
  const G = g.group;
  const Cg = C / G;
  const Mg = M / G;
  const inSp = product(g.inSize);
  const outSp = product(g.outSize);
  const taps = product(g.kernel);
  const kDim = Cg * taps;
  if (g.batch === 0 || M === 0 || outSp === 0) return;
  if (Cg === 1 && G === C && C > 0) {
    depthwise(x, w, bias, y, g, win);
    return;
  }
  const pointwise = taps === 1 && win.strides.every((s) => s === 1) && win.pads.every((p) => p === 0) && inSp === outSp;
  const col = pointwise ? x : allocLike(x, kDim * outSp);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < G; gi++) {
      const xOff = (n * C + gi * Cg) * inSp;
      if (!pointwise) im2col(x, xOff, Cg, win, col);
      matmul(w, col, y, Mg, outSp, kDim, {
        aOffset: gi * Mg * kDim,
        bOffset: pointwise ? xOff : 0,
        cOffset: (n * M + gi * Mg) * outSp,
        ...(bias === null ? {} : { bias, biasOffset: gi * Mg, biasRowStride: 1, biasColStride: 0 }),
      });
    }
  }
}

function convTransposeFloat(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry): void {
  // In the adjoint view Y is the image and X is the window grid.
  const win: Window3 = {
    image: to3(g.outSize, 1),
    grid: to3(g.inSize, 1),
    kernel: to3(g.kernel, 1),
    strides: to3(g.strides, 1),
    dilations: to3(g.dilations, 1),
    pads: to3(g.padsBegin, 0),
  };
  const C = g.inChannels;
  const M = g.outChannels;
  const G = g.group;
  const Cg = C / G;
  const Mg = M / G;
  const inSp = product(g.inSize);
  const outSp = product(g.outSize);
  const taps = product(g.kernel);
  const rows = Mg * taps;
  const direct = taps === 1 && win.strides.every((s) => s === 1) && win.pads.every((p) => p === 0) && inSp === outSp;
  const col = direct ? y : allocLike(x, rows * inSp);
  for (let n = 0; n < g.batch; n++) {
    fillBias(y, n * M * outSp, M, outSp, bias);
    if (inSp === 0) continue;
    for (let gi = 0; gi < G; gi++) {
      const yOff = (n * M + gi * Mg) * outSp;
      // col (rows x inSp) = W[g]^T (rows x Cg) @ X[n, g] (Cg x inSp); W[g] is Cg x rows.
      matmul(w, x, col, rows, inSp, Cg, {
        transA: true,
        lda: rows,
        aOffset: gi * Cg * rows,
        bOffset: (n * C + gi * Cg) * inSp,
        ...(direct ? { cOffset: yOff, accumulate: true } : {}),
      });
      if (!direct) col2im(col, Mg, win, y, yOff);
    }
  }
}

/** Float32 convolution. x: N x C x spatial, w: M x C/group x kernel, bias: M or null, y: N x M x outSize. */
export function convF32(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry): void {
  convF32Fast(x, w, y, g, { bias });
}

/** Float64 version of {@link convF32}. */
export function convF64(x: Float64Array, w: Float64Array, bias: Float64Array | null, y: Float64Array, g: ConvGeometry): void {
  convFloat(x, w, bias, y, g);
}

/**
 * Float32 transposed convolution. x: N x C x inSize, w: C x M/group x kernel, bias: M or null,
 * y: N x M x outSize. Output positions no input reaches hold the bias.
 */
export function convTransposeF32(
  x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry,
): void {
  convTransposeFloat(x, w, bias, y, g);
}

/** Float64 version of {@link convTransposeF32}. */
export function convTransposeF64(
  x: Float64Array, w: Float64Array, bias: Float64Array | null, y: Float64Array, g: ConvGeometry,
): void {
  convTransposeFloat(x, w, bias, y, g);
}
