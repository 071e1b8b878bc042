// Detection kernels: NonMaxSuppression, RoiAlign, MaxRoiPool.

import { argsortByKeys } from './argsort.js';
import type { FloatArray } from './arrays.js';
export type { FloatArray };

// ---- NonMaxSuppression ----

export interface NmsParams {
  readonly batches: number;
  readonly classes: number;
  readonly boxes: number;
  /** Boxes selected per (batch, class) at most. */
  readonly maxPerClass: number;
  readonly iouThreshold: number;
  /** Boxes need score > scoreThreshold; null keeps every box. */
  readonly scoreThreshold: number | null;
  /** true: [x_center, y_center, width, height]; false: [y1, x1, y2, x2] in either corner order. */
  readonly centerPointBox: boolean;
}

/** Whether two boxes (as [ymin, xmin, ymax, xmax] rows of `c`) overlap by IoU > threshold. */
function suppresses(c: Float64Array, i: number, j: number, threshold: number): boolean {
  const a = i * 4;
  const b = j * 4;
  const ixMin = Math.max(c[a + 1]!, c[b + 1]!);
  const ixMax = Math.min(c[a + 3]!, c[b + 3]!);
  if (!(ixMax > ixMin)) return false;
  const iyMin = Math.max(c[a]!, c[b]!);
  const iyMax = Math.min(c[a + 2]!, c[b + 2]!);
  if (!(iyMax > iyMin)) return false;
  const inter = (ixMax - ixMin) * (iyMax - iyMin);
  const areaA = (c[a + 3]! - c[a + 1]!) * (c[a + 2]! - c[a]!);
  const areaB = (c[b + 3]! - c[b + 1]!) * (c[b + 2]! - c[b]!);
  const union = areaA + areaB - inter;
  if (!(inter > 0) || !(areaA > 0) || !(areaB > 0) || !(union > 0)) return false;
  return inter / union > threshold;
}

/**
 * Greedy NMS per (batch, class): candidates by descending score (ties: lower box index first),
 * each kept unless its IoU with an already kept box of the class exceeds the threshold.
 * Writes (batch, class, box) triples to `selected` (room for batches * classes *
 * min(maxPerClass, boxes) triples) and returns how many were written.
 */
export function nonMaxSuppression(boxes: FloatArray, scores: FloatArray, p: NmsParams, selected: Int32Array): number {
  const S = p.boxes;
  const corners = new Float64Array(S * 4);
  const keys = new Float64Array(S);
  const idx = new Int32Array(S);
  const tmp = new Int32Array(S);
  const kept = new Int32Array(Math.min(S, Math.max(p.maxPerClass, 0)));
  let count = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let s = 0; s < S; s++) {
      const o = (b * S + s) * 4;
      const q = s * 4;
      if (p.centerPointBox) {
        const hw = boxes[o + 2]! / 2;
        const hh = boxes[o + 3]! / 2;
        corners[q] = boxes[o + 1]! - hh;
        corners[q + 1] = boxes[o]! - hw;
        corners[q + 2] = boxes[o + 1]! + hh;
        corners[q + 3] = boxes[o]! + hw;
      } else {
        const y1 = boxes[o]!;
        const x1 = boxes[o + 1]!;
        const y2 = boxes[o + 2]!;
        const x2 = boxes[o + 3]!;
        corners[q] = y1 >= y2 ? y2 : y1;
        corners[q + 1] = x1 >= x2 ? x2 : x1;
        corners[q + 2] = y1 >= y2 ? y1 : y2;
        corners[q + 3] = x1 >= x2 ? x1 : x2;
      }
    }
    for (let c = 0; c < p.classes; c++) {
      const base = (b * p.classes + c) * S;
      let n = 0;
      for (let s = 0; s < S; s++) {
        const v = scores[base + s]!;
        keys[s] = v;
        if (p.scoreThreshold === null || v > p.scoreThreshold) idx[n++] = s;
      }
      const order = argsortByKeys(keys, idx, tmp, n, true, false);
      let k = 0;
      for (let t = 0; t < n && k < kept.length; t++) {
        const s = order[t]!;
        let keep = true;
        for (let u = 0; u < k; u++) {
          if (suppresses(corners, s, kept[u]!, p.iouThreshold)) { keep = false; break; }
        }
        if (!keep) continue;
        kept[k++] = s;
        selected[count * 3] = b;
        selected[count * 3 + 1] = c;
        selected[count * 3 + 2] = s;
        count++;
      }
    }
  }
  return count;
}

// ---- RoiAlign ----

export interface RoiAlignParams {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly rois: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Samples per bin along each axis; 0 = ceil(roi size / output size). */
  readonly samplingRatio: number;
  readonly spatialScale: number;
  readonly max: boolean;
  /** half_pixel: shift ROI coordinates by -0.5 and do not force malformed ROIs to 1 x 1. */
  readonly halfPixel: boolean;
}

/**
 * RoiAlign: each output bin averages (or maxes) bilinear samples on a regular grid inside the
 * bin. Samples beyond one pixel outside the map read 0; samples in [-1, 0) are clamped to 0 and
 * samples at or beyond the last row / column use it. In max mode the bin takes the maximum of
 * the four weighted corner terms of each sample, as onnxruntime and the ONNX reference do.
 * `batchIndex[r]` must be in range (the caller checks).
 */
export function roiAlign(
  x: FloatArray, rois: FloatArray, batchIndex: Int32Array, y: FloatArray, p: RoiAlignParams,
): void {
  const { channels: C, height: H, width: W, outHeight: PH, outWidth: PW } = p;
  const offset = p.halfPixel ? 0.5 : 0;
  for (let r = 0; r < p.rois; r++) {
    const startW = rois[r * 4]! * p.spatialScale - offset;
    const startH = rois[r * 4 + 1]! * p.spatialScale - offset;
    const endW = rois[r * 4 + 2]! * p.spatialScale - offset;
    const endH = rois[r * 4 + 3]! * p.spatialScale - offset;
    let roiW = endW - startW;
    let roiH = endH - startH;
    if (!p.halfPixel) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const binH = roiH / PH;
    const binW = roiW / PW;
    // A reversed half_pixel ROI has a negative size: no samples, the bin reads 0.
    const gridH = p.samplingRatio > 0 ? p.samplingRatio : Math.max(0, Math.ceil(roiH / PH));
    const gridW = p.samplingRatio > 0 ? p.samplingRatio : Math.max(0, Math.ceil(roiW / PW));
    const count = Math.max(gridH * gridW, 1);
    const samples = PH * PW * gridH * gridW;
    // Per sample: four flat positions and four weights, shared by every channel.
    const pos = new Int32Array(samples * 4);
    const wt = new Float64Array(samples * 4);
    let k = 0;
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++) {
        for (let iy = 0; iy < gridH; iy++) {
          const yy = startH + ph * binH + ((iy + 0.5) * binH) / gridH;
          for (let ix = 0; ix < gridW; ix++, k += 4) {
            let xx = startW + pw * binW + ((ix + 0.5) * binW) / gridW;
            let yv = yy;
            if (yv < -1 || yv > H || xx < -1 || xx > W) continue; // zeros already
            yv = Math.max(yv, 0);
            xx = Math.max(xx, 0);
            let yLow = Math.trunc(yv);
            let xLow = Math.trunc(xx);
            let yHigh: number;
            let xHigh: number;
            if (yLow >= H - 1) { yHigh = yLow = H - 1; yv = yLow; } else yHigh = yLow + 1;
            if (xLow >= W - 1) { xHigh = xLow = W - 1; xx = xLow; } else xHigh = xLow + 1;
            const ly = yv - yLow;
            const lx = xx - xLow;
            const hy = 1 - ly;
            const hx = 1 - lx;
            pos[k] = yLow * W + xLow;
            pos[k + 1] = yLow * W + xHigh;
            pos[k + 2] = yHigh * W + xLow;
            pos[k + 3] = yHigh * W + xHigh;
            wt[k] = hy * hx;
            wt[k + 1] = hy * lx;
            wt[k + 2] = ly * hx;
            wt[k + 3] = ly * lx;
          }
        }
      }
    }
    const per = gridH * gridW * 4;
    for (let c = 0; c < C; c++) {
      const xb = (batchIndex[r]! * C + c) * H * W;
      const yb = ((r * C) + c) * PH * PW;
      for (let bin = 0; bin < PH * PW; bin++) {
        const s0 = bin * per;
        let v: number;
        if (!p.max) {
          v = 0;
          for (let s = s0; s < s0 + per; s += 4) {
            v += wt[s]! * x[xb + pos[s]!]! + wt[s + 1]! * x[xb + pos[s + 1]!]!
              + wt[s + 2]! * x[xb + pos[s + 2]!]! + wt[s + 3]! * x[xb + pos[s + 3]!]!;
          }
          v /= count;
        } else {
          v = 0;
          for (let s = s0; s < s0 + per; s += 4) {
            const m = Math.max(
              wt[s]! * x[xb + pos[s]!]!, wt[s + 1]! * x[xb + pos[s + 1]!]!,
              wt[s + 2]! * x[xb + pos[s + 2]!]!, wt[s + 3]! * x[xb + pos[s + 3]!]!,
            );
            v = s === s0 ? m : Math.max(v, m);
          }
        }
        y[yb + bin] = v;
      }
    }
  }
}

// ---- MaxRoiPool ----

export interface MaxRoiPoolParams {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly rois: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly spatialScale: number;
}

/** C's round: half away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * MaxRoiPool (Caffe / Fast R-CNN): rois rows are [batch, x1, y1, x2, y2]; the ROI is rounded
 * to whole pixels after scaling, split into outHeight x outWidth bins (floor / ceil edges),
 * and each bin takes its maximum (0 for an empty bin). Returns the first ROI whose batch
 * index is out of range, or -1.
 */
export function maxRoiPool(x: FloatArray, rois: FloatArray, y: FloatArray, batch: number, p: MaxRoiPoolParams): number {
  const { channels: C, height: H, width: W, outHeight: PH, outWidth: PW } = p;
  for (let r = 0; r < p.rois; r++) {
    const o = r * 5;
    const n = rois[o]!;
    if (!(n >= 0 && n < batch) || !Number.isInteger(n)) return r;
    const startW = roundHalfAway(rois[o + 1]! * p.spatialScale);
    const startH = roundHalfAway(rois[o + 2]! * p.spatialScale);
    const endW = roundHalfAway(rois[o + 3]! * p.spatialScale);
    const endH = roundHalfAway(rois[o + 4]! * p.spatialScale);
    const roiH = Math.max(endH - startH + 1, 1);
    const roiW = Math.max(endW - startW + 1, 1);
    const binH = roiH / PH;
    const binW = roiW / PW;
    for (let c = 0; c < C; c++) {
      const xb = (n * C + c) * H * W;
      const yb = (r * C + c) * PH * PW;
      for (let ph = 0; ph < PH; ph++) {
        const hs = Math.min(Math.max(Math.floor(ph * binH) + startH, 0), H);
        const he = Math.min(Math.max(Math.ceil((ph + 1) * binH) + startH, 0), H);
        for (let pw = 0; pw < PW; pw++) {
          const ws = Math.min(Math.max(Math.floor(pw * binW) + startW, 0), W);
          const we = Math.min(Math.max(Math.ceil((pw + 1) * binW) + startW, 0), W);
          let v = he <= hs || we <= ws ? 0 : -Infinity;
          for (let h = hs; h < he; h++) {
            for (let w = ws; w < we; w++) {
              const e = x[xb + h * W + w]!;
              if (e > v || e !== e) v = e;
            }
          }
          y[yb + ph * PW + pw] = v;
        }
      }
    }
  }
  return -1;
}
