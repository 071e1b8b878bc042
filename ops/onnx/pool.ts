// MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool.
// Output sizes follow onnxruntime: explicit pads give floor/ceil((in + pads - window) /
// stride) + 1, and in ceil mode a last window that would start past the input and its
// begin padding is dropped; SAME_* auto-pads give ceil(in / stride) with the odd pad at
// the end (SAME_UPPER) or the start (SAME_LOWER).

import {
  type PoolGeometry, averagePoolFloat, globalAveragePoolFloat, globalLpPoolFloat, globalMaxPoolFloat,
  lpPoolFloat, maxPoolWindows,
} from '../../kernels/pool.js';
import { shapeSize } from '../../kernels/strides.js';
import { type DataType, type NumericArray, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloatOut, floatData, floatTensor } from '../compute.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import type { OpContext } from '../op-def.js';
import { elemOf, shapeOf, tensorType, windowDim } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { gemmEngine, gpuProducts } from '../engine.js';

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface PoolAttrs {
  readonly autoPad: AutoPad;
  readonly kernel: readonly number[];
  readonly strides: readonly number[] | undefined;
  readonly dilations: readonly number[] | undefined;
  readonly pads: readonly number[] | undefined;
  readonly ceilMode: boolean;
}
interface MaxPoolAttrs extends PoolAttrs { readonly columnMajor: boolean }
interface AveragePoolAttrs extends PoolAttrs { readonly countIncludePad: boolean }
interface LpPoolAttrs extends PoolAttrs { readonly p: number }

const MAX_SPATIAL = 3;

function parsePool(name: string, a: Attrs): PoolAttrs {
  const autoPad = a.string('auto_pad', 'NOTSET') || 'NOTSET';
  if (autoPad !== 'NOTSET' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER' && autoPad !== 'VALID') {
    throw new InvalidNodeError(`${name}: unknown auto_pad '${autoPad}'`);
  }
  const kernel = a.ints('kernel_shape');
  if (kernel.length === 0 || kernel.some((k) => k < 1)) {
    throw new InvalidNodeError(`${name}: kernel_shape [${kernel.join(', ')}] must hold positive sizes`);
  }
  const list = (attr: string, len: number, min: number): readonly number[] | undefined => {
    if (!a.has(attr)) return undefined;
    const v = a.ints(attr);
    if (v.length === 0) return undefined;
    if (v.length !== len || v.some((x) => x < min)) {
      throw new InvalidNodeError(
        `${name}: ${attr} [${v.join(', ')}] must hold ${len} value(s) >= ${min} for kernel_shape [${kernel.join(', ')}]`,
      );
    }
    return Object.freeze([...v]);
  };
  return {
    autoPad,
    kernel: Object.freeze([...kernel]),
    strides: list('strides', kernel.length, 1),
    dilations: list('dilations', kernel.length, 1),
    pads: list('pads', kernel.length * 2, 0),
    ceilMode: a.int('ceil_mode', 0) !== 0,
  };
}

/** Output shape and padded geometry (three spatial dims, leading dims filled with 1). */
function poolGeometry(name: string, dims: readonly number[], at: PoolAttrs): { geometry: PoolGeometry; outDims: number[] } {
  const n = at.kernel.length;
  if (dims.length !== n + 2) {
    throw new ShapeError(
      `${name}: input of shape [${dims.join(', ')}] needs rank ${n + 2} for kernel_shape [${at.kernel.join(', ')}]`,
    );
  }
  if (n > MAX_SPATIAL) throw new ShapeError(`${name}: at most ${MAX_SPATIAL} spatial dimensions are supported, got ${n}`);
  const lead = MAX_SPATIAL - n;
  const fill = (v: number) => new Array<number>(MAX_SPATIAL).fill(v);
  const inShape = fill(1), outShape = fill(1), kernel = fill(1), strides = fill(1), dilations = fill(1);
  const padsBegin = fill(0), padsEnd = fill(0);
  const outDims = [dims[0]!, dims[1]!];
  for (let i = 0; i < n; i++) {
    const inSize = dims[i + 2]!;
    const k = at.kernel[i]!;
    const s = at.strides?.[i] ?? 1;
    const d = at.dilations?.[i] ?? 1;
    const window = (k - 1) * d + 1;
    let pb = 0, pe = 0, out: number;
    if (at.autoPad === 'SAME_UPPER' || at.autoPad === 'SAME_LOWER') {
      out = Math.ceil(inSize / s);
      const total = Math.max(0, (out - 1) * s + window - inSize);
      const small = Math.floor(total / 2);
      [pb, pe] = at.autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    } else {
      if (at.autoPad === 'NOTSET' && at.pads) [pb, pe] = [at.pads[i]!, at.pads[i + n]!];
      const span = (inSize + pb + pe - window) / s;
      out = (at.ceilMode ? Math.ceil(span) : Math.floor(span)) + 1;
      if (at.ceilMode && (out - 1) * s >= inSize + pb) out--;
    }
    if (out < 1 && inSize > 0) {
      throw new ShapeError(
        `${name}: window ${window} (kernel ${k}, dilation ${d}) does not fit spatial dim ${i} of size ${inSize} ` +
          `with pads [${pb}, ${pe}]`,
      );
    }
    out = Math.max(out, 0);
    const j = lead + i;
    inShape[j] = inSize; outShape[j] = out; kernel[j] = k; strides[j] = s; dilations[j] = d;
    padsBegin[j] = pb; padsEnd[j] = pe;
    outDims.push(out);
  }
  const geometry: PoolGeometry = {
    channels: dims[0]! * dims[1]!, inShape, outShape, kernel, strides, dilations, padsBegin, padsEnd,
  };
  return { geometry, outDims };
}

function input(name: string, inputs: readonly (Tensor | undefined)[], ints: boolean): Tensor {
  const x = inputs[0];
  if (!x) throw new ShapeError(`${name}: input X is missing`);
  if (!isFloatType(x.type) && !(ints && (x.type === 'int8' || x.type === 'uint8'))) {
    throw new ShapeError(`${name}: unsupported input type ${x.type}`);
  }
  return x;
}

/** Float compute data: a view/copy for float types, an exact float64 copy for int8/uint8. */
function computeData(x: Tensor): FloatArray {
  return isFloatType(x.type) ? floatData(x) : Float64Array.from(x.data as NumericArray);
}

function wrap(type: DataType, data: FloatArray, dims: readonly number[]): Tensor {
  if (type === 'int8') return new Tensor('int8', Int8Array.from(data), dims);
  if (type === 'uint8') return new Tensor('uint8', Uint8Array.from(data), dims);
  return floatTensor(type, data, dims);
}

/** [N, C, windows...] over symbolic dims; the spatial sizes need numeric input dims. */
function poolShape(x: InferInput | undefined, at: PoolAttrs): Dim[] | undefined {
  const xs = shapeOf(x);
  if (!xs) return undefined;
  const n = at.kernel.length;
  const out: Dim[] = [xs[0] ?? null, xs[1] ?? null];
  for (let i = 0; i < n; i++) {
    const k = at.kernel[i]!;
    const d = at.dilations?.[i] ?? 1;
    const pads = at.autoPad === 'NOTSET' ? at.pads : undefined;
    out.push(windowDim(xs[i + 2] ?? null, (k - 1) * d + 1, at.strides?.[i] ?? 1, pads?.[i] ?? 0, pads?.[i + n] ?? 0, at.ceilMode, at.autoPad));
  }
  return out;
}

const inferPool = (inputs: readonly (InferInput | undefined)[], at: PoolAttrs): ValueType[] => {
  const shape = poolShape(inputs[0], at);
  return [tensorType(elemOf(inputs[0]), shape), tensorType('int64', shape)];
};

const inferGlobalPool = (inputs: readonly (InferInput | undefined)[]): ValueType[] =>
  [tensorType(elemOf(inputs[0]), shapeOf(inputs[0])?.map((d, i) => (i < 2 ? d : 1)))];

/** A float32 pool offered to the 'webgl' backend's GPU (null: no GPU, or it declined). */
function poolOnGpu(
  kind: 'max' | 'average', x: Tensor, geometry: PoolGeometry, countIncludePad: boolean, outDims: readonly number[], ctx: OpContext | undefined,
): Tensor | null {
  const gpu = gpuProducts();
  return gpu === null || ctx === undefined || x.type !== 'float32' ? null : gpu.pool(ctx.node, { kind, geometry, countIncludePad }, x, outDims);
}

/** A float32 global pool offered to the 'webgl' backend's GPU (null: no GPU, or it declined). */
function globalPoolOnGpu(
  kind: 'max' | 'average', x: Tensor, channels: number, size: number, outDims: readonly number[], ctx: OpContext | undefined,
): Tensor | null {
  const gpu = gpuProducts();
  return gpu === null || ctx === undefined || x.type !== 'float32' ? null : gpu.globalPool(ctx.node, { kind, channels, size }, x, outDims);
}

const maxPool = op({
  name: 'MaxPool', since: 1,
  parse: (a: Attrs): MaxPoolAttrs => Object.freeze({
    ...parsePool('MaxPool', a), columnMajor: a.int('storage_order', 0) === 1,
  }),
  infer: inferPool,
  run: (inputs, at: MaxPoolAttrs, ctx) => {
    const x = input('MaxPool', inputs, true);
    const { geometry, outDims } = poolGeometry('MaxPool', x.dims, at);
    const size = shapeSize(outDims);
    const out = isFloatType(x.type) ? allocFloatOut(x.type, size) : new Float64Array(size);
    const wantIndices = ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '';
    if (!wantIndices) {
      const onGpu = poolOnGpu('max', x, geometry, false, outDims, ctx);
      if (onGpu !== null) return [onGpu];
    }
    const indices = wantIndices ? new BigInt64Array(size) : null;
    const empty = x.type === 'int8' ? -128 : x.type === 'uint8' ? 0 : -Infinity;
    const xd = computeData(x);
    const onEngine = indices === null && empty === -Infinity && xd instanceof Float32Array && out instanceof Float32Array
      && gemmEngine().maxPool?.(xd, out, geometry) === true;
    if (!onEngine) maxPoolWindows(xd, out, geometry, indices, at.columnMajor, empty);
    const y = wrap(x.type, out, outDims);
    return indices ? [y, new Tensor('int64', indices, outDims)] : [y];
  },
});

const averagePool = op({
  name: 'AveragePool', since: 1,
  parse: (a: Attrs): AveragePoolAttrs => Object.freeze({
    ...parsePool('AveragePool', a), countIncludePad: a.int('count_include_pad', 0) !== 0,
  }),
  infer: inferPool,
  run: (inputs, at: AveragePoolAttrs, ctx) => {
    const x = input('AveragePool', inputs, false);
    const { geometry, outDims } = poolGeometry('AveragePool', x.dims, at);
    const onGpu = poolOnGpu('average', x, geometry, at.countIncludePad, outDims, ctx);
    if (onGpu !== null) return [onGpu];
    const out = allocFloatOut(x.type, shapeSize(outDims));
    averagePoolFloat(floatData(x), out, geometry, at.countIncludePad);
    return [floatTensor(x.type, out, outDims)];
  },
});

function lpPool(since: number, parseP: (a: Attrs) => number): OpDef {
  return op({
    name: 'LpPool', since,
    parse: (a: Attrs): LpPoolAttrs => {
      const p = parseP(a);
      if (!(p > 0)) throw new InvalidNodeError(`LpPool: p must be positive, got ${p}`);
      return Object.freeze({ ...parsePool('LpPool', a), p });
    },
    infer: inferPool,
    run: (inputs, at: LpPoolAttrs) => {
      const x = input('LpPool', inputs, false);
      const { geometry, outDims } = poolGeometry('LpPool', x.dims, at);
      const out = allocFloatOut(x.type, shapeSize(outDims));
      lpPoolFloat(floatData(x), out, geometry, at.p);
      return [floatTensor(x.type, out, outDims)];
    },
  });
}

/** [N, C, 1, ..., 1] and the per-channel run length for the global pools. */
function globalShape(name: string, x: Tensor): { outDims: number[]; channels: number; size: number } {
  if (x.dims.length < 2) throw new ShapeError(`${name}: input of shape [${x.dims.join(', ')}] needs rank >= 2`);
  const channels = x.dims[0]! * x.dims[1]!;
  const outDims = x.dims.map((d, i) => (i < 2 ? d : 1));
  return { outDims, channels, size: shapeSize(x.dims.slice(2)) };
}

const globalAveragePool = op({
  name: 'GlobalAveragePool', since: 1,
  infer: inferGlobalPool,
  run: (inputs, _attrs, ctx) => {
    const x = input('GlobalAveragePool', inputs, false);
    const { outDims, channels, size } = globalShape('GlobalAveragePool', x);
    const onGpu = globalPoolOnGpu('average', x, channels, size, outDims, ctx);
    if (onGpu !== null) return [onGpu];
    const out = allocFloatOut(x.type, channels);
    globalAveragePoolFloat(floatData(x), out, channels, size);
    return [floatTensor(x.type, out, outDims)];
  },
});

const globalMaxPool = op({
  name: 'GlobalMaxPool', since: 1,
  infer: inferGlobalPool,
  run: (inputs, _attrs, ctx) => {
    const x = input('GlobalMaxPool', inputs, false);
    const { outDims, channels, size } = globalShape('GlobalMaxPool', x);
    const onGpu = globalPoolOnGpu('max', x, channels, size, outDims, ctx);
    if (onGpu !== null) return [onGpu];
    const out = allocFloatOut(x.type, channels);
    globalMaxPoolFloat(floatData(x), out, channels, size);
    return [floatTensor(x.type, out, outDims)];
  },
});

function globalLpPool(since: number, parseP: (a: Attrs) => number): OpDef {
  return op({
    name: 'GlobalLpPool', since,
    parse: (a: Attrs): { readonly p: number } => {
      const p = parseP(a);
      if (!(p > 0)) throw new InvalidNodeError(`GlobalLpPool: p must be positive, got ${p}`);
      return Object.freeze({ p });
    },
    infer: inferGlobalPool,
    run: (inputs, at: { readonly p: number }) => {
      const x = input('GlobalLpPool', inputs, false);
      const { outDims, channels, size } = globalShape('GlobalLpPool', x);
      const out = allocFloatOut(x.type, channels);
      globalLpPoolFloat(floatData(x), out, channels, size, at.p);
      return [floatTensor(x.type, out, outDims)];
    },
  });
}

export const poolOps: OpDef[] = [
  maxPool,
  averagePool,
  lpPool(1, (a) => a.float('p', 2)),
  lpPool(2, (a) => a.int('p', 2)),
  globalAveragePool,
  globalMaxPool,
  globalLpPool(1, (a) => a.float('p', 2)),
  globalLpPool(2, (a) => a.int('p', 2)),
];
