// Detection: NonMaxSuppression, RoiAlign, MaxRoiPool.

import { maxRoiPool, nonMaxSuppression, roiAlign } from '../../kernels/detection.js';
import { shapeSize } from '../../kernels/strides.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { allocFloat, floatData, floatTensor, int64Tensor, intValues } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import type { InferInput } from '../op-def.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import { required } from '../op-inputs.js';

const dimsText = (d: readonly number[]): string => `[${d.join(', ')}]`;

function requireFloat(opName: string, t: Tensor, what: string): void {
  if (!isFloatType(t.type)) throw new InvalidNodeError(`${opName}: ${what} must be a float tensor, got ${t.type}`);
}

// ---- NonMaxSuppression ----

/** The single value of an optional scalar input; undefined when absent or empty. */
function optionalScalar(t: Tensor | undefined, what: string): number | undefined {
  if (!t || t.size === 0) return undefined;
  if (t.size !== 1) throw new ShapeError(`NonMaxSuppression: ${what} must hold one value, has ${t.size}`);
  return isFloatType(t.type) ? floatData(t)[0]! : intValues(t)[0]!;
}

function runNms(inputs: readonly (Tensor | undefined)[], centerPointBox: boolean): Tensor {
  const boxes = required('NonMaxSuppression', inputs[0], 'boxes');
  const scores = required('NonMaxSuppression', inputs[1], 'scores');
  requireFloat('NonMaxSuppression', boxes, 'boxes');
  requireFloat('NonMaxSuppression', scores, 'scores');
  if (boxes.dims.length !== 3 || boxes.dims[2] !== 4) {
    throw new ShapeError(`NonMaxSuppression: boxes must be [batches, boxes, 4], got ${dimsText(boxes.dims)}`);
  }
  const [B, S] = boxes.dims as [number, number];
  if (scores.dims.length !== 3 || scores.dims[0] !== B || scores.dims[2] !== S) {
    throw new ShapeError(`NonMaxSuppression: scores dims ${dimsText(scores.dims)} do not fit boxes ${dimsText(boxes.dims)} (expected [${B}, classes, ${S}])`);
  }
  const C = scores.dims[1]!;
  const maxPerClass = Math.max(0, optionalScalar(inputs[2], 'max_output_boxes_per_class') ?? 0);
  const iouThreshold = optionalScalar(inputs[3], 'iou_threshold') ?? 0;
  const scoreThreshold = optionalScalar(inputs[4], 'score_threshold') ?? null;
  const room = B * C * Math.min(maxPerClass, S);
  const selected = new Int32Array(room * 3);
  const n = nonMaxSuppression(floatData(boxes), floatData(scores), {
    batches: B, classes: C, boxes: S, maxPerClass, iouThreshold, scoreThreshold, centerPointBox,
  }, selected);
  return int64Tensor(Array.from(selected.subarray(0, n * 3)), [n, 3]);
}

// ---- RoiAlign ----

interface RoiAlignAttrs {
  readonly halfPixel: boolean;
  readonly max: boolean;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly samplingRatio: number;
  readonly spatialScale: number;
}

function parseRoiAlign(a: Attrs, defaultTransform: string | null): RoiAlignAttrs {
  const mode = a.string('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') throw new InvalidNodeError(`RoiAlign: unknown mode '${mode}' (expected avg, max)`);
  let halfPixel = false;
  if (defaultTransform !== null) {
    const t = a.string('coordinate_transformation_mode', defaultTransform);
    if (t !== 'half_pixel' && t !== 'output_half_pixel') {
      throw new InvalidNodeError(`RoiAlign: unknown coordinate_transformation_mode '${t}' (expected half_pixel, output_half_pixel)`);
    }
    halfPixel = t === 'half_pixel';
  }
  const attrs = {
    halfPixel,
    max: mode === 'max',
    outHeight: a.int('output_height', 1),
    outWidth: a.int('output_width', 1),
    samplingRatio: a.int('sampling_ratio', 0),
    spatialScale: a.float('spatial_scale', 1),
  };
  if (attrs.outHeight < 1 || attrs.outWidth < 1) {
    throw new InvalidNodeError(`RoiAlign: output_height / output_width must be positive, got ${attrs.outHeight} x ${attrs.outWidth}`);
  }
  if (attrs.samplingRatio < 0) throw new InvalidNodeError(`RoiAlign: sampling_ratio must be >= 0, got ${attrs.samplingRatio}`);
  return Object.freeze(attrs);
}

function runRoiAlign(inputs: readonly (Tensor | undefined)[], a: RoiAlignAttrs): Tensor {
  const x = required('RoiAlign', inputs[0], 'X');
  const rois = required('RoiAlign', inputs[1], 'rois');
  const bi = required('RoiAlign', inputs[2], 'batch_indices');
  requireFloat('RoiAlign', x, 'X');
  requireFloat('RoiAlign', rois, 'rois');
  if (x.dims.length !== 4) throw new ShapeError(`RoiAlign: X must be 4-D [N, C, H, W], got ${dimsText(x.dims)}`);
  const [N, C, H, W] = x.dims as [number, number, number, number];
  if (rois.dims.length !== 2 || rois.dims[1] !== 4) throw new ShapeError(`RoiAlign: rois must be [num_rois, 4], got ${dimsText(rois.dims)}`);
  const R = rois.dims[0]!;
  if (bi.dims.length !== 1 || bi.dims[0] !== R) {
    throw new ShapeError(`RoiAlign: batch_indices dims ${dimsText(bi.dims)}, expected [${R}]`);
  }
  const indices = Int32Array.from(intValues(bi));
  indices.forEach((b, i) => {
    if (b < 0 || b >= N) throw new ShapeError(`RoiAlign: batch index ${b} of roi ${i} out of range [0, ${N})`);
  });
  const outDims = [R, C, a.outHeight, a.outWidth];
  const y = allocFloat(x.type, shapeSize(outDims));
  if (H > 0 && W > 0) {
    roiAlign(floatData(x), floatData(rois), indices, y, {
      channels: C, height: H, width: W, rois: R, outHeight: a.outHeight, outWidth: a.outWidth,
      samplingRatio: a.samplingRatio, spatialScale: a.spatialScale, max: a.max, halfPixel: a.halfPixel,
    });
  }
  return floatTensor(x.type, y, outDims);
}

// ---- MaxRoiPool ----

interface MaxRoiPoolAttrs {
  readonly pooled: readonly [number, number];
  readonly spatialScale: number;
}

function runMaxRoiPool(x: Tensor, rois: Tensor, a: MaxRoiPoolAttrs): Tensor {
  requireFloat('MaxRoiPool', x, 'X');
  requireFloat('MaxRoiPool', rois, 'rois');
  if (x.dims.length !== 4) throw new ShapeError(`MaxRoiPool: X must be 4-D [N, C, H, W], got ${dimsText(x.dims)}`);
  if (rois.dims.length !== 2 || rois.dims[1] !== 5) {
    throw new ShapeError(`MaxRoiPool: rois must be [num_rois, 5] (batch, x1, y1, x2, y2), got ${dimsText(rois.dims)}`);
  }
  const [N, C, H, W] = x.dims as [number, number, number, number];
  const R = rois.dims[0]!;
  const outDims = [R, C, a.pooled[0], a.pooled[1]];
  const y = allocFloat(x.type, shapeSize(outDims));
  const roiData = floatData(rois);
  const bad = maxRoiPool(floatData(x), roiData, y, N, {
    channels: C, height: H, width: W, rois: R, outHeight: a.pooled[0], outWidth: a.pooled[1], spatialScale: a.spatialScale,
  });
  if (bad >= 0) throw new ShapeError(`MaxRoiPool: batch index ${roiData[bad * 5]} of roi ${bad} out of range [0, ${N})`);
  return floatTensor(x.type, y, outDims);
}

/** [num_rois, C, out_h, out_w] for RoiAlign / MaxRoiPool. */
function roiType(inputs: readonly (InferInput | undefined)[], h: number, w: number): ValueType {
  return tensorType(elemOf(inputs[0]), [shapeOf(inputs[1])?.[0] ?? null, shapeOf(inputs[0])?.[1] ?? null, h, w]);
}

export const detectionOps: OpDef[] = [
  op<{ centerPointBox: boolean }>({
    name: 'NonMaxSuppression',
    since: 10,
    parse: (a) => {
      const c = a.int('center_point_box', 0);
      if (c !== 0 && c !== 1) throw new InvalidNodeError(`NonMaxSuppression: center_point_box must be 0 or 1, got ${c}`);
      return Object.freeze({ centerPointBox: c === 1 });
    },
    // How many boxes survive depends on the data: a fresh symbolic dim.
    infer: (_inputs, _a, ctx) => [tensorType('int64', [ctx.dataDim('selected'), 3])],
    run: (inputs, a) => [runNms(inputs, a.centerPointBox)],
  }),
  op<RoiAlignAttrs>({
    name: 'RoiAlign',
    since: 10,
    parse: (a) => parseRoiAlign(a, null),
    infer: (inputs, a) => [roiType(inputs, a.outHeight, a.outWidth)],
    run: (inputs, a) => [runRoiAlign(inputs, a)],
  }),
  op<RoiAlignAttrs>({
    name: 'RoiAlign',
    since: 16,
    parse: (a) => parseRoiAlign(a, 'half_pixel'),
    infer: (inputs, a) => [roiType(inputs, a.outHeight, a.outWidth)],
    run: (inputs, a) => [runRoiAlign(inputs, a)],
  }),
  op<MaxRoiPoolAttrs>({
    name: 'MaxRoiPool',
    since: 1,
    parse: (a) => {
      const p = a.ints('pooled_shape');
      if (p.length !== 2 || p[0]! < 1 || p[1]! < 1) {
        throw new InvalidNodeError(`MaxRoiPool: pooled_shape must be two positive ints, got [${p.join(', ')}]`);
      }
      return Object.freeze({ pooled: [p[0]!, p[1]!] as const, spatialScale: a.float('spatial_scale', 1) });
    },
    infer: (inputs, a) => [roiType(inputs, a.pooled[0], a.pooled[1])],
    run: (inputs, a) => [runMaxRoiPool(required('MaxRoiPool', inputs[0], 'X'), required('MaxRoiPool', inputs[1], 'rois'), a)],
  }),
];
