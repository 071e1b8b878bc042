// Resize, separable: each resized axis gets a plan (for every output coordinate, which input
// coordinates contribute and with what weight), computed once; the plans are then applied one
// axis at a time over [outer, axis, inner] views. Coordinates follow the ONNX Resize spec.

export type CoordinateMode =
  | 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric'
  | 'tf_crop_and_resize' | 'tf_half_pixel_for_nn';
/** 'simple' is Resize-10 / Upsample: truncate when upsampling, ceil when downsampling. */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';
export type InterpolationMode = 'nearest' | 'linear' | 'cubic';

export interface ResizeOptions {
  readonly mode: InterpolationMode;
  readonly coordinate: CoordinateMode;
  readonly nearest: NearestMode;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
}

export interface AxisSpec {
  readonly inLen: number;
  readonly outLen: number;
  /** The scale factor the spec uses in coordinate formulas (given, or outLen / inLen). */
  readonly scale: number;
  /** tf_crop_and_resize region, as fractions of the input (0 and 1 when unused). */
  readonly roiStart: number;
  readonly roiEnd: number;
}

export interface AxisPlan {
  readonly inLen: number;
  readonly outLen: number;
  /** Contributions per output coordinate. */
  readonly taps: number;
  /** outLen * taps input coordinates, clamped into [0, inLen). */
  readonly index: Int32Array;
  /** outLen * taps weights. */
  readonly weight: Float64Array;
  /** 1 where the output coordinate falls outside the crop (tf_crop_and_resize) and takes the extrapolation value. */
  readonly outside: Uint8Array | null;
}

/** The input coordinate that output coordinate x maps to; NaN for a crop outside the input. */
export function originalCoordinate(x: number, s: AxisSpec, mode: CoordinateMode): number {
  const inLen = s.inLen;
  const scale = s.scale;
  // The spec's output_width: fractional when it comes from a scale. It is the divisor in
  // align_corners / tf_crop_and_resize (as the ONNX reference outputs require); the integer
  // output length decides the single-output special cases.
  const outWidth = scale * inLen;
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = s.outLen / outWidth;
      const center = inLen / 2;
      const offset = center * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      // The spec's formula (onnxruntime agrees; the ONNX Python reference uses -0.5 here).
      return s.outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return s.outLen > 1 ? (x * (inLen - 1)) / (outWidth - 1) : 0;
    case 'asymmetric':
      return x / scale;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    case 'tf_crop_and_resize': {
      const span = s.roiEnd - s.roiStart;
      let xo = s.outLen > 1 ? (x * span * (inLen - 1)) / (outWidth - 1) : (span * (inLen - 1)) / 2;
      xo += s.roiStart * (inLen - 1);
      return xo < 0 || xo > inLen - 1 ? NaN : xo;
    }
  }
}

function nearestIndex(xo: number, mode: NearestMode, scale: number): number {
  const f = Math.floor(xo);
  if (xo === f) return f;
  switch (mode) {
    case 'round_prefer_floor': return xo - f <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil': return xo - f < 0.5 ? f : f + 1;
    case 'floor': return f;
    case 'ceil': return f + 1;
    case 'simple': return scale < 1 ? f + 1 : Math.trunc(xo);
  }
}

const TINY_WEIGHT = 1e-12;

function cubicWeight(x: number, a: number): number {
  const t = Math.abs(x);
  if (t === 1) return 0; // exact zero (the polynomial rounds to ~1e-16 for some a)
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/** Number of taps for the interpolation mode at this scale. */
function tapCount(mode: InterpolationMode, antialias: boolean, scale: number): number {
  if (mode === 'nearest') return 1;
  const s = antialias ? Math.min(scale, 1) : 1;
  const start = mode === 'linear' ? Math.floor(-1 / s) + 1 : Math.floor(-2 / s) + 1;
  return 2 - 2 * start;
}

/** Computes which inputs feed each output coordinate of one axis, and their weights. */
export function planAxis(s: AxisSpec, o: ResizeOptions): AxisPlan {
  const { inLen, outLen } = s;
  const taps = tapCount(o.mode, o.antialias, s.scale);
  const index = new Int32Array(outLen * taps);
  const weight = new Float64Array(outLen * taps);
  let outside: Uint8Array | null = null;
  const last = inLen - 1;
  const half = taps / 2;
  // Filter support scale: antialiasing stretches the kernel when downsampling.
  const fs = o.antialias ? Math.min(s.scale, 1) : 1;
  for (let x = 0; x < outLen; x++) {
    const xo = originalCoordinate(x, s, o.coordinate);
    const p = x * taps;
    if (Number.isNaN(xo)) {
      outside ??= new Uint8Array(outLen);
      outside[x] = 1;
      continue;
    }
    if (o.mode === 'nearest') {
      const i = nearestIndex(xo, o.nearest, s.scale);
      index[p] = i < 0 ? 0 : i > last ? last : i;
      weight[p] = 1;
      continue;
    }
    // Taps sit at base - half + 1 .. base + half, base = the input just left of xo (ratio in (0, 1]).
    const f = Math.floor(xo);
    const ratio = xo === f ? 1 : xo - f;
    const base = xo === f ? f - 1 : f;
    // Taps outside the input read the nearest edge sample (edge padding).
    const first = base - half + 1;
    if (xo === f && fs === 1) {
      // On an input sample: exactly that sample (the other taps' weights vanish in theory,
      // and setting them to 0 keeps scale-1 resizes exact even next to inf/NaN).
      const at = f < 0 ? 0 : f > last ? last : f;
      for (let t = 0; t < taps; t++) index[p + t] = at;
      weight[p] = 1;
      continue;
    }
    let sumAll = 0;
    let sumInside = 0;
    for (let t = 0; t < taps; t++) {
      const d = (1 - half + t - ratio) * fs; // distance of tap t from xo, in filter units
      const w = o.mode === 'linear'
        ? (fs === 1 ? (t === 0 ? 1 - ratio : ratio) : Math.max(0, 1 - Math.abs(d)))
        : cubicWeight(d, o.cubicA);
      const i = first + t;
      index[p + t] = i < 0 ? 0 : i > last ? last : i;
      weight[p + t] = w;
      sumAll += w;
      if (i >= 0 && i <= last) sumInside += w;
    }
    // exclude_outside drops taps beyond the edges and renormalises; when every tap is outside
    // (possible far outside the input) the edge-padded weights are kept instead of 0/0.
    const exclude = o.excludeOutside && sumInside !== 0;
    const norm = exclude ? sumInside : o.antialias || o.excludeOutside ? sumAll : 1;
    for (let t = 0; t < taps; t++) {
      const i = first + t;
      const w = exclude && (i < 0 || i > last) ? 0 : weight[p + t]! / norm;
      // A weight this small is rounding noise around a zero of the kernel (xo within an ulp
      // of an input sample); dropping it keeps an inf/NaN neighbour from leaking in.
      weight[p + t] = Math.abs(w) < TINY_WEIGHT ? 0 : w;
    }
  }
  return { inLen, outLen, taps, index, weight, outside };
}

/** True when the plan maps every output coordinate to the same input coordinate with weight 1. */
export function isIdentityPlan(plan: AxisPlan): boolean {
  if (plan.inLen !== plan.outLen || plan.outside) return false;
  const { taps, index, weight } = plan;
  for (let x = 0; x < plan.outLen; x++) {
    for (let t = 0; t < taps; t++) {
      const w = weight[x * taps + t]!;
      if (w === 0) continue;
      if (w !== 1 || index[x * taps + t] !== x) return false;
    }
  }
  return true;
}

/**
 * Applies one axis plan: src is [outer, plan.inLen, inner], dst is [outer, plan.outLen, inner].
 * Zero-weight taps are skipped (so an infinite neighbour does not turn into NaN); sums are kept
 * in float64 whatever dst is.
 */
export function resizeAxis(
  src: Float32Array | Float64Array, dst: Float32Array | Float64Array,
  outer: number, inner: number, plan: AxisPlan, extrapolation: number,
): void {
  const { inLen, outLen, taps, index, weight, outside } = plan;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const sBase = o * inLen;
      const dBase = o * outLen;
      for (let x = 0; x < outLen; x++) {
        if (outside !== null && outside[x] === 1) {
          dst[dBase + x] = extrapolation;
          continue;
        }
        let acc = 0;
        const p = x * taps;
        for (let t = 0; t < taps; t++) {
          const w = weight[p + t]!;
          if (w !== 0) acc += w * src[sBase + index[p + t]!]!;
        }
        dst[dBase + x] = acc;
      }
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const sBase = o * inLen * inner;
    const dBase = o * outLen * inner;
    for (let x = 0; x < outLen; x++) {
      const d = dBase + x * inner;
      if (outside !== null && outside[x] === 1) {
        for (let i = 0; i < inner; i++) dst[d + i] = extrapolation;
        continue;
      }
      acc.fill(0);
      const p = x * taps;
      for (let t = 0; t < taps; t++) {
        const w = weight[p + t]!;
        if (w === 0) continue;
        const s = sBase + index[p + t]! * inner;
        for (let i = 0; i < inner; i++) acc[i] += w * src[s + i]!;
      }
      for (let i = 0; i < inner; i++) dst[d + i] = acc[i]!;
    }
  }
}

/**
 * 2-D fast path over the last two axes ([planes, inH, inW] -> [planes, outH, outW]) for plans
 * without extrapolation: each output row is the weighted sum of horizontally resized input rows,
 * and the few rows in use are cached, so no full-size intermediate is allocated.
 */
export function resize2d(
  src: Float32Array | Float64Array, dst: Float32Array | Float64Array, planes: number,
  yPlan: AxisPlan, xPlan: AxisPlan,
): void {
  const inH = yPlan.inLen;
  const inW = xPlan.inLen;
  const outH = yPlan.outLen;
  const outW = xPlan.outLen;
  const ty = yPlan.taps;
  const tx = xPlan.taps;
  const yIdx = yPlan.index;
  const yW = yPlan.weight;
  const xIdx = xPlan.index;
  const xW = xPlan.weight;
  // Cache of horizontally resized rows: slot k holds input row rowOf[k].
  const slots = ty;
  const rows = new Float64Array(slots * outW);
  const rowOf = new Int32Array(slots);
  const acc = new Float64Array(outW);
  for (let pl = 0; pl < planes; pl++) {
    const sPlane = pl * inH * inW;
    const dPlane = pl * outH * outW;
    rowOf.fill(-1);
    for (let y = 0; y < outH; y++) {
      acc.fill(0);
      for (let t = 0; t < ty; t++) {
        const wy = yW[y * ty + t]!;
        if (wy === 0) continue;
        const r = yIdx[y * ty + t]!;
        const slot = r % slots;
        const row = slot * outW;
        if (rowOf[slot] !== r) {
          const sRow = sPlane + r * inW;
          for (let x = 0; x < outW; x++) {
            let h = 0;
            const p = x * tx;
            for (let u = 0; u < tx; u++) {
              const w = xW[p + u]!;
              if (w !== 0) h += w * src[sRow + xIdx[p + u]!]!;
            }
            rows[row + x] = h;
          }
          rowOf[slot] = r;
        }
        for (let x = 0; x < outW; x++) acc[x] += wy * rows[row + x]!;
      }
      const d = dPlane + y * outW;
      for (let x = 0; x < outW; x++) dst[d + x] = acc[x]!;
    }
  }
}

/**
 * Nearest resize as element offsets: for every output element (row-major over outDims) the
 * flat input offset, from one-tap plans (identity axes may pass null).
 */
export function nearestOffsets(
  outDims: readonly number[], inStrides: readonly number[], plans: readonly (AxisPlan | null)[], out: Int32Array,
): void {
  const rank = outDims.length;
  const total = out.length;
  if (total === 0) return;
  if (rank === 0) {
    out[0] = 0;
    return;
  }
  // Offset contributed by each axis coordinate, per axis.
  const contrib: Int32Array[] = [];
  for (let d = 0; d < rank; d++) {
    const c = new Int32Array(outDims[d]!);
    const plan = plans[d];
    for (let i = 0; i < c.length; i++) c[i] = (plan ? plan.index[i * plan.taps]! : i) * inStrides[d]!;
    contrib.push(c);
  }
  const counter = new Int32Array(rank);
  const partial = new Float64Array(rank + 1); // partial[d] = sum of contributions of axes < d
  for (let d = 0; d < rank; d++) partial[d + 1] = partial[d]! + contrib[d]![0]!;
  const lastC = contrib[rank - 1]!;
  const lastLen = outDims[rank - 1]!;
  let p = 0;
  while (p < total) {
    const base = partial[rank - 1]!;
    for (let i = 0; i < lastLen; i++) out[p++] = base + lastC[i]!;
    // Advance the counter over the leading axes.
    let d = rank - 2;
    for (; d >= 0; d--) {
      counter[d]!++;
      if (counter[d]! < outDims[d]!) break;
      counter[d] = 0;
    }
    if (d < 0) break;
    for (let e = d; e < rank - 1; e++) partial[e + 1] = partial[e]! + contrib[e]![counter[e]!]!;
  }
}

/** int64/uint64 -> float64 (values beyond 2^53 round). */
export function bigToFloat64(src: BigInt64Array | BigUint64Array, dst: Float64Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = Number(src[i]!);
}

/** float64 -> int64/uint64, truncating toward zero like a C cast; NaN and infinities become 0. */
export function float64ToBig(src: Float64Array, dst: BigInt64Array | BigUint64Array): void {
  const unsigned = dst instanceof BigUint64Array;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const b = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    dst[i] = unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
  }
}
