// Float32 Winograd convolution for 2-D 3x3 kernels, stride 1, dilation 1, group 1 (any pads,
// any batch), on the float32 GEMM: F(2x2, 3x3) or F(4x4, 3x3) (Lavin & Gray 2016).
//
// Output tiles of m x m (m = 2 or 4) read (m + 2) x (m + 2) input patches; with a = m + 2 and
// a x a "points" xi = (i, j), one output tile of channel o is
//     Y = A^T [ sum_c U[o, c] (.) V[c] ] A,   U[o, c] = G g[o, c] G^T,   V[c] = B^T d[c] B
// ((.) is the elementwise product). Per point xi the channel sum is a GEMM:
//     M_xi (Cout x tiles) = U_xi (Cout x Cin) @ V_xi (Cin x tiles)
// so 9 m^2 multiplies per (o, c, tile) become a^2: 2.25x fewer for F(2x2), 4x for F(4x4).
//
// Layout. `packWinogradF32` transforms W once (in float64, rounded to float32) straight into
// the packed panels of gemm-f32.ts, one operand per point; the op keeps it in its memo. The
// a^2 products go through the existing blocked GEMM (`gemmPanelsF32`, its 4x8 micro-kernel) in
// one of two layouts picked by `winogradPlanFor`: the tiles as the GEMM's rows (M_xi^T =
// V_xi^T U_xi^T, U_xi as B) or as its columns (U_xi as A), whichever leaves fewer partial
// micro-kernel strips. Per call, tiles are processed in chunks of whole tile rows (at most
// CHUNK_TILES tiles, so V and M of a chunk stay in cache): the input transform copies the
// a input rows of a tile row into a zero-padded band and writes V_xi straight into the GEMM's
// panel layout, the a^2 GEMMs write M, and the output transform adds the bias, stores Y
// (clipping the tiles that overhang it) and applies the residual and activation
// (`applyGemmEpilogueF32`) to the finished rows. Points of U, V and M are an odd number of
// cache lines apart (see oddLines). Scratch (V, M and the band) is module-level, grown on
// demand and reused: kernels run synchronously, so two calls never share it at once.
//
// Accumulation and error. Write eps = 2^-24 (float32 rounding). U and V are computed in float64
// from float32 values and rounded once to float32; the GEMM sums each K block (at most 256
// input channels) in float64 and rounds it once into M (float32); the output transform and
// the bias are summed in float64 and rounded once into Y. To first order (and away from float32
// underflow, where a rounding of U or V errs by up to 2^-150 absolutely), for one output y:
//     |y~ - y| <= eps |y| + (3 + ceil(Cin / 256)) eps * P,
//     P = sum_c sum_(k, i) K(o, k, i) |g[c, k]| |d[c, i]|,
//     K(o, k, i) = sum_xi |A^T[o, xi]| |G[xi, k]| |B^T[xi, i]|   (per axis; 2-D is the product),
// where k runs over the 9 taps and i over the a x a inputs of the output's tile. Unlike a direct
// sum, P holds cross terms (taps times inputs they are not multiplied with in the convolution:
// exact arithmetic cancels them); K <= kappa, kappa = 4 for F(2x2) and 1024/9 ~ 114 for
// F(4x4), so P <= kappa * sum_c |g[c]|_1 |d[c, tile patch]|_1. F(4x4) is the less accurate one
// (its transforms have entries up to 8 and 1/6), and F(2x2) is exact on small integers.
//
// On an engine that takes the conv whole (GemmEngine.winograd: the WebAssembly engine, for
// weights packed with the tiles as rows) the transforms run there too, in float32, with the
// bound of kernels/wasm/winograd-simd.ts; the range check below runs first either way.
//
// Non-finite values. A NaN or Inf in a tile's patch would spread to every output of the tile
// (cross terms, Inf - Inf), and values near the float32 limit could overflow U, V or M where
// the direct sum does not: the caller-visible semantics must stay the direct convolution's.
// So the pack records the largest |w|, each call scans X for the largest |x| (one pass, NaN
// included), and unless max|w|, max|x| and Cin * 100 * max|w| * max|x| are all below 2^120
// (|U| <= 2.25 max|g|, |V| <= 100 max|d|, so nothing in U, V or M comes near 2^128) the call
// runs the im2col kernel instead (packing W for it per call: a rare path).

import type { ConvGeometry } from './conv.js';
import { type ConvEpilogueF32, convPackedF32, packConvF32 } from './conv-f32.js';
import {
  type GemmEngine, type GemmEpilogue, type GemmPanelSource,
  GEMM_MR, GEMM_NR, applyGemmEpilogueF32, gemmBlockDepth, jsGemmEngine,
} from './gemm-f32.js';

const NR = GEMM_NR;
const MR = GEMM_MR;

/** Output tile edge: F(2x2, 3x3) or F(4x4, 3x3). */
export type WinogradTile = 2 | 4;

/** Tiles per chunk: V and M of one chunk (a^2 x channels x tiles floats each) should stay in L2/L3. */
const CHUNK_TILES = 256;

/** Bound on max|w|, max|x| and Cin * 100 * max|w| * max|x| under which no intermediate can overflow float32. */
const RANGE_LIMIT = 2 ** 120;

/** True when `g` is a convolution this kernel computes: 2-D, 3x3, stride 1, dilation 1, group 1. */
export function winogradApplies(g: ConvGeometry): boolean {
  return g.inSize.length === 2 && g.kernel[0] === 3 && g.kernel[1] === 3
    && g.strides[0] === 1 && g.strides[1] === 1 && g.dilations[0] === 1 && g.dilations[1] === 1 && g.group === 1;
}

/** How winogradConvF32 runs a conv: its tile and the layout of the a^2 GEMMs (see PackedWinogradF32). */
export interface WinogradPlan {
  readonly tile: WinogradTile;
  readonly tilesAsRows: boolean;
}

/**
 * The plan that makes this conv fastest, or null when the im2col kernel is (measured with
 * `npx tsx bench/kernels.ts winograd`, GFLOP/s-equivalent quoted below).
 *
 * Tile. Per (output channel, input channel) F(m x m) multiplies ceil(OH / m) ceil(OW / m)
 * (m + 2)^2 times where im2col multiplies 9 OH OW times. F(4x4) when it multiplies strictly less
 * than F(2x2) (at a tie they measured alike, 256 -> 256 on 6x6 or 5x5: ~7-10 either way, and
 * F(2x2) is the more accurate); Winograd at all only when that count is at most 3/4 of im2col's
 * (a 1x1 output multiplies more than directly: 512 -> 512 on 1x1 ran 1.6 against 2.9) and
 * Cin * Cout >= 16 (the transforms cost O(Cin + Cout) per tile and point against the GEMM's
 * Cin * Cout: 1 -> 8 on 28x28 was a tie).
 *
 * Layout. The GEMM's 4x8 micro-kernel wants full strips: a last, partial strip of rows runs an
 * edge kernel over every column (a column of it costs about a quarter of a 4x8 tile), a partial
 * strip of columns only over its own columns. With nb tiles per chunk (one image) and Cout
 * channels, tiles as rows cost floor(nb / 4) Cout / 8 tiles (+ Cout / 4 if nb % 4 > 0) and tiles
 * as columns Cout / 4 (floor(nb / 8) + (nb % 8) / 4): the cheaper wins (512 -> 512 on 7x7, 4 tiles
 * of F(4x4): 14 as rows against 10 as columns; on 3x3, one tile: 7.0 as columns against 1.8).
 *
 * The rules above are the JS engine's; pass the engine that will run the products (`engine`) for
 * its own (see below). Weights transformed per call (`perCall`: W is not a constant the caller keeps packed). The
 * transform costs about as much per (Cout, Cin) pair as a few hundred multiply-adds, more with a
 * fresh (a / 3)^2 x W allocation: Winograd then only where it saves at least 1024 multiplies per
 * pair, N (9 OH OW - tiles a^2). (512 -> 512 on 7x7 saves 297: transform + run took ~180 ms of
 * CPU against ~70 for im2col; 128 -> 128 on 28x28 saves 5292: ~25 against ~50.)
 */
export function winogradPlanFor(g: ConvGeometry, perCall = false, engine: GemmEngine = jsGemmEngine): WinogradPlan | null {
  if (!winogradApplies(g) || g.inChannels * g.outChannels < 16) return null;
  const [OH, OW] = [g.outSize[0]!, g.outSize[1]!];
  const f2 = Math.ceil(OH / 2) * Math.ceil(OW / 2) * 16;
  const f4 = Math.ceil(OH / 4) * Math.ceil(OW / 4) * 36;
  if (Math.min(f2, f4) > 0.75 * 9 * OH * OW) return null;
  if (perCall && g.batch * (9 * OH * OW - Math.min(f2, f4)) < 1024) return null;
  if (engine !== jsGemmEngine) {
    // Another engine (the WebAssembly one, kernels/wasm/winograd-simd.ts) transforms four tiles
    // of a row at once and pads each row of tiles to a multiple of 4, always as the GEMM's rows:
    // its multiplies count those padded rows (a 6x6 image: F(2x2) 3 x 4 tiles, F(4x4) 2 x 4, so
    // 192 against 288, where the JS count says 144 against 144). Measured with `npx tsx
    // bench/kernels.ts winograd-wasm` (equivalent GFLOP/s): 256 -> 256 on 6x6, F(2x2) 39 against
    // F(4x4) 19; on 3x3 (128 padded against 81 direct) im2col 14 against F(2x2) 12.
    const padded = (t: number) => Math.ceil(OH / t) * Math.ceil(Math.ceil(OW / t) / 4) * 4 * (t + 2) ** 2;
    const [w2, w4] = [padded(2), padded(4)];
    if (Math.min(w2, w4) > 0.75 * 9 * OH * OW) return null;
    return { tile: w4 <= w2 ? 4 : 2, tilesAsRows: true };
  }
  const tile: WinogradTile = f4 < f2 ? 4 : 2;
  const tw = Math.ceil(OW / tile);
  const nb = Math.min(Math.ceil(OH / tile), Math.max(1, Math.floor(CHUNK_TILES / tw))) * tw;
  const M = g.outChannels;
  const asRows = Math.floor(nb / MR) * (M / NR) + (nb % MR > 0 ? M / 4 : 0);
  const asColumns = (M / MR) * (Math.floor(nb / NR) + (nb % NR) / 4);
  return { tile, tilesAsRows: asRows <= asColumns };
}

/** A 3x3 weight transformed once for F(m x m, 3x3): one packed GEMM operand (Cout x Cin) per point. */
export interface PackedWinogradF32 {
  readonly tile: WinogradTile;
  readonly outChannels: number;
  readonly inChannels: number;
  /**
   * How the a^2 products are laid out: true, M_xi^T (tiles x Cout) = V_xi^T U_xi^T with the tiles
   * as the GEMM's rows (A, strips of GEMM_MR) and U_xi as its B operand; false, M_xi = U_xi V_xi
   * with U_xi as A and the tiles as B's columns (strips of GEMM_NR).
   */
  readonly tilesAsRows: boolean;
  /** a^2 panel sources over the packed U_xi (A or B panels), point xi = i * a + j. */
  readonly points: readonly GemmPanelSource[];
  /** max |w| (NaN when W holds a NaN): with max |x| it decides whether the call may overflow. */
  readonly maxAbsW: number;
  /** The original weight, for calls that must take the direct path (non-finite or huge X). */
  readonly weight: Float32Array;
}

/** (G2 applied to a column g0, g1, g2) into out[at], out[at + step], ...: G of F(2x2, 3x3). */
function applyG2(g0: number, g1: number, g2: number, out: Float64Array, at: number, step: number): void {
  out[at] = g0;
  out[at + step] = 0.5 * (g0 + g1 + g2);
  out[at + 2 * step] = 0.5 * (g0 - g1 + g2);
  out[at + 3 * step] = g2;
}

const SIXTH = 1 / 6;
const TWELFTH = 1 / 12;
const TWENTY_FOURTH = 1 / 24;

/**
 * The same for F(4x4, 3x3): G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 * 1/24 -1/12 1/6; 0 0 1] (multiplying by the float64 reciprocals: a 2^-53 relative error, far
 * under the float32 rounding that follows).
 */
function applyG4(g0: number, g1: number, g2: number, out: Float64Array, at: number, step: number): void {
  const s = g0 + g2;
  const h = TWENTY_FOURTH * g0 + SIXTH * g2;
  const k = TWELFTH * g1;
  out[at] = 0.25 * g0;
  out[at + step] = -SIXTH * (s + g1);
  out[at + 2 * step] = -SIXTH * (s - g1);
  out[at + 3 * step] = h + k;
  out[at + 4 * step] = h - k;
  out[at + 5 * step] = g2;
}

/**
 * The smallest stride >= n floats that is an odd number of 64-byte cache lines. The transforms
 * touch all a^2 points of one tile or channel at once; at a stride of a multiple of 4 KB (Cin x
 * tiles is often a power of two) those 16 or 36 lines fall in one set of the L1 cache and evict
 * each other (packing 256 x 256 weights for F(4x4) ran ~3x slower so). An odd number of lines
 * puts any 64 consecutive points in different sets.
 */
function oddLines(n: number): number {
  const lines = Math.ceil(n / 16);
  return (lines % 2 === 0 ? lines + 1 : lines) * 16;
}

/**
 * The a^2 U_xi (Cout x Cin) in one array, each in the GEMM's packed layout (gemm-f32.ts): as
 * B (tiles as rows; strips of GEMM_NR output channels) or as A (strips of GEMM_MR), K blocks of
 * gemmBlockDepth(Cin) input channels. Point xi starts at xi * size (size: see oddLines).
 */
class UPanels {
  readonly sw: number;
  readonly pad: number;
  readonly size: number;
  readonly kcMax: number;
  readonly panels: Float32Array;
  constructor(M: number, private readonly C: number, T: number, tilesAsRows: boolean) {
    this.sw = tilesAsRows ? NR : MR;
    this.pad = Math.ceil(M / this.sw) * this.sw;
    this.size = oddLines(this.pad * C);
    this.kcMax = gemmBlockDepth(C);
    this.panels = new Float32Array(T * this.size);
  }

  /** Where U_0[o, c] goes (U_xi[o, c] at xi * size past it). */
  slot(o: number, c: number): number {
    const pc = Math.floor(c / this.kcMax) * this.kcMax;
    const kc = Math.min(this.kcMax, this.C - pc);
    return pc * this.pad + Math.floor(o / this.sw) * this.sw * kc + (c - pc) * this.sw + (o % this.sw);
  }

  finish(w: Float32Array, g: ConvGeometry, tile: WinogradTile, tilesAsRows: boolean): PackedWinogradF32 {
    const M = g.outChannels;
    let maxAbsW = 0;
    for (let q = 0; q < M * this.C * 9; q++) maxAbsW = Math.max(maxAbsW, Math.abs(w[q]!));
    const points: GemmPanelSource[] = [];
    for (let xi = 0; xi < (tile + 2) ** 2; xi++) points.push(new PanelSource(this.panels, this.pad, xi * this.size, true));
    return { tile, outChannels: M, inChannels: this.C, tilesAsRows, points, maxAbsW, weight: w };
  }
}

/**
 * Transforms W (Cout x Cin x 3 x 3) into U = G g G^T per (o, c), in float64 rounded once to
 * float32, written straight into the GEMM panels of each point. Keep the result for a constant
 * weight: it holds (a / 3)^2 times W's floats (16/9 for F(2x2), 4 for F(4x4)).
 */
export function packWinogradF32(w: Float32Array, g: ConvGeometry, plan: WinogradPlan): PackedWinogradF32 {
  const { tile, tilesAsRows } = plan;
  if (!winogradApplies(g)) throw new RangeError('packWinogradF32: needs a 2-D 3x3 convolution, stride 1, dilation 1, group 1');
  const M = g.outChannels;
  const C = g.inChannels;
  const a = tile + 2;
  const T = a * a;
  const out = new UPanels(M, C, T, tilesAsRows);
  const t = new Float64Array(a * 3);
  const u = new Float64Array(T);
  const { panels, size, kcMax, sw } = out;
  for (let pc = 0; pc < C; pc += kcMax) {
    const kc = Math.min(kcMax, C - pc);
    // Strip by strip (sw output channels), channel by channel: each point's sw lanes of one
    // channel are adjacent, so every cache line of the panels is written while it is hot.
    for (let o0 = 0; o0 < M; o0 += sw) {
      let q = pc * out.pad + o0 * kc;
      for (let c = pc; c < pc + kc; c++, q += sw) {
        for (let o = o0; o < Math.min(M, o0 + sw); o++) {
          const src = (o * C + c) * 9;
          // t = G g (a x 3), column by column; then U = t G^T (a x a), row by row.
          if (tile === 2) {
            for (let k = 0; k < 3; k++) applyG2(w[src + k]!, w[src + 3 + k]!, w[src + 6 + k]!, t, k, 3);
            for (let i = 0; i < 4; i++) applyG2(t[i * 3]!, t[i * 3 + 1]!, t[i * 3 + 2]!, u, i * 4, 1);
          } else {
            for (let k = 0; k < 3; k++) applyG4(w[src + k]!, w[src + 3 + k]!, w[src + 6 + k]!, t, k, 3);
            for (let i = 0; i < 6; i++) applyG4(t[i * 3]!, t[i * 3 + 1]!, t[i * 3 + 2]!, u, i * 6, 1);
          }
          for (let xi = 0, d = q + o - o0; xi < T; xi++, d += size) panels[d] = u[xi]!;
        }
      }
    }
  }
  return out.finish(w, g, tile, tilesAsRows);
}

/**
 * Packs weights already transformed, u[(xi * Cout + o) * Cin + c] = U_xi[o, c], as
 * packWinogradF32 packs its own (for tests that bring their own transform). `w` is the
 * untransformed weight, for the direct fallback and its range check.
 */
export function packTransformedWinogradF32(
  u: Float32Array, w: Float32Array, g: ConvGeometry, tile: WinogradTile, tilesAsRows: boolean,
): PackedWinogradF32 {
  const M = g.outChannels;
  const C = g.inChannels;
  const T = (tile + 2) ** 2;
  const out = new UPanels(M, C, T, tilesAsRows);
  for (let xi = 0; xi < T; xi++) {
    for (let o = 0; o < M; o++) {
      for (let c = 0; c < C; c++) out.panels[xi * out.size + out.slot(o, c)] = u[(xi * M + o) * C + c]!;
    }
  }
  return out.finish(w, g, tile, tilesAsRows);
}

/**
 * Panels laid out K block by K block (the block at depth pc starts at base + pc * pad, its
 * strips one after another): the packed U_xi (constant: an engine may keep them), and the V_xi
 * the input transform writes (rewritten every chunk).
 */
class PanelSource implements GemmPanelSource {
  constructor(public panels: Float32Array, private readonly pad: number, public base = 0, readonly constant = false) {}
  prepare(pc: number, kc: number, r0: number): number {
    return this.base + pc * this.pad + r0 * kc;
  }
}

let vScratch: Float32Array = new Float32Array(0);
let mScratch: Float32Array = new Float32Array(0);
let bandScratch: Float32Array = new Float32Array(0);
const tile4 = new Float64Array(36);

function grow(buf: Float32Array, need: number): Float32Array {
  return buf.length >= need ? buf : new Float32Array(need);
}

/**
 * Copies the a = m + 2 input rows of tile row `ty` of one channel plane into `band`
 * (bw = tiles * m + 2 columns), zero where the rows or columns fall in the padding.
 */
function fillBand(
  x: Float32Array, plane: number, H: number, W: number, ty: number, m: number, pt: number, pl: number,
  band: Float32Array, bw: number,
): void {
  const a = m + 2;
  const lo = Math.min(pl, bw);
  const hi = Math.min(pl + W, bw);
  for (let r = 0; r < a; r++) {
    const iy = ty * m - pt + r;
    const row = r * bw;
    if (iy < 0 || iy >= H) {
      band.fill(0, row, row + bw);
      continue;
    }
    band.fill(0, row, row + lo);
    const src = plane + iy * W - pl;
    for (let col = lo; col < hi; col++) band[row + col] = x[src + col]!;
    band.fill(0, row + hi, row + bw);
  }
}

/**
 * V = B^T d B for every tile of one band (F(2x2)): writes the 16 points of tile t into
 * v[xi * vStride + at + (t / sw) * sw * kc + t % sw] (the panel slot of tile t and the channel
 * that `at` points at; sw is the strip width, GEMM_MR or GEMM_NR).
 */
function inputBand2(
  band: Float32Array, bw: number, tiles: number, t0: number,
  v: Float32Array, vStride: number, at: number, kc: number, sw: number,
): void {
  const b1 = bw, b2 = 2 * bw, b3 = 3 * bw;
  for (let tx = 0; tx < tiles; tx++) {
    const t = t0 + tx;
    const p = tx * 2;
    // Column pass (rows of B^T over the 4 rows of d), then the row pass.
    const d00 = band[p]!, d01 = band[p + 1]!, d02 = band[p + 2]!, d03 = band[p + 3]!;
    const d10 = band[b1 + p]!, d11 = band[b1 + p + 1]!, d12 = band[b1 + p + 2]!, d13 = band[b1 + p + 3]!;
    const d20 = band[b2 + p]!, d21 = band[b2 + p + 1]!, d22 = band[b2 + p + 2]!, d23 = band[b2 + p + 3]!;
    const d30 = band[b3 + p]!, d31 = band[b3 + p + 1]!, d32 = band[b3 + p + 2]!, d33 = band[b3 + p + 3]!;
    const r00 = d00 - d20, r01 = d01 - d21, r02 = d02 - d22, r03 = d03 - d23;
    const r10 = d10 + d20, r11 = d11 + d21, r12 = d12 + d22, r13 = d13 + d23;
    const r20 = d20 - d10, r21 = d21 - d11, r22 = d22 - d12, r23 = d23 - d13;
    const r30 = d10 - d30, r31 = d11 - d31, r32 = d12 - d32, r33 = d13 - d33;
    let q = at + Math.floor(t / sw) * sw * kc + (t % sw);
    v[q] = r00 - r02; q += vStride; v[q] = r01 + r02; q += vStride; v[q] = r02 - r01; q += vStride; v[q] = r01 - r03; q += vStride;
    v[q] = r10 - r12; q += vStride; v[q] = r11 + r12; q += vStride; v[q] = r12 - r11; q += vStride; v[q] = r11 - r13; q += vStride;
    v[q] = r20 - r22; q += vStride; v[q] = r21 + r22; q += vStride; v[q] = r22 - r21; q += vStride; v[q] = r21 - r23; q += vStride;
    v[q] = r30 - r32; q += vStride; v[q] = r31 + r32; q += vStride; v[q] = r32 - r31; q += vStride; v[q] = r31 - r33;
  }
}

/** V = B^T d B for every tile of one band (F(4x4)), 36 points per tile, slots as inputBand2. */
function inputBand4(
  band: Float32Array, bw: number, tiles: number, t0: number,
  v: Float32Array, vStride: number, at: number, kc: number, sw: number,
): void {
  const s = tile4;
  for (let tx = 0; tx < tiles; tx++) {
    const t = t0 + tx;
    const p = tx * 4;
    // Column pass: s[r * 6 + col] = (B^T d)[r, col].
    for (let col = 0; col < 6; col++) {
      const q = p + col;
      const d0 = band[q]!, d1 = band[q + bw]!, d2 = band[q + 2 * bw]!, d3 = band[q + 3 * bw]!, d4 = band[q + 4 * bw]!, d5 = band[q + 5 * bw]!;
      s[col] = 4 * d0 - 5 * d2 + d4;
      s[6 + col] = d3 + d4 - 4 * (d1 + d2);
      s[12 + col] = 4 * (d1 - d2) + d4 - d3;
      s[18 + col] = 2 * (d3 - d1) + d4 - d2;
      s[24 + col] = 2 * (d1 - d3) + d4 - d2;
      s[30 + col] = 4 * d1 - 5 * d3 + d5;
    }
    // Row pass, into the panels.
    let q = at + Math.floor(t / sw) * sw * kc + (t % sw);
    for (let r = 0; r < 36; r += 6) {
      const d0 = s[r]!, d1 = s[r + 1]!, d2 = s[r + 2]!, d3 = s[r + 3]!, d4 = s[r + 4]!, d5 = s[r + 5]!;
      v[q] = 4 * d0 - 5 * d2 + d4; q += vStride;
      v[q] = d3 + d4 - 4 * (d1 + d2); q += vStride;
      v[q] = 4 * (d1 - d2) + d4 - d3; q += vStride;
      v[q] = 2 * (d3 - d1) + d4 - d2; q += vStride;
      v[q] = 2 * (d1 - d3) + d4 - d2; q += vStride;
      v[q] = 4 * d1 - 5 * d3 + d5; q += vStride;
    }
  }
}

/**
 * Y = A^T M A + bias for one tile row of one output channel (F(2x2)): point xi of tile tx at
 * mm[mOff + tx * tStride + xi * mStride]; the row's first output at y[yOff], clipped to rows x OW.
 */
function outputRow2(
  mm: Float32Array, mOff: number, mStride: number, tStride: number, tiles: number, bias: number,
  y: Float32Array, yOff: number, OW: number, rows: number,
): void {
  for (let tx = 0; tx < tiles; tx++) {
    let q = mOff + tx * tStride;
    const m00 = mm[q]!, m01 = mm[q += mStride]!, m02 = mm[q += mStride]!, m03 = mm[q += mStride]!;
    const m10 = mm[q += mStride]!, m11 = mm[q += mStride]!, m12 = mm[q += mStride]!, m13 = mm[q += mStride]!;
    const m20 = mm[q += mStride]!, m21 = mm[q += mStride]!, m22 = mm[q += mStride]!, m23 = mm[q += mStride]!;
    const m30 = mm[q += mStride]!, m31 = mm[q += mStride]!, m32 = mm[q += mStride]!, m33 = mm[q += mStride]!;
    // A^T = [1 1 1 0; 0 1 -1 -1]: column pass over rows of M, then row pass.
    const s0 = m00 + m10 + m20, s1 = m01 + m11 + m21, s2 = m02 + m12 + m22, s3 = m03 + m13 + m23;
    const u0 = m10 - m20 - m30, u1 = m11 - m21 - m31, u2 = m12 - m22 - m32, u3 = m13 - m23 - m33;
    const ox = tx * 2;
    const o = yOff + ox;
    if (ox + 1 < OW) {
      y[o] = bias + (s0 + s1 + s2);
      y[o + 1] = bias + (s1 - s2 - s3);
      if (rows > 1) {
        y[o + OW] = bias + (u0 + u1 + u2);
        y[o + OW + 1] = bias + (u1 - u2 - u3);
      }
    } else {
      y[o] = bias + (s0 + s1 + s2);
      if (rows > 1) y[o + OW] = bias + (u0 + u1 + u2);
    }
  }
}

/** As outputRow2 for F(4x4): 36 points per tile, 4 x 4 outputs. */
function outputRow4(
  mm: Float32Array, mOff: number, mStride: number, tStride: number, tiles: number, bias: number,
  y: Float32Array, yOff: number, OW: number, rows: number,
): void {
  const s = tile4;
  for (let tx = 0; tx < tiles; tx++) {
    const base = mOff + tx * tStride;
    // Column pass: s[r * 6 + col] = (A^T M)[r, col] for r < 4.
    for (let col = 0; col < 6; col++) {
      let q = base + col * mStride;
      const m0 = mm[q]!, m1 = mm[q += 6 * mStride]!, m2 = mm[q += 6 * mStride]!;
      const m3 = mm[q += 6 * mStride]!, m4 = mm[q += 6 * mStride]!, m5 = mm[q += 6 * mStride]!;
      const p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4;
      s[col] = m0 + p12 + p34;
      s[6 + col] = d12 + 2 * d34;
      s[12 + col] = p12 + 4 * p34;
      s[18 + col] = d12 + 8 * d34 + m5;
    }
    const ox = tx * 4;
    const cols = Math.min(4, OW - ox);
    for (let r = 0; r < rows; r++) {
      const e = r * 6;
      const m0 = s[e]!, m1 = s[e + 1]!, m2 = s[e + 2]!, m3 = s[e + 3]!, m4 = s[e + 4]!, m5 = s[e + 5]!;
      const p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4;
      const o = yOff + r * OW + ox;
      if (cols === 4) {
        y[o] = bias + (m0 + p12 + p34);
        y[o + 1] = bias + (d12 + 2 * d34);
        y[o + 2] = bias + (p12 + 4 * p34);
        y[o + 3] = bias + (d12 + 8 * d34 + m5);
      } else {
        y[o] = bias + (m0 + p12 + p34);
        if (cols > 1) y[o + 1] = bias + (d12 + 2 * d34);
        if (cols > 2) y[o + 2] = bias + (p12 + 4 * p34);
      }
    }
  }
}

/**
 * Whether Winograd may run on inputs of magnitude at most maxAbsX (NaN: never) with these
 * weights: no transformed value can overflow float32 (see the header). Otherwise the im2col
 * kernel runs; an engine's winograd() must decide by this same test.
 */
export function winogradInRange(w: PackedWinogradF32, maxAbsX: number): boolean {
  return w.maxAbsW < RANGE_LIMIT && maxAbsX < RANGE_LIMIT && w.inChannels * 100 * w.maxAbsW * maxAbsX < RANGE_LIMIT;
}

/** max |x| over x (NaN if x holds a NaN; Math.max propagates it). */
function maxAbs(x: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/**
 * Y = activation(conv(X, W) + bias + residual) with W prepared by packWinogradF32 (same contract
 * as convPackedF32: x is N x Cin x H x W, y is N x Cout x OH x OW and every element is written;
 * Y must overlap neither X nor the residual). `ep.scratch` is not used: this kernel's
 * scratch is its own module-level buffers. Falls back to the im2col kernel when X holds a NaN or
 * Inf, or values large enough that a transformed value could overflow (see the header).
 */
export function winogradConvF32(
  x: Float32Array, w: PackedWinogradF32, y: Float32Array, g: ConvGeometry, ep: ConvEpilogueF32 = {},
): void {
  const M = g.outChannels;
  const C = g.inChannels;
  if (!winogradApplies(g) || M !== w.outChannels || C !== w.inChannels) {
    throw new RangeError(`winogradConvF32: weights packed for ${w.outChannels}x${w.inChannels}x3x3 do not fit this convolution`);
  }
  const [H, W] = [g.inSize[0]!, g.inSize[1]!];
  const [OH, OW] = [g.outSize[0]!, g.outSize[1]!];
  const N = g.batch;
  if (N === 0 || M === 0 || OH === 0 || OW === 0) return;
  // An engine checks the range itself (winogradInRange) where it has X in its memory anyway.
  if (ep.engine?.winograd?.(x, w, y, g, ep) === true) return;
  if (!winogradInRange(w, maxAbs(x, 0, N * C * H * W))) {
    convPackedF32(x, packConvF32(w.weight, g), y, g, ep);
    return;
  }
  const m = w.tile;
  const a = m + 2;
  const T = a * a;
  const [pt, pl] = [g.padsBegin[0]!, g.padsBegin[1]!];
  const th = Math.ceil(OH / m);
  const tw = Math.ceil(OW / m);
  const rowsTotal = N * th;
  const rowsPerChunk = Math.max(1, Math.min(rowsTotal, Math.floor(CHUNK_TILES / tw)));
  const nbMax = rowsPerChunk * tw;
  const sw = w.tilesAsRows ? MR : NR;
  const nbPadMax = Math.ceil(nbMax / sw) * sw;
  const kcMax = gemmBlockDepth(C);
  const bw = tw * m + 2;
  vScratch = grow(vScratch, T * oddLines(C * nbPadMax));
  mScratch = grow(mScratch, T * Math.max(nbMax * oddLines(M), M * oddLines(nbMax)));
  bandScratch = grow(bandScratch, a * bw);
  const v = vScratch, mm = mScratch, band = bandScratch;
  const bias = ep.bias ?? null;
  const inPlane = H * W;
  const outPlane = OH * OW;
  const finishing = ep.residual !== undefined || (ep.activation !== undefined && ep.activation.kind !== 'none');
  const rest: GemmEpilogue = {
    ...(ep.residual === undefined ? {} : { residual: ep.residual }),
    ...(ep.activation === undefined ? {} : { activation: ep.activation }),
  };
  const NO_EPILOGUE: GemmEpilogue = {};
  const engine = ep.engine ?? jsGemmEngine;
  for (let r0 = 0; r0 < rowsTotal; r0 += rowsPerChunk) {
    const r1 = Math.min(rowsTotal, r0 + rowsPerChunk);
    const nb = (r1 - r0) * tw;
    const nbPad = Math.ceil(nb / sw) * sw;
    const vStride = oddLines(C * nbPad);
    // Input transform: V_xi (Cin x nb) in B-panel layout, channel by channel.
    for (let c = 0; c < C; c++) {
      const pc = Math.floor(c / kcMax) * kcMax;
      const kc = Math.min(kcMax, C - pc);
      const at = pc * nbPad + (c - pc) * sw;
      for (let r = r0; r < r1; r++) {
        const n = Math.floor(r / th);
        fillBand(x, (n * C + c) * inPlane, H, W, r - n * th, m, pt, pl, band, bw);
        if (m === 2) inputBand2(band, bw, tw, (r - r0) * tw, v, vStride, at, kc, sw);
        else inputBand4(band, bw, tw, (r - r0) * tw, v, vStride, at, kc, sw);
      }
    }
    // The a^2 products. Point xi of (o, tile t) lands at mm[o * oStride + t * tStride + xi * xiStride].
    const vs = new PanelSource(v, nbPad);
    let oStride: number, tStride: number, xiStride: number;
    if (w.tilesAsRows) {
      // M_xi^T (nb x Cout) at column offset xi * xiStride of rows T * xiStride long.
      xiStride = oddLines(M);
      [oStride, tStride] = [1, T * xiStride];
      for (let xi = 0; xi < T; xi++) {
        vs.base = xi * vStride;
        engine.panels(nb, M, C, vs, w.points[xi]!, mm, xi * xiStride, tStride, 1, false, NO_EPILOGUE);
      }
    } else {
      // M_xi (Cout x nb) at column offset xi * xiStride of rows T * xiStride long.
      xiStride = oddLines(nb);
      [oStride, tStride] = [T * xiStride, 1];
      for (let xi = 0; xi < T; xi++) {
        vs.base = xi * vStride;
        engine.panels(M, nb, C, w.points[xi]!, vs, mm, xi * xiStride, oStride, 1, false, NO_EPILOGUE);
      }
    }
    // Output transform + bias, then residual and activation over the finished rows.
    for (let o = 0; o < M; o++) {
      const b = bias === null ? 0 : bias[o]!;
      for (let r = r0; r < r1; r++) {
        const n = Math.floor(r / th);
        const oy = (r - n * th) * m;
        const rows = Math.min(m, OH - oy);
        const yOff = (n * M + o) * outPlane + oy * OW;
        const mOff = o * oStride + (r - r0) * tw * tStride;
        if (m === 2) outputRow2(mm, mOff, xiStride, tStride, tw, b, y, yOff, OW, rows);
        else outputRow4(mm, mOff, xiStride, tStride, tw, b, y, yOff, OW, rows);
      }
      if (finishing) {
        // The chunk's rows of this channel, one contiguous run per image.
        for (let r = r0; r < r1;) {
          const n = Math.floor(r / th);
          const end = Math.min(r1, (n + 1) * th);
          const from = (n * M + o) * outPlane + (r - n * th) * m * OW;
          const to = (n * M + o) * outPlane + Math.min(OH, (end - n * th) * m) * OW;
          applyGemmEpilogueF32(y, from, to - from, to - from, 0, 1, 0, to - from,
            ep.residual === undefined ? rest : { ...rest, residualOffset: from });
          r = end;
        }
      }
    }
  }
}

