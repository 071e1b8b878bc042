// Resize (opsets 10, 11 (= 13), 18, 19) and Upsample (7, 9): attribute parsing, output shape and
// scale resolution, and the choice between the bit-moving nearest path and the float path.

import {
  type AxisPlan, type AxisSpec, type CoordinateMode, type InterpolationMode, type NearestMode,
  type ResizeOptions, bigToFloat64, float64ToBig, isIdentityPlan, nearestOffsets, planAxis, resize2d,
  resizeAxis,
} from '../../kernels/resize.js';
import { contiguousStrides, normalizeAxis, shapeSize, sizeBetween } from '../../kernels/strides.js';
import { bitView, takeBlocks } from '../../kernels/take.js';
import { DATA_TYPES, allocate, isFloatType, isIntegerType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type FloatArray, floatData, floatTensor, intValues } from '../compute.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, isConcrete, knownInts, knownNumbers, normAxis, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';

type KeepAspect = 'stretch' | 'not_larger' | 'not_smaller';

interface ResizeAttrs extends ResizeOptions {
  readonly extrapolation: number;
  readonly axes: readonly number[] | null;
  readonly keepAspect: KeepAspect;
  /** Resize-10 / Upsample-9: inputs are (X, scales). Later: (X, roi, scales, sizes). */
  readonly scalesOnly: boolean;
  /** Upsample-7: scales come from an attribute. */
  readonly attrScales: readonly number[] | null;
  readonly opName: string;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string, opName: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidNodeError(`${opName}: unsupported ${what} '${value}' (expected ${allowed.join(', ')})`);
  }
  return value as T;
}

const COORD_11: readonly CoordinateMode[] = [
  'half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize',
];
const COORD_18: readonly CoordinateMode[] = [
  'half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize',
];
const COORD_19: readonly CoordinateMode[] = [...COORD_18, 'half_pixel_symmetric'];
const NEAREST: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const MODES: readonly InterpolationMode[] = ['nearest', 'linear', 'cubic'];

/** Resize 11+ attributes; `coords` lists the coordinate modes of that version. */
function parseResize(a: Attrs, coords: readonly CoordinateMode[], v18: boolean): ResizeAttrs {
  const name = 'Resize';
  const excludeOutside = a.int('exclude_outside', 0);
  const antialias = v18 ? a.int('antialias', 0) : 0;
  return Object.freeze({
    mode: oneOf(a.string('mode', 'nearest'), MODES, 'mode', name),
    coordinate: oneOf(a.string('coordinate_transformation_mode', 'half_pixel'), coords, 'coordinate_transformation_mode', name),
    nearest: oneOf(a.string('nearest_mode', 'round_prefer_floor'), NEAREST, 'nearest_mode', name),
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: excludeOutside !== 0,
    antialias: antialias !== 0,
    extrapolation: a.float('extrapolation_value', 0),
    axes: v18 && a.has('axes') ? Object.freeze([...a.ints('axes')]) : null,
    keepAspect: v18
      ? oneOf(a.string('keep_aspect_ratio_policy', 'stretch'), ['stretch', 'not_larger', 'not_smaller'] as const,
        'keep_aspect_ratio_policy', name)
      : 'stretch',
    scalesOnly: false,
    attrScales: null,
    opName: name,
  });
}

/** Resize-10 and Upsample: asymmetric coordinates, truncating nearest, nearest/linear only. */
function parseLegacy(a: Attrs, opName: string, attrScales: boolean): ResizeAttrs {
  const raw = a.string('mode', 'nearest');
  return Object.freeze({
    mode: oneOf(raw === 'bilinear' ? 'linear' : raw, ['nearest', 'linear'] as const, 'mode', opName),
    coordinate: 'asymmetric',
    nearest: 'simple',
    cubicA: -0.75,
    excludeOutside: false,
    antialias: false,
    extrapolation: 0,
    axes: null,
    keepAspect: 'stretch',
    scalesOnly: true,
    attrScales: attrScales ? Object.freeze([...a.floats('scales')]) : null,
    opName,
  });
}

/** Per-axis specs (length, scale, roi) for the whole rank. */
function axisSpecs(x: Tensor, inputs: readonly (Tensor | undefined)[], at: ResizeAttrs): AxisSpec[] {
  const name = at.opName;
  const rank = x.rank;
  const axes = at.axes
    ? at.axes.map((ax) => {
      const a = normalizeAxis(ax, rank);
      if (a < 0) throw new InvalidNodeError(`${name}: axis ${ax} out of range for rank ${rank}`);
      return a;
    })
    : x.dims.map((_, i) => i);
  if (new Set(axes).size !== axes.length) throw new InvalidNodeError(`${name}: repeated axis in [${axes.join(', ')}]`);
  const n = axes.length;
  let scalesT: Tensor | undefined;
  let sizesT: Tensor | undefined;
  let roiT: Tensor | undefined;
  if (at.scalesOnly) {
    scalesT = inputs[1];
  } else {
    roiT = inputs[1];
    scalesT = inputs[2];
    sizesT = inputs[3];
  }
  const given = (t: Tensor | undefined): t is Tensor => t !== undefined && t.size > 0;
  const scaleList: number[] | null = at.attrScales ? [...at.attrScales] : given(scalesT) ? floatList(scalesT) : null;
  const sizeList = given(sizesT) ? intValues(sizesT) : null;
  if (scaleList && sizeList) throw new InvalidNodeError(`${name}: only one of 'scales' and 'sizes' may be given`);
  if (!scaleList && !sizeList) throw new InvalidNodeError(`${name}: one of 'scales' and 'sizes' is required`);
  const list = (scaleList ?? sizeList)!;
  if (list.length !== n) {
    throw new ShapeError(`${name}: ${scaleList ? 'scales' : 'sizes'} has ${list.length} values, expected ${n} (one per resized axis)`);
  }
  const scale = new Array<number>(rank).fill(1);
  const outLen = [...x.dims];
  if (scaleList) {
    axes.forEach((a, i) => {
      const s = scaleList![i]!;
      if (!(s > 0) || !Number.isFinite(s)) throw new InvalidNodeError(`${name}: scale ${s} for axis ${a} must be positive`);
      scale[a] = s;
      outLen[a] = Math.floor(s * x.dims[a]!);
    });
  } else {
    const ratios = axes.map((a, i) => sizeList![i]! / x.dims[a]!);
    sizeList!.forEach((s, i) => {
      if (!(s >= 0)) throw new InvalidNodeError(`${name}: size ${s} for axis ${axes[i]} must be >= 0`);
    });
    if (at.keepAspect === 'stretch') {
      axes.forEach((a, i) => {
        scale[a] = ratios[i]!;
        outLen[a] = sizeList![i]!;
      });
    } else {
      const s = at.keepAspect === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      for (const a of axes) {
        scale[a] = s;
        outLen[a] = Math.floor(s * x.dims[a]! + 0.5);
      }
    }
  }
  const roiStart = new Array<number>(rank).fill(0);
  const roiEnd = new Array<number>(rank).fill(1);
  if (at.coordinate === 'tf_crop_and_resize') {
    if (!given(roiT)) throw new InvalidNodeError(`${name}: tf_crop_and_resize needs the 'roi' input`);
    const roi = floatList(roiT);
    if (roi.length !== 2 * n) throw new ShapeError(`${name}: roi has ${roi.length} values, expected ${2 * n}`);
    axes.forEach((a, i) => {
      roiStart[a] = roi[i]!;
      roiEnd[a] = roi[n + i]!;
    });
  }
  return x.dims.map((inLen, a) => {
    if (inLen === 0 && outLen[a]! > 0) {
      throw new ShapeError(`${name}: cannot resize axis ${a} of length 0 to ${outLen[a]}`);
    }
    return { inLen, outLen: outLen[a]!, scale: scale[a]!, roiStart: roiStart[a]!, roiEnd: roiEnd[a]! };
  });
}

function floatList(t: Tensor): number[] {
  return isFloatType(t.type) ? Array.from(floatData(t)) : intValues(t);
}

/** Nearest without extrapolation: pure index selection, any element type, bits untouched. */
function runNearestBits(x: Tensor, specs: readonly AxisSpec[], at: ResizeAttrs): Tensor {
  const rank = x.rank;
  const outDims = specs.map((s) => s.outLen);
  const plans: (AxisPlan | null)[] = specs.map((s) => {
    const p = planAxis(s, at);
    return isIdentityPlan(p) ? null : p;
  });
  // Trailing identity axes form contiguous blocks.
  let lastResized = rank - 1;
  while (lastResized >= 0 && plans[lastResized] === null) lastResized--;
  const out = new Tensor(x.type, allocate(x.type, shapeSize(outDims)), outDims);
  if (out.size === 0) return out;
  const block = sizeBetween(x.dims, lastResized + 1, rank);
  const lead = outDims.slice(0, lastResized + 1);
  const strides = contiguousStrides(x.dims).slice(0, lastResized + 1);
  const offsets = new Int32Array(shapeSize(lead));
  nearestOffsets(lead, strides, plans.slice(0, lastResized + 1), offsets);
  const slots = DATA_TYPES[x.type].slots;
  const src = bitView(x.data as ArrayBufferView | string[], slots);
  takeBlocks(src.bits, bitView(out.data as ArrayBufferView | string[], slots).bits, offsets, block, src.lanes);
  return out;
}

/** The data as float64/float32 for interpolation. */
function computeData(x: Tensor, name: string): FloatArray {
  if (isFloatType(x.type)) return floatData(x);
  if (x.type === 'int64' || x.type === 'uint64') {
    const f = new Float64Array(x.size);
    bigToFloat64(x.data as BigInt64Array, f);
    return f;
  }
  if (isIntegerType(x.type)) return new Float64Array(x.data as ArrayLike<number>);
  throw new InvalidNodeError(`${name}: interpolation is not defined for ${x.type} (use mode 'nearest')`);
}

function wrapResult(type: Tensor['type'], data: FloatArray, dims: readonly number[]): Tensor {
  if (isFloatType(type)) return floatTensor(type, data, dims);
  const out = allocate(type, data.length);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) float64ToBig(data as Float64Array, out);
  else (out as Int32Array).set(data); // truncates toward zero and wraps, like a C cast
  return new Tensor(type, out, dims);
}

/** Linear / cubic (and nearest with crop extrapolation): separable passes in float. */
function runInterpolate(x: Tensor, specs: readonly AxisSpec[], at: ResizeAttrs): Tensor {
  const rank = x.rank;
  const outDims = specs.map((s) => s.outLen);
  let data = computeData(x, at.opName);
  const work: { axis: number; plan: AxisPlan }[] = [];
  specs.forEach((s, axis) => {
    const plan = planAxis(s, at);
    if (!isIdentityPlan(plan)) work.push({ axis, plan });
  });
  const finalType = x.type === 'float64' ? 'float64' : isFloatType(x.type) ? 'float32' : 'float64';
  const alloc = (n: number, last: boolean): FloatArray =>
    last && finalType === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (shapeSize(outDims) === 0 || work.length === 0) {
    const copy = alloc(shapeSize(outDims), true);
    if (copy.length > 0) copy.set(data);
    return wrapResult(x.type, copy, outDims);
  }
  const w = work.length;
  const lastTwo = w === 2 && work[0]!.axis === rank - 2 && work[1]!.axis === rank - 1 &&
    !work[0]!.plan.outside && !work[1]!.plan.outside;
  if (lastTwo) {
    const out = alloc(shapeSize(outDims), true);
    resize2d(data, out, sizeBetween(x.dims, 0, rank - 2), work[0]!.plan, work[1]!.plan);
    return wrapResult(x.type, out, outDims);
  }
  // Shrinking axes first keeps the intermediates small.
  work.sort((p, q) => p.plan.outLen / p.plan.inLen - q.plan.outLen / q.plan.inLen);
  const dims = [...x.dims];
  work.forEach(({ axis, plan }, k) => {
    const outer = sizeBetween(dims, 0, axis);
    const inner = sizeBetween(dims, axis + 1, rank);
    dims[axis] = plan.outLen;
    const next = alloc(shapeSize(dims), k === w - 1);
    resizeAxis(data, next, outer, inner, plan, at.extrapolation);
    data = next;
  });
  return wrapResult(x.type, data, outDims);
}

function runResize(inputs: readonly (Tensor | undefined)[], at: ResizeAttrs): Tensor[] {
  const x = inputs[0];
  if (!x) throw new InvalidNodeError(`${at.opName}: input 'X' is required`);
  const specs = axisSpecs(x, inputs, at);
  if (at.mode === 'nearest' && at.coordinate !== 'tf_crop_and_resize') return [runNearestBits(x, specs, at)];
  return [runInterpolate(x, specs, at)];
}

/** Output type over symbolic dims: scales give floor(scale * dim), sizes give the sizes. */
function inferResize(inputs: readonly (InferInput | undefined)[], at: ResizeAttrs): ValueType[] {
  const x = inputs[0];
  const shape = shapeOf(x);
  if (!shape) return [tensorType(elemOf(x))];
  const rank = shape.length;
  const axes = at.axes ? at.axes.map((a) => normAxis(a, rank)) : shape.map((_, i) => i);
  const [scalesIn, sizesIn] = at.scalesOnly ? [inputs[1], undefined] : [inputs[2], inputs[3]];
  const given = (i: InferInput | undefined) => i !== undefined && (i.value ? i.value.size > 0 : shapeOf(i)?.[0] !== 0);
  const unknownAxes = () => [tensorType(elemOf(x), shape.map((d, i) => (axes.includes(i) ? null : d)))];
  if (at.attrScales || given(scalesIn)) {
    const scales = at.attrScales ?? knownNumbers(scalesIn);
    if (!scales) return unknownAxes();
    const out = [...shape];
    axes.forEach((a, i) => {
      const d = shape[a]!;
      out[a] = typeof d === 'number' ? Math.floor(scales[i]! * d) : scales[i] === 1 ? d : null;
    });
    return [tensorType(elemOf(x), out)];
  }
  const sizes = knownInts(sizesIn);
  if (!sizes) return unknownAxes();
  if (at.keepAspect === 'stretch') {
    const out = [...shape];
    axes.forEach((a, i) => { out[a] = sizes[i]!; });
    return [tensorType(elemOf(x), out)];
  }
  if (!isConcrete(shape)) return unknownAxes();
  const ratios = axes.map((a, i) => sizes[i]! / shape[a]!);
  const scale = at.keepAspect === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  return [tensorType(elemOf(x), shape.map((d, i) => (axes.includes(i) ? Math.floor(scale * d + 0.5) : d)))];
}

const resize = (since: number, parse: (a: Attrs) => ResizeAttrs): OpDef =>
  op<ResizeAttrs>({ name: 'Resize', since, parse, infer: inferResize, run: (inputs, at) => runResize(inputs, at) });

const upsample = (since: number, attrScales: boolean): OpDef =>
  op<ResizeAttrs>({
    name: 'Upsample',
    since,
    parse: (a) => parseLegacy(a, 'Upsample', attrScales),
    infer: inferResize,
    run: (inputs, at) => runResize(inputs, at),
  });

export const resizeOps: OpDef[] = [
  resize(10, (a) => parseLegacy(a, 'Resize', false)),
  resize(11, (a) => parseResize(a, COORD_11, false)),
  resize(18, (a) => parseResize(a, COORD_18, true)),
  resize(19, (a) => parseResize(a, COORD_19, true)),
  upsample(7, true),
  upsample(9, false),
];
