// GridSample over N-D spatial data and AffineGrid (the grids it samples with).
//
// GridSample: X is [N, C, D1..Dr], grid is [N, O1..Om, r] holding normalised coordinates in
// [-1, 1], innermost first (x indexes the last spatial axis, as in PyTorch). For each output
// point the coordinates are denormalised
//   align_corners: p = (g + 1) / 2 * (d - 1)      else: p = ((g + 1) * d - 1) / 2
// then (nearest) rounded, then brought back inside [lo, hi] by the padding mode (border: clamp to
// [0, d - 1]; reflection: reflect about lo / hi, where [lo, hi] is [0, d - 1] with align_corners
// and [-0.5, d - 0.5] without). Each axis then gets 1 (nearest), 2 (linear) or 4 (cubic, Keys
// a = -0.75) taps at floor(p) + t; a tap outside [0, d) reads 0 (zeros), the clamped index
// (border) or the reflected index (reflection). The value is the tensor-product sum over taps.
// This is the ONNX reference's definition (which follows PyTorch's GridSampler). Nearest rounds
// half to even (C's nearbyint) in every rank, as the ONNX node tests expect.
//
// Non-finite coordinates: with zeros padding the point reads 0; otherwise a NaN coordinate gives
// NaN (an infinite one is clamped by border and gives NaN under reflection).

import { roundHalfEven } from './rounding.js';
import type { FloatArray } from './arrays.js';
export type { FloatArray };

export type GridMode = 'nearest' | 'linear' | 'cubic';
export type GridPadding = 'zeros' | 'border' | 'reflection';

export interface GridSampleGeometry {
  readonly batch: number;
  readonly channels: number;
  /** Spatial dims of X, outermost first. */
  readonly inDims: readonly number[];
  /** Number of output points per (n, c): product of the grid's middle dims. */
  readonly outPoints: number;
  readonly mode: GridMode;
  readonly padding: GridPadding;
  readonly alignCorners: boolean;
}

const CUBIC_A = -0.75;

/** Keys cubic weights for taps at floor - 1 .. floor + 2, with t = p - floor(p) in [0, 1). */
function cubicWeights(t: number, w: Float64Array, at: number): void {
  const a = CUBIC_A;
  const x0 = t + 1;
  const x1 = t;
  const x2 = 1 - t;
  const x3 = 2 - t;
  w[at] = ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a;
  w[at + 1] = ((a + 2) * x1 - (a + 3)) * x1 * x1 + 1;
  w[at + 2] = ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1;
  w[at + 3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
}

/** Reflects x about the borders lo / hi until it lies inside [lo, hi]. */
export function reflectCoordinate(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / range);
    const r = dx - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

/** The source index a tap at integer i reads, or -1 for a zero. */
function tapIndex(i: number, d: number, padding: GridPadding, lo: number, hi: number): number {
  if (i >= 0 && i < d) return i;
  if (padding === 'zeros') return -1;
  if (padding === 'border') return i < 0 ? 0 : d - 1;
  const r = Math.trunc(reflectCoordinate(i, lo, hi));
  return r < 0 ? 0 : r >= d ? d - 1 : r;
}

export function gridSample(x: FloatArray, grid: FloatArray, out: FloatArray, g: GridSampleGeometry): void {
  const r = g.inDims.length;
  const { channels: C, outPoints: P, mode, padding, alignCorners } = g;
  const taps = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
  let combos = 1;
  for (let i = 0; i < r; i++) combos *= taps;
  const strides = new Array<number>(r);
  let plane = 1;
  for (let i = r - 1; i >= 0; i--) { strides[i] = plane; plane *= g.inDims[i]!; }
  // Per-axis taps (source offset along the axis times its stride, or -1) and weights.
  const axisOff = new Int32Array(r * taps);
  const axisW = new Float64Array(r * taps);
  // Combined taps of the current point.
  const comboOff = new Int32Array(combos);
  const comboW = new Float64Array(combos);
  const digit = new Int32Array(r);

  for (let n = 0; n < g.batch; n++) {
    const xBase = n * C * plane;
    for (let p = 0; p < P; p++) {
      const gBase = (n * P + p) * r;
      let zero = false;
      let nan = false;
      for (let i = 0; i < r; i++) {
        const d = g.inDims[i]!;
        const gv = grid[gBase + r - 1 - i]!;
        let c = alignCorners ? ((gv + 1) / 2) * (d - 1) : ((gv + 1) * d - 1) / 2;
        const lo = alignCorners ? 0 : -0.5;
        const hi = alignCorners ? d - 1 : d - 0.5;
        if (mode === 'nearest') c = roundHalfEven(c);
        if (c < lo || c > hi) {
          if (padding === 'border') c = c < 0 ? 0 : c > d - 1 ? d - 1 : c;
          else if (padding === 'reflection') c = reflectCoordinate(c, lo, hi);
        }
        if (!Number.isFinite(c)) {
          if (padding === 'zeros') zero = true;
          else nan = true;
          continue;
        }
        const at = i * taps;
        const s = strides[i]!;
        if (mode === 'nearest') {
          const k = tapIndex(Math.trunc(c), d, padding, lo, hi);
          axisOff[at] = k < 0 ? -1 : k * s;
          axisW[at] = 1;
        } else {
          const f = Math.floor(c);
          const t = c - f;
          const first = mode === 'linear' ? f : f - 1;
          if (mode === 'linear') { axisW[at] = 1 - t; axisW[at + 1] = t; } else cubicWeights(t, axisW, at);
          for (let k = 0; k < taps; k++) {
            const idx = tapIndex(first + k, d, padding, lo, hi);
            axisOff[at + k] = idx < 0 ? -1 : idx * s;
          }
        }
      }
      const oBase = n * C * P + p;
      if (zero || nan) {
        const v = nan ? NaN : 0;
        for (let ch = 0; ch < C; ch++) out[oBase + ch * P] = v;
        continue;
      }
      // Tensor product of the axis taps; a combo touching a zero tap is dropped (offset -1).
      digit.fill(0);
      for (let k = 0; k < combos; k++) {
        let off = 0;
        let w = 1;
        for (let i = 0; i < r; i++) {
          const o = axisOff[i * taps + digit[i]!]!;
          if (o < 0) { off = -1; break; }
          off += o;
          w *= axisW[i * taps + digit[i]!]!;
        }
        comboOff[k] = off;
        comboW[k] = w;
        for (let i = r - 1; i >= 0; i--) {
          if (++digit[i]! < taps) break;
          digit[i] = 0;
        }
      }
      for (let ch = 0; ch < C; ch++) {
        const src = xBase + ch * plane;
        let acc = 0;
        for (let k = 0; k < combos; k++) {
          const o = comboOff[k]!;
          if (o >= 0) acc += comboW[k]! * x[src + o]!;
        }
        out[oBase + ch * P] = acc;
      }
    }
  }
}

/** Normalised base coordinate of index i along an axis of n points. */
export function affineBase(i: number, n: number, alignCorners: boolean): number {
  if (alignCorners) return n === 1 ? -1 : -1 + (2 * i) / (n - 1);
  return (2 * i + 1) / n - 1;
}

/**
 * AffineGrid: out[n, s..., k] = sum_j theta[n, k, j] * base[j] where base = (x, y[, z], 1) is
 * the normalised position of spatial index s (x along the last axis). `dims` are the r = 2 or 3
 * spatial sizes; theta is [N, r, r + 1]; out is [N, ...dims, r].
 */
export function affineGrid(
  theta: FloatArray, out: FloatArray, batch: number, dims: readonly number[], alignCorners: boolean,
): void {
  const r = dims.length;
  let points = 1;
  for (const d of dims) points *= d;
  const base = new Float64Array(r + 1);
  const idx = new Int32Array(r);
  base[r] = 1;
  for (let n = 0; n < batch; n++) {
    const t = n * r * (r + 1);
    idx.fill(0);
    for (let p = 0; p < points; p++) {
      // base[0] is x (last axis), base[1] y, base[2] z.
      for (let j = 0; j < r; j++) base[j] = affineBase(idx[r - 1 - j]!, dims[r - 1 - j]!, alignCorners);
      const o = (n * points + p) * r;
      for (let k = 0; k < r; k++) {
        let acc = 0;
        for (let j = 0; j <= r; j++) acc += theta[t + k * (r + 1) + j]! * base[j]!;
        out[o + k] = acc;
      }
      for (let a = r - 1; a >= 0; a--) {
        if (++idx[a]! < dims[a]!) break;
        idx[a] = 0;
      }
    }
  }
}
