// Windowed pooling (max, average, Lp) over up to three spatial dimensions, and the
// global pools. Tensors are viewed as [channels, D, H, W] where channels = N * C and
// lower-rank pools pass 1 for the unused leading spatial dims (kernel 1, stride 1,
// dilation 1, no padding). A window position p = o * stride - padBegin + k * dilation
// reads the input when 0 <= p < in; positions outside are padding.

import type { FloatArray } from './arrays.js';

/** Geometry of a pool; every array has exactly three entries [D, H, W]. */
export interface PoolGeometry {
  /** N * C. */
  readonly channels: number;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
}

/**
 * One grown buffer per spatial dim, reused by every call (kernels run synchronously, and a pool
 * reads its three ranges only while it runs); it may be longer than a call needs.
 */
const tapScratch = [new Int32Array(0), new Int32Array(0), new Int32Array(0)];

/**
 * Per spatial dim and output position, the range [kFrom, kTo) of kernel taps that land
 * inside the input, and `kPad`: the number of taps that land before in + padEnd (the
 * count_include_pad divisor). Stored as Int32Array triples, indexed by output position.
 */
function tapRanges(g: PoolGeometry, dim: number): Int32Array {
  const n = g.outShape[dim]!;
  const inSize = g.inShape[dim]!;
  const k = g.kernel[dim]!;
  const s = g.strides[dim]!;
  const d = g.dilations[dim]!;
  const pb = g.padsBegin[dim]!;
  const pe = g.padsEnd[dim]!;
  if (tapScratch[dim]!.length < n * 3) tapScratch[dim] = new Int32Array(n * 3);
  const r = tapScratch[dim]!;
  for (let o = 0; o < n; o++) {
    const start = o * s - pb;
    const from = start >= 0 ? 0 : Math.ceil(-start / d);
    const to = Math.min(k, Math.max(0, Math.ceil((inSize - start) / d)));
    const padTo = Math.min(k, Math.max(0, Math.ceil((inSize + pe - start) / d)));
    r[o * 3] = Math.min(from, to);
    r[o * 3 + 1] = to;
    r[o * 3 + 2] = padTo;
  }
  return r;
}

/**
 * Max over each window; NaN inputs are skipped, a window with no value gives `empty`
 * (-Infinity for floats, the type's lowest value for ints, as onnxruntime does).
 * When `indices` is given it receives the flat input index of the (first) maximum,
 * counted over the whole input including the channel offset; `columnMajor` numbers the
 * spatial positions with the first spatial dim fastest (storage_order = 1). A window
 * without a maximum gets index -1.
 */
export function maxPoolFloat(
  x: FloatArray, out: FloatArray, g: PoolGeometry,
  indices: BigInt64Array | null, columnMajor: boolean, empty: number,
): void {
  const [D, H, W] = g.inShape as [number, number, number];
  const [OD, OH, OW] = g.outShape as [number, number, number];
  const [sD, sH, sW] = g.strides as [number, number, number];
  const [dD, dH, dW] = g.dilations as [number, number, number];
  const [pD, pH, pW] = g.padsBegin as [number, number, number];
  const rd = tapRanges(g, 0), rh = tapRanges(g, 1), rw = tapRanges(g, 2);
  const inSize = D * H * W;
  const outSize = OD * OH * OW;
  for (let c = 0; c < g.channels; c++) {
    const xb = c * inSize;
    let oi = c * outSize;
    for (let od = 0; od < OD; od++) {
      const d0 = od * sD - pD;
      const kd0 = rd[od * 3]!, kd1 = rd[od * 3 + 1]!;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * sH - pH;
        const kh0 = rh[oh * 3]!, kh1 = rh[oh * 3 + 1]!;
        for (let ow = 0; ow < OW; ow++, oi++) {
          const w0 = ow * sW - pW;
          const kw0 = rw[ow * 3]!, kw1 = rw[ow * 3 + 1]!;
          let m = -Infinity;
          let best = -1;
          for (let kd = kd0; kd < kd1; kd++) {
            const id = d0 + kd * dD;
            for (let kh = kh0; kh < kh1; kh++) {
              const ih = h0 + kh * dH;
              const rowBase = (id * H + ih) * W;
              for (let kw = kw0; kw < kw1; kw++) {
                const p = rowBase + w0 + kw * dW;
                const v = x[xb + p]!;
                if (v > m || (best < 0 && v === m)) { m = v; best = p; }
              }
            }
          }
          out[oi] = best < 0 ? empty : m;
          if (indices !== null) {
            let idx = -1;
            if (best >= 0) {
              if (columnMajor) {
                const bw = best % W, bh = ((best - bw) / W) % H, bd = (best - bw - bh * W) / (W * H);
                idx = xb + bd + bh * D + bw * D * H;
              } else {
                idx = xb + best;
              }
            }
            indices[oi] = BigInt(idx);
          }
        }
      }
    }
  }
}

/**
 * maxPoolFloat's result by the fastest kernel that computes it: maxPool2dF32 for float32 over at
 * most two spatial dims without indices, else maxPoolFloat itself.
 */
export function maxPoolWindows(
  x: FloatArray, out: FloatArray, g: PoolGeometry, indices: BigInt64Array | null, columnMajor: boolean, empty: number,
): void {
  if (indices === null && x instanceof Float32Array && out instanceof Float32Array && g.outShape[0] === 1 && g.kernel[0] === 1
    && g.padsBegin[0] === 0 && g.strides[0] === 1 && g.inShape[0] === 1) {
    maxPool2dF32(x, out, g, empty);
  } else {
    maxPoolFloat(x, out, g, indices, columnMajor, empty);
  }
}

/**
 * maxPoolFloat for a float32 pool over two spatial dims (D = 1) without indices, for channels
 * [c0, c1): the same values (NaN skipped, the first of equal values such as +0 and -0, `empty`
 * for a window with no value), monomorphic, with the window's rows and columns clipped once per
 * output row and column. The reference is maxPoolFloat
 * (test/props/pool.test.ts).
 */
export function maxPool2dF32(x: Float32Array, out: Float32Array, g: PoolGeometry, empty: number, c0 = 0, c1 = g.channels): void {
  const H = g.inShape[1]!, W = g.inShape[2]!;
  const OH = g.outShape[1]!, OW = g.outShape[2]!;
  const sH = g.strides[1]!, sW = g.strides[2]!;
  const dH = g.dilations[1]!, dW = g.dilations[2]!;
  const pH = g.padsBegin[1]!, pW = g.padsBegin[2]!;
  const rh = tapRanges(g, 1), rw = tapRanges(g, 2);
  for (let c = c0; c < c1; c++) {
    const xb = c * H * W;
    let oi = c * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const kh0 = rh[oh * 3]!, kh1 = rh[oh * 3 + 1]!;
      const top = xb + (oh * sH - pH) * W;
      for (let ow = 0; ow < OW; ow++, oi++) {
        const kw0 = rw[ow * 3]!, kw1 = rw[ow * 3 + 1]!;
        const left = top + ow * sW - pW;
        let m = -Infinity;
        let any = false;
        for (let kh = kh0; kh < kh1; kh++) {
          const row = left + kh * dH * W;
          for (let kw = kw0; kw < kw1; kw++) {
            const v = x[row + kw * dW]!;
            if (v > m) { m = v; any = true; } else if (v === m) any = true; // -Inf; a later ±0 equal to m keeps the first
          }
        }
        out[oi] = any ? m : empty;
      }
    }
  }
}

/**
 * Average over each window. With `countIncludePad` the divisor counts the taps that
 * land inside the explicitly padded input [-padBegin, in + padEnd); otherwise only the
 * taps inside the input; a non-zero `divisorOverride` (PyTorch's divisor_override) replaces
 * either. NaN inputs propagate; an empty window gives NaN (0 / 0).
 */
export function averagePoolFloat(
  x: FloatArray, out: FloatArray, g: PoolGeometry, countIncludePad: boolean, divisorOverride = 0,
): void {
  const [D, H, W] = g.inShape as [number, number, number];
  const [OD, OH, OW] = g.outShape as [number, number, number];
  const [sD, sH, sW] = g.strides as [number, number, number];
  const [dD, dH, dW] = g.dilations as [number, number, number];
  const [pD, pH, pW] = g.padsBegin as [number, number, number];
  const rd = tapRanges(g, 0), rh = tapRanges(g, 1), rw = tapRanges(g, 2);
  const inSize = D * H * W;
  const outSize = OD * OH * OW;
  for (let c = 0; c < g.channels; c++) {
    const xb = c * inSize;
    let oi = c * outSize;
    for (let od = 0; od < OD; od++) {
      const d0 = od * sD - pD;
      const kd0 = rd[od * 3]!, kd1 = rd[od * 3 + 1]!, kdPad = rd[od * 3 + 2]!;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * sH - pH;
        const kh0 = rh[oh * 3]!, kh1 = rh[oh * 3 + 1]!, khPad = rh[oh * 3 + 2]!;
        for (let ow = 0; ow < OW; ow++, oi++) {
          const w0 = ow * sW - pW;
          const kw0 = rw[ow * 3]!, kw1 = rw[ow * 3 + 1]!, kwPad = rw[ow * 3 + 2]!;
          let sum = 0;
          for (let kd = kd0; kd < kd1; kd++) {
            const id = d0 + kd * dD;
            for (let kh = kh0; kh < kh1; kh++) {
              const rowBase = xb + (id * H + h0 + kh * dH) * W + w0;
              for (let kw = kw0; kw < kw1; kw++) sum += x[rowBase + kw * dW]!;
            }
          }
          const count = divisorOverride !== 0 ? divisorOverride : countIncludePad
            ? kdPad * khPad * kwPad
            : (kd1 - kd0) * (kh1 - kh0) * (kw1 - kw0);
          out[oi] = sum / count;
        }
      }
    }
  }
}

/** (sum over the window of |x|^p)^(1/p); padding contributes nothing. */
export function lpPoolFloat(x: FloatArray, out: FloatArray, g: PoolGeometry, p: number): void {
  const [D, H, W] = g.inShape as [number, number, number];
  const [OD, OH, OW] = g.outShape as [number, number, number];
  const [sD, sH, sW] = g.strides as [number, number, number];
  const [dD, dH, dW] = g.dilations as [number, number, number];
  const [pD, pH, pW] = g.padsBegin as [number, number, number];
  const rd = tapRanges(g, 0), rh = tapRanges(g, 1), rw = tapRanges(g, 2);
  const inSize = D * H * W;
  const outSize = OD * OH * OW;
  const invP = 1 / p;
  for (let c = 0; c < g.channels; c++) {
    const xb = c * inSize;
    let oi = c * outSize;
    for (let od = 0; od < OD; od++) {
      const d0 = od * sD - pD;
      const kd0 = rd[od * 3]!, kd1 = rd[od * 3 + 1]!;
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * sH - pH;
        const kh0 = rh[oh * 3]!, kh1 = rh[oh * 3 + 1]!;
        for (let ow = 0; ow < OW; ow++, oi++) {
          const w0 = ow * sW - pW;
          const kw0 = rw[ow * 3]!, kw1 = rw[ow * 3 + 1]!;
          let sum = 0;
          for (let kd = kd0; kd < kd1; kd++) {
            const id = d0 + kd * dD;
            for (let kh = kh0; kh < kh1; kh++) {
              const rowBase = xb + (id * H + h0 + kh * dH) * W + w0;
              for (let kw = kw0; kw < kw1; kw++) sum += Math.abs(x[rowBase + kw * dW]!) ** p;
            }
          }
          out[oi] = sum ** invP;
        }
      }
    }
  }
}

/** Mean of each contiguous run of `size` elements (one per channel). */
export function globalAveragePoolFloat(x: FloatArray, out: FloatArray, channels: number, size: number): void {
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    const b = c * size;
    for (let i = 0; i < size; i++) sum += x[b + i]!;
    out[c] = sum / size;
  }
}

/** Max of each contiguous run of `size` elements (NaN propagates, like numpy's max). */
export function globalMaxPoolFloat(x: FloatArray, out: FloatArray, channels: number, size: number): void {
  for (let c = 0; c < channels; c++) {
    let m = -Infinity;
    const b = c * size;
    for (let i = 0; i < size; i++) {
      const v = x[b + i]!;
      if (v > m) m = v;
      else if (v !== v) { m = NaN; break; }
    }
    out[c] = m;
  }
}

/** (sum of |x|^p)^(1/p) over each contiguous run of `size` elements. */
export function globalLpPoolFloat(x: FloatArray, out: FloatArray, channels: number, size: number, p: number): void {
  const invP = 1 / p;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    const b = c * size;
    for (let i = 0; i < size; i++) sum += Math.abs(x[b + i]!) ** p;
    out[c] = sum ** invP;
  }
}
