// Float32 convolution over NC(D)(H)W tensors (1-D to 3-D) on the float32 GEMM.
//
// Per (batch, group) the convolution is the product Y[g] (Mg x outSpatial) =
// W[g] (Mg x Cg*taps) @ col (Cg*taps x outSpatial). W is the A operand and is packed once
// (`packConvF32`, kept by the caller for a constant weight); the column matrix is never
// materialised: its K blocks are gathered straight from X into the GEMM's B panels
// (`Im2colSource`). A 1x1, stride-1, unpadded conv reads X as B directly. Depthwise convs
// (one input channel per group) use a direct kernel over a zero-padded plane, with the nine
// (3x3) or twenty-five (5x5) taps summed in registers.
//
// The epilogue (per-channel bias, residual Y-shaped tensor, activation) is fused into the
// store: Conv + BatchNorm (folded into W and B) + Add + Relu is one pass over Y.
// The GEMMs run on the epilogue's engine (default JS); an engine may also build the column
// matrix itself (Im2colSource names its conv: GemmPanelSource.im2col) and take depthwise convs
// whole (GemmEngine.depthwise: the WebAssembly engine's 3x3 / 5x5 kernels, their own bound).
// Accumulation and error bound: as gemm-f32.ts (float64 sums per K block of at most 256
// taps, one float32 rounding per block); the depthwise kernel sums all taps of an output
// in float64 and rounds once.

import type { ConvGeometry } from './conv.js';
import {
  type GemmActivation, type GemmEngine, type GemmEpilogue, type GemmPanelSource, type PackedGemmA,
  GEMM_NR, applyGemmEpilogueF32, gemmBPanelElements, jsGemmEngine, packGemmA,
  prepackedASource, stridedBSource,
} from './gemm-f32.js';
import { endInside, firstInside } from './im2col.js';

const NR = GEMM_NR;

function product(v: readonly number[]): number {
  let n = 1;
  for (const d of v) n *= d;
  return n;
}

function to3(v: readonly number[], fill: number): [number, number, number] {
  const r = v.length;
  return [r >= 3 ? v[r - 3]! : fill, r >= 2 ? v[r - 2]! : fill, r >= 1 ? v[r - 1]! : fill];
}

/** One input channel per group (group == C; M may be a multiple of C). */
function isDepthwise(g: ConvGeometry): boolean {
  return g.group === g.inChannels && g.inChannels > 0;
}

function isPointwise(g: ConvGeometry): boolean {
  return product(g.kernel) === 1 && g.strides.every((s) => s === 1) && g.padsBegin.every((p) => p === 0)
    && g.inSize.every((s, i) => s === g.outSize[i]);
}

/** A conv weight prepared once: per-group packed GEMM A operands, or the raw depthwise taps. */
export interface PackedConvF32 {
  readonly outChannels: number;
  readonly group: number;
  /** Cg * taps: the GEMM depth. */
  readonly depth: number;
  /** One packed A per group (empty for depthwise). */
  readonly groups: readonly PackedGemmA[];
  /** Depthwise weights M x taps (null unless depthwise). */
  readonly depthwise: Float32Array | null;
}

/** Packs W (M x C/group x kernel) for `g`. Keep the result for a constant weight. */
export function packConvF32(w: Float32Array, g: ConvGeometry): PackedConvF32 {
  const M = g.outChannels;
  const G = g.group;
  const Mg = M / G;
  const depth = (g.inChannels / G) * product(g.kernel);
  if (isDepthwise(g)) return { outChannels: M, group: G, depth, groups: [], depthwise: w };
  const groups: PackedGemmA[] = [];
  for (let gi = 0; gi < G; gi++) groups.push(packGemmA(w, Mg, depth, { offset: gi * Mg * depth, ld: depth }));
  return { outChannels: M, group: G, depth, groups, depthwise: null };
}

/** Floats of scratch convPackedF32 uses for `g` (pass at least this many, or none). */
export function convScratchElementsF32(g: ConvGeometry): number {
  if (isDepthwise(g)) {
    const [OD, OH, OW] = to3(g.outSize, 1);
    const [KD, KH, KW] = to3(g.kernel, 1);
    const [sz, sy, sx] = to3(g.strides, 1);
    const [dz, dy, dx] = to3(g.dilations, 1);
    return ((OD - 1) * sz + (KD - 1) * dz + 1) * ((OH - 1) * sy + (KH - 1) * dy + 1) * ((OW - 1) * sx + (KW - 1) * dx + 1);
  }
  const depth = (g.inChannels / g.group) * product(g.kernel);
  return gemmBPanelElements(depth, product(g.outSize));
}

/** Fused work after the convolution sum, per output element: + bias[m] + residual, then activation. */
export interface ConvEpilogueF32 {
  readonly bias?: Float32Array | null;
  /** Same shape and layout as Y; added before the activation. */
  readonly residual?: Float32Array;
  readonly activation?: GemmActivation;
  /** At least convScratchElementsF32(g) floats the kernel may overwrite; module scratch when absent. */
  readonly scratch?: Float32Array;
  /**
   * Who runs the GEMMs (default: jsGemmEngine), and the depthwise convs where the engine has a
   * depthwise kernel for them (the wasm engine: 2-D 3x3 / 5x5, horizontal stride 1 or 2).
   */
  readonly engine?: GemmEngine;
}

let moduleScratch = new Float32Array(0);

function scratchFor(g: ConvGeometry, given: Float32Array | undefined): Float32Array {
  const need = convScratchElementsF32(g);
  if (given !== undefined && given.length >= need) return given;
  if (moduleScratch.length < need) moduleScratch = new Float32Array(need);
  return moduleScratch;
}

/**
 * The column matrix of one (batch, group) gathered block by block into B panels: row r of
 * the depth is (channel, kz, ky, kx), column q is an output position (oz, oy, ox);
 *   col[r, q] = X[c, oz*sz - pz + kz*dz, oy*sy - py + ky*dy, ox*sx - px + kx*dx] or 0 in the padding.
 */
class Im2colSource implements GemmPanelSource {
  private xOff = 0;
  private readonly D: number; private readonly H: number; private readonly W: number;
  private readonly OH: number; private readonly OW: number;
  private readonly KH: number; private readonly KW: number; private readonly taps: number;
  private readonly s: [number, number, number];
  private readonly d: [number, number, number];
  private readonly p: [number, number, number];

  constructor(private readonly x: Float32Array, private readonly g: ConvGeometry, readonly panels: Float32Array) {
    [this.D, this.H, this.W] = to3(g.inSize, 1);
    const grid = to3(g.outSize, 1);
    this.OH = grid[1];
    this.OW = grid[2];
    const [KD, KH, KW] = to3(g.kernel, 1);
    this.KH = KH;
    this.KW = KW;
    this.taps = KD * KH * KW;
    this.s = to3(g.strides, 1);
    this.d = to3(g.dilations, 1);
    this.p = to3(g.padsBegin, 0);
  }

  get im2col(): { x: Float32Array; offset: number; g: ConvGeometry } {
    return { x: this.x, offset: this.xOff, g: this.g };
  }

  /** Points the source at the group's first input channel. */
  at(xOff: number): this {
    this.xOff = xOff;
    return this;
  }

  prepare(pc: number, kc: number, j0: number, cols: number): number {
    this.packInto(this.panels, 0, pc, kc, j0, cols);
    return 0;
  }

  packInto(panels: Float32Array, at: number, pc: number, kc: number, j0: number, cols: number): void {
    const { x, D, H, W, OH, OW, KH, KW, taps } = this;
    const [sz, sy, sx] = this.s;
    const [dz, dy, dx] = this.d;
    const [pz, py, px] = this.p;
    const oz0 = Math.floor(j0 / (OH * OW));
    const oy0 = Math.floor(j0 / OW) % OH;
    const ox0 = j0 % OW;
    const stripStep = kc * NR;
    for (let r = pc; r < pc + kc; r++) {
      const ch = Math.floor(r / taps);
      const t = r - ch * taps;
      const kz = Math.floor(t / (KH * KW));
      const ky = Math.floor(t / KW) % KH;
      const kx = t % KW;
      const plane = this.xOff + ch * D * H * W;
      const xStart = kx * dx - px;
      const oxLo = firstInside(xStart, sx, OW);
      const oxHi = Math.max(oxLo, endInside(xStart, sx, W, OW));
      let dst = at + (r - pc) * NR;
      let lane = 0;
      let oz = oz0, oy = oy0, ox = ox0;
      let left = cols;
      while (left > 0) {
        const seg = Math.min(OW - ox, left);
        left -= seg;
        const iz = oz * sz - pz + kz * dz;
        const iy = oy * sy - py + ky * dy;
        const end = ox + seg;
        if (iz < 0 || iz >= D || iy < 0 || iy >= H) {
          for (; ox < end; ox++) {
            panels[dst + lane] = 0;
            if (++lane === NR) { lane = 0; dst += stripStep; }
          }
        } else {
          const src = plane + (iz * H + iy) * W + xStart;
          const lo = Math.min(Math.max(oxLo, ox), end);
          const hi = Math.max(Math.min(oxHi, end), lo);
          for (; ox < lo; ox++) {
            panels[dst + lane] = 0;
            if (++lane === NR) { lane = 0; dst += stripStep; }
          }
          for (; ox < hi; ox++) {
            panels[dst + lane] = x[src + ox * sx]!;
            if (++lane === NR) { lane = 0; dst += stripStep; }
          }
          for (; ox < end; ox++) {
            panels[dst + lane] = 0;
            if (++lane === NR) { lane = 0; dst += stripStep; }
          }
        }
        ox = 0;
        if (++oy === OH) { oy = 0; oz++; }
      }
    }
  }
}

/**
 * Depthwise convolution (one input channel per group, M = C * multiplier), computed
 * directly: each input plane is copied once into a zero-padded plane so every tap is in
 * range, then each output sums its taps in float64 (bias first) and is stored once.
 */
function depthwiseF32(
  x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32, xp: Float32Array,
): void {
  const C = g.inChannels;
  const M = g.outChannels;
  const mult = M / C;
  const [D, H, W] = to3(g.inSize, 1);
  const [OD, OH, OW] = to3(g.outSize, 1);
  const [KD, KH, KW] = to3(g.kernel, 1);
  const [sz, sy, sx] = to3(g.strides, 1);
  const [dz, dy, dx] = to3(g.dilations, 1);
  const [pz, py, px] = to3(g.padsBegin, 0);
  const Dp = (OD - 1) * sz + (KD - 1) * dz + 1;
  const Hp = (OH - 1) * sy + (KH - 1) * dy + 1;
  const Wp = (OW - 1) * sx + (KW - 1) * dx + 1;
  const inPlane = D * H * W;
  const outPlane = OD * OH * OW;
  const taps = KD * KH * KW;
  const bias = ep.bias ?? null;
  const rest: GemmEpilogue = {
    ...(ep.residual === undefined ? {} : { residual: ep.residual }),
    ...(ep.activation === undefined ? {} : { activation: ep.activation }),
  };
  const xLo = Math.max(0, -px);
  const xHi = Math.min(W, Wp - px);
  const rowStep = dy * Wp;
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
          const w00 = w[wOff]!, w01 = w[wOff + 1]!, w02 = w[wOff + 2]!;
          const w10 = w[wOff + 3]!, w11 = w[wOff + 4]!, w12 = w[wOff + 5]!;
          const w20 = w[wOff + 6]!, w21 = w[wOff + 7]!, w22 = w[wOff + 8]!;
          const o1 = dx, o2 = 2 * dx;
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
        } else if (KD === 1 && KH === 5 && KW === 5) {
          depthwise5x5Plane(xp, w, wOff, y, yPlane, b0, OD * OH, OW, Hp, Wp, sy, sx, dy, dx, OH, sz);
        } else {
          for (let oz = 0; oz < OD; oz++) {
            for (let oy = 0; oy < OH; oy++) {
              const yRow = yPlane + (oz * OH + oy) * OW;
              for (let ox = 0; ox < OW; ox++) {
                let s = b0;
                const base = (oz * sz * Hp + oy * sy) * Wp + ox * sx;
                let wi = wOff;
                for (let kz = 0; kz < KD; kz++) {
                  for (let ky = 0; ky < KH; ky++) {
                    const xi = base + (kz * dz * Hp + ky * dy) * Wp;
                    for (let kx = 0; kx < KW; kx++, wi++) s += w[wi]! * xp[xi + kx * dx]!;
                  }
                }
                y[yRow + ox] = s;
              }
            }
          }
        }
        applyGemmEpilogueF32(y, yPlane, outPlane, outPlane, 0, 1, 0, outPlane,
          ep.residual === undefined ? rest : { ...rest, residualOffset: yPlane });
      }
    }
  }
}

/** One 5x5 depthwise plane: 25 taps in locals, one float64 sum and one store per output. */
function depthwise5x5Plane(
  xp: Float32Array, w: Float32Array, wOff: number, y: Float32Array, yPlane: number, b0: number,
  rows: number, OW: number, Hp: number, Wp: number, sy: number, sx: number, dy: number, dx: number,
  OH: number, sz: number,
): void {
  const w0 = w[wOff]!, w1 = w[wOff + 1]!, w2 = w[wOff + 2]!, w3 = w[wOff + 3]!, w4 = w[wOff + 4]!;
  const w5 = w[wOff + 5]!, w6 = w[wOff + 6]!, w7 = w[wOff + 7]!, w8 = w[wOff + 8]!, w9 = w[wOff + 9]!;
  const wa = w[wOff + 10]!, wb = w[wOff + 11]!, wc = w[wOff + 12]!, wd = w[wOff + 13]!, we = w[wOff + 14]!;
  const wf = w[wOff + 15]!, wg = w[wOff + 16]!, wh = w[wOff + 17]!, wi = w[wOff + 18]!, wj = w[wOff + 19]!;
  const wk = w[wOff + 20]!, wl = w[wOff + 21]!, wm = w[wOff + 22]!, wn = w[wOff + 23]!, wo = w[wOff + 24]!;
  const o1 = dx, o2 = 2 * dx, o3 = 3 * dx, o4 = 4 * dx;
  const rs = dy * Wp;
  for (let row = 0; row < rows; row++) {
    const oz = Math.floor(row / OH);
    const oy = row - oz * OH;
    const yRow = yPlane + row * OW;
    let r0 = (oz * sz * Hp + oy * sy) * Wp;
    for (let ox = 0; ox < OW; ox++, r0 += sx) {
      const r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs, r4 = r3 + rs;
      y[yRow + ox] = b0
        + (w0 * xp[r0]! + w1 * xp[r0 + o1]! + w2 * xp[r0 + o2]! + w3 * xp[r0 + o3]! + w4 * xp[r0 + o4]!)
        + (w5 * xp[r1]! + w6 * xp[r1 + o1]! + w7 * xp[r1 + o2]! + w8 * xp[r1 + o3]! + w9 * xp[r1 + o4]!)
        + (wa * xp[r2]! + wb * xp[r2 + o1]! + wc * xp[r2 + o2]! + wd * xp[r2 + o3]! + we * xp[r2 + o4]!)
        + (wf * xp[r3]! + wg * xp[r3 + o1]! + wh * xp[r3 + o2]! + wi * xp[r3 + o3]! + wj * xp[r3 + o4]!)
        + (wk * xp[r4]! + wl * xp[r4 + o1]! + wm * xp[r4 + o2]! + wn * xp[r4 + o3]! + wo * xp[r4 + o4]!);
    }
  }
}

/**
 * Y = activation(conv(X, W) + bias + residual) with W prepared by packConvF32.
 * x: N x C x inSize, y: N x M x outSize (every element written). Y must not overlap X;
 * the residual may be Y itself only if nothing else reads Y (it is read before each store).
 */
export function convPackedF32(
  x: Float32Array, w: PackedConvF32, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32 = {},
): void {
  const C = g.inChannels;
  const M = g.outChannels;
  const G = g.group;
  const Cg = C / G;
  const Mg = M / G;
  const inSp = product(g.inSize);
  const outSp = product(g.outSize);
  if (g.batch === 0 || M === 0 || outSp === 0) return;
  if (w.depthwise !== null) {
    if (ep.engine?.depthwise?.(x, w.depthwise, y, g, ep) !== true) depthwiseF32(x, w.depthwise, y, g, ep, scratchFor(g, ep.scratch));
    return;
  }
  const scratch = scratchFor(g, ep.scratch);
  const depth = w.depth;
  const pointwise = isPointwise(g);
  const im2col = pointwise ? null : new Im2colSource(x, g, scratch);
  const bias = ep.bias ?? undefined;
  const engine = ep.engine ?? jsGemmEngine;
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < G; gi++) {
      const xOff = (n * C + gi * Cg) * inSp;
      const yOff = (n * M + gi * Mg) * outSp;
      const B = im2col !== null
        ? im2col.at(xOff)
        : stridedBSource({ data: x, offset: xOff, rowStride: inSp, colStride: 1 }, scratch);
      const e: GemmEpilogue = {
        ...(bias === undefined ? {} : { bias, biasOffset: gi * Mg, biasRowStride: 1, biasColStride: 0 }),
        ...(ep.residual === undefined ? {} : { residual: ep.residual, residualOffset: yOff, ldr: outSp }),
        ...(ep.activation === undefined ? {} : { activation: ep.activation }),
      };
      engine.panels(Mg, outSp, depth, prepackedASource(w.groups[gi]!), B, y, yOff, outSp, 1, false, e);
    }
  }
}

/** Float32 convolution with the weight packed on the fly (per-call packing). */
export function convF32Fast(
  x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32 = {},
): void {
  if (g.batch === 0 || g.outChannels === 0 || product(g.outSize) === 0) return;
  convPackedF32(x, packConvF32(w, g), y, g, ep);
}
