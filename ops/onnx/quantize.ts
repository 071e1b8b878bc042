// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
//   opset 10: per-tensor scales;  13: `axis` (per-axis scales);  19: float8 types, `saturate`;
//   21: `block_size` (blocked scales), `output_dtype`, int4/uint4;  23: float4e2m1, `precision`
//   (QuantizeLinear), `output_dtype` (DequantizeLinear);  25: int2/uint2 (no attribute change).
// Zero-point type decides the quantized type; without one `output_dtype`, else uint8.

import {
  FLOAT4E2M1, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, type MinifloatFormat, e8m0ToFloat,
  floatToMinifloat, minifloatToFloat,
} from '../../kernels/float8.js';
import {
  type QuantIntArray, type QuantLayout, type QuantPrecision, addZeroPoint, dequantizeLinear, divideByScale, minMax,
  perTensorLayout, roundAddZeroPointSaturate,
} from '../../kernels/quantize.js';
import { normalizeAxis, sizeBetween } from '../../kernels/strides.js';
import { type DataType, allocate, dataTypeFromOnnx, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { floatData, floatTensor } from '../compute.js';
import { elemOf, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferFn, type OpDef, op } from '../op-def.js';

const INT_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  uint4: [0, 15], int4: [-8, 7], uint2: [0, 3], int2: [-2, 1],
};

const MINIFLOATS: Partial<Record<DataType, MinifloatFormat>> = {
  float8e4m3fn: FLOAT8E4M3FN, float8e4m3fnuz: FLOAT8E4M3FNUZ, float8e5m2: FLOAT8E5M2,
  float8e5m2fnuz: FLOAT8E5M2FNUZ, float4e2m1: FLOAT4E2M1,
};

interface QuantAttrs {
  readonly axis: number;
  readonly blockSize: number;
  readonly saturate: boolean;
  /** undefined when the attribute is absent or 0. */
  readonly outputDtype: DataType | undefined;
  readonly precision: DataType | undefined;
}

function parseDtype(name: string, a: Attrs, attr: string): DataType | undefined {
  const code = a.int(attr, 0);
  if (code === 0) return undefined;
  const t = dataTypeFromOnnx(code);
  if (t === undefined) throw new InvalidNodeError(`${name}: unknown ${attr} type code ${code}`);
  return t;
}

function parseQuant(name: string, a: Attrs, version: number): QuantAttrs {
  const blockSize = version >= 21 ? a.int('block_size', 0) : 0;
  if (blockSize < 0) throw new InvalidNodeError(`${name}: block_size must be >= 0, got ${blockSize}`);
  const saturate = version >= 19 ? a.int('saturate', 1) : 1;
  if (saturate !== 0 && saturate !== 1) throw new InvalidNodeError(`${name}: saturate must be 0 or 1, got ${saturate}`);
  const outputDtype = version >= 21 && (name === 'QuantizeLinear' || version >= 23)
    ? parseDtype(name, a, 'output_dtype') : undefined;
  const precision = version >= 23 && name === 'QuantizeLinear' ? parseDtype(name, a, 'precision') : undefined;
  if (precision !== undefined && !isFloatType(precision)) {
    throw new InvalidNodeError(`${name}: precision must be a float type, got ${precision}`);
  }
  return Object.freeze({ axis: version >= 13 ? a.int('axis', 1) : 1, blockSize, saturate: saturate === 1, outputDtype, precision });
}

/** How `scale` (and a zero point of the same shape) maps onto the elements of `x`. */
function quantLayout(name: string, x: Tensor, scale: Tensor, axisAttr: number, block: number): QuantLayout {
  if (scale.size === 1) return perTensorLayout(x.size);
  const rank = x.rank;
  const axis = normalizeAxis(axisAttr, rank);
  if (axis < 0) throw new InvalidNodeError(`${name}: axis ${axisAttr} out of range for rank ${rank}`);
  const outer = sizeBetween(x.dims, 0, axis);
  const axisLen = x.dims[axis]!;
  const inner = sizeBetween(x.dims, axis + 1, rank);
  if (block === 0) {
    if (scale.rank !== 1 || scale.dims[0] !== axisLen) {
      throw new ShapeError(
        `${name}: per-axis scale must be 1-D of length ${axisLen} (axis ${axis} of [${x.dims.join(', ')}]), ` +
          `got [${scale.dims.join(', ')}]`,
      );
    }
    return { outer, axisLen, inner, block: 1, sOuter: 0, sAxis: 1, sInner: 0 };
  }
  const blocks = Math.ceil(axisLen / block);
  const ok = scale.rank === rank && scale.dims.every((d, i) => (i === axis ? d === blocks : d === x.dims[i]));
  if (!ok) {
    throw new ShapeError(
      `${name}: blocked scale for input [${x.dims.join(', ')}] with block_size ${block} on axis ${axis} ` +
        `must have shape [${x.dims.map((d, i) => (i === axis ? blocks : d)).join(', ')}], got [${scale.dims.join(', ')}]`,
    );
  }
  return { outer, axisLen, inner, block, sOuter: blocks * inner, sAxis: inner, sInner: 1 };
}

/** The elements of a quantized-type tensor as plain numbers (float8/float4 decoded). */
function quantizedValues(t: Tensor): ArrayLike<number> {
  const fmt = MINIFLOATS[t.type];
  if (fmt) {
    const out = new Float32Array(t.size);
    minifloatToFloat(t.data as Uint8Array, fmt, out);
    return out;
  }
  if (t.type === 'float8e8m0') {
    const out = new Float32Array(t.size);
    e8m0ToFloat(t.data as Uint8Array, out);
    return out;
  }
  if (t.type === 'int64' || t.type === 'uint64' || t.type === 'string' || t.type === 'bool' ||
    t.type === 'complex64' || t.type === 'complex128') {
    throw new InvalidNodeError(`expected a quantized tensor type, got ${t.type}`);
  }
  if (isFloatType(t.type)) return floatData(t);
  return t.data as ArrayLike<number>;
}

function checkZeroPoint(name: string, scale: Tensor, zp: Tensor | undefined): void {
  if (zp === undefined) return;
  if (zp.size !== scale.size || (zp.size !== 1 && zp.dims.join() !== scale.dims.join())) {
    throw new ShapeError(`${name}: zero point shape [${zp.dims.join(', ')}] differs from scale shape [${scale.dims.join(', ')}]`);
  }
}

/** numpy's result type of x / scale (the type the quotient is rounded to). */
function divisionPrecision(x: DataType, scale: DataType): QuantPrecision {
  if (x === 'float64' || scale === 'float64' || !isFloatType(x)) return 'float64';
  if (x === scale) return x as QuantPrecision;
  return 'float32';
}

function quantize(inputs: readonly (Tensor | undefined)[], attrs: QuantAttrs): Tensor {
  const name = 'QuantizeLinear';
  const [x, scale, zp] = inputs;
  if (x === undefined || scale === undefined) throw new InvalidNodeError(`${name}: inputs x and y_scale are required`);
  if (!isFloatType(scale.type)) throw new InvalidNodeError(`${name}: y_scale must be a float tensor, got ${scale.type}`);
  if (!isFloatType(x.type) && x.type !== 'int32') {
    throw new InvalidNodeError(`${name}: x must be float or int32, got ${x.type}`);
  }
  let outType: DataType = attrs.outputDtype ?? 'uint8';
  if (zp !== undefined) {
    if (attrs.outputDtype !== undefined && attrs.outputDtype !== zp.type) {
      throw new InvalidNodeError(`${name}: output_dtype ${attrs.outputDtype} differs from zero point type ${zp.type}`);
    }
    outType = zp.type;
  }
  checkZeroPoint(name, scale, zp);
  const layout = quantLayout(name, x, scale, attrs.axis, attrs.blockSize);
  const precision = (attrs.precision as QuantPrecision | undefined) ?? divisionPrecision(x.type, scale.type);
  const xv = isFloatType(x.type) ? floatData(x) : (x.data as Int32Array);
  const q = new Float64Array(x.size);
  divideByScale(xv, floatData(scale), layout, precision, q);
  const out = allocate(outType, x.size);
  const range = INT_RANGES[outType];
  if (range !== undefined) {
    const z = zp === undefined ? null : (zp.data as ArrayLike<number>);
    roundAddZeroPointSaturate(q, z, layout, range[0], range[1], out as QuantIntArray);
    return new Tensor(outType, out, x.dims);
  }
  const fmt = MINIFLOATS[outType];
  if (fmt === undefined) throw new InvalidNodeError(`${name}: ${outType} is not a quantized type`);
  if (zp !== undefined) addZeroPoint(q, quantizedValues(zp), layout);
  floatToMinifloat(q, fmt, attrs.saturate, out as Uint8Array);
  return new Tensor(outType, out, x.dims);
}

function dequantize(inputs: readonly (Tensor | undefined)[], attrs: QuantAttrs): Tensor {
  const name = 'DequantizeLinear';
  const [x, scale, zp] = inputs;
  if (x === undefined || scale === undefined) throw new InvalidNodeError(`${name}: inputs x and x_scale are required`);
  if (!isFloatType(scale.type)) throw new InvalidNodeError(`${name}: x_scale must be a float tensor, got ${scale.type}`);
  if (zp !== undefined && zp.type !== x.type) {
    throw new InvalidNodeError(`${name}: zero point type ${zp.type} differs from x type ${x.type}`);
  }
  checkZeroPoint(name, scale, zp);
  const outType = attrs.outputDtype ?? scale.type;
  if (!isFloatType(outType)) throw new InvalidNodeError(`${name}: output_dtype must be a float type, got ${outType}`);
  const layout = quantLayout(name, x, scale, attrs.axis, attrs.blockSize);
  const out = new Float32Array(x.size);
  dequantizeLinear(quantizedValues(x), floatData(scale), zp === undefined ? null : quantizedValues(zp), layout, out);
  return floatTensor(outType, out, x.dims);
}

/**
 * DynamicQuantizeLinear: uint8 quantization with scale = (max(0, max x) - min(0, min x)) / 255
 * (1 when that range is empty) and zero point rint(clamp(-min / scale, 0, 255)), all in float32.
 */
function dynamicQuantize(inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = inputs[0];
  if (x === undefined) throw new InvalidNodeError('DynamicQuantizeLinear: input x is required');
  if (x.type !== 'float32') throw new InvalidNodeError(`DynamicQuantizeLinear: x must be float32, got ${x.type}`);
  const xv = x.data as Float32Array;
  const [lo, hi] = minMax(xv);
  const minx = Math.min(0, lo);
  const maxx = Math.max(0, hi);
  const scale = maxx === minx ? 1 : Math.fround(Math.fround(maxx - minx) / 255);
  // A range so small that the scale underflows to 0 gives 0 / 0 here; the zero point is then 0.
  const zpf = Math.fround(0 - Math.fround(minx / scale));
  const zpc = zpf !== zpf ? 0 : Math.max(0, Math.min(255, zpf));
  const zpFloor = Math.floor(zpc);
  const zpi = zpc - zpFloor > 0.5 || (zpc - zpFloor === 0.5 && zpFloor % 2 !== 0) ? zpFloor + 1 : zpFloor;
  const layout = perTensorLayout(x.size);
  const q = new Float64Array(x.size);
  divideByScale(xv, [scale], layout, 'float32', q);
  const y = new Uint8Array(x.size);
  roundAddZeroPointSaturate(q, [zpi], layout, 0, 255, y);
  return [
    new Tensor('uint8', y, x.dims),
    new Tensor('float32', new Float32Array([scale]), []),
    new Tensor('uint8', new Uint8Array([zpi]), []),
  ];
}

/** y has x's shape; its type is the zero point's, else output_dtype, else uint8. */
const inferQuantize: InferFn<QuantAttrs> = ([x, , zp], attrs) => {
  const elem = zp !== undefined ? elemOf(zp) : (attrs.outputDtype ?? 'uint8');
  return [tensorType(elem, shapeOf(x))];
};

/** y has x's shape; its type is output_dtype, else the scale's. */
const inferDequantize: InferFn<QuantAttrs> = ([x, scale], attrs) => [
  tensorType(attrs.outputDtype ?? elemOf(scale), shapeOf(x)),
];

function quantizeDef(since: number): OpDef {
  return op<QuantAttrs>({
    name: 'QuantizeLinear', since,
    parse: (a) => parseQuant('QuantizeLinear', a, since),
    run: (inputs, attrs) => [quantize(inputs, attrs)],
    infer: inferQuantize,
  });
}

function dequantizeDef(since: number): OpDef {
  return op<QuantAttrs>({
    name: 'DequantizeLinear', since,
    parse: (a) => parseQuant('DequantizeLinear', a, since),
    run: (inputs, attrs) => [dequantize(inputs, attrs)],
    infer: inferDequantize,
  });
}

export const quantizeOps: OpDef[] = [
  ...[10, 13, 19, 21, 23].map(quantizeDef),
  ...[10, 13, 19, 21, 23].map(dequantizeDef),
  op({
    name: 'DynamicQuantizeLinear', since: 11,
    run: (inputs) => dynamicQuantize(inputs),
    infer: ([x]) => [tensorType('uint8', shapeOf(x)), tensorType('float32', []), tensorType('uint8', [])],
  }),
];
