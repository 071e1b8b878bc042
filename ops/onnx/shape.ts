// Shape manipulation and generated tensors: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size,
// Expand, Identity, Constant, ConstantOfShape, Range, EyeLike, NonZero,
// Compress. Ops that only change dims return a tensor sharing the input's data.

import { compress, countSet } from '../../kernels/compress.js';
import { fillPattern } from '../../kernels/element-words.js';
import { maskCoordinates, nonZeroMask, type ZeroTest } from '../../kernels/nonzero.js';
import { eyeFill, rangeBigInts, rangeNumbers } from '../../kernels/range.js';
import { sparseToDense } from '../../kernels/sparse-to-dense.js';
import { broadcastShapes } from '../../kernels/broadcast.js';
import { sizeBetween } from '../../kernels/strides.js';
import { repeatCopy } from '../../kernels/tile.js';
import { type DataType, dataTypeFromOnnx, isHalfType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { floatData, floatTensor, int64Tensor } from '../compute.js';
import type { Dim } from '../../src/ir/graph.js';
import {
  type Shape, broadcast, dimAdd, dimProduct, elemOf, knownInts, knownNumbers, normAxis, rankOf, reshapeShape, shapeOf,
  mapShape, squeezeShape, targetDims, tensorType, unsqueezeShape,
} from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { outputWords, scalarWords, tensorWords } from '../tensor-words.js';
import { checkedAxis, intList, required } from '../op-inputs.js';

function dimsText(d: readonly number[]): string {
  return `[${d.join(', ')}]`;
}

// ---- Inference helpers ----

const passDims = (inputs: readonly (InferInput | undefined)[]) => [inputs[0]?.dims];

/** Shape (opset 15) start/end slice of a shape. */
function shapeSlice(s: Shape | undefined, start: number, end: number | undefined): Dim[] | undefined {
  if (!s) return undefined;
  const r = s.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  return s.slice(clamp(start), end === undefined ? r : clamp(end));
}

// ---- Reshape ----

/** The output dims of Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred. */
export function reshapeDims(dims: readonly number[], shape: readonly number[], allowZero: boolean): number[] {
  const out = [...shape];
  let infer = -1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`Reshape: shape ${dimsText(shape)} has more than one -1`);
      infer = i;
    } else if (d === 0 && !allowZero) {
      if (i >= dims.length) {
        throw new ShapeError(`Reshape: shape ${dimsText(shape)} copies dim ${i} (0) but input is ${dimsText(dims)}`);
      }
      out[i] = dims[i]!;
    } else if (d < 0 || !Number.isInteger(d)) {
      throw new ShapeError(`Reshape: invalid dim ${d} in shape ${dimsText(shape)}`);
    }
  }
  if (allowZero && infer >= 0 && shape.includes(0)) {
    throw new ShapeError(`Reshape: shape ${dimsText(shape)} mixes -1 and 0 with allowzero=1`);
  }
  let size = 1;
  for (const d of dims) size *= d;
  if (infer >= 0) {
    let known = 1;
    out.forEach((d, i) => { if (i !== infer) known *= d; });
    if (known === 0) {
      throw new ShapeError(`Reshape: -1 in ${dimsText(shape)} is ambiguous when the other dims multiply to 0`);
    }
    if (size % known !== 0) {
      throw new ShapeError(`Reshape: cannot reshape ${dimsText(dims)} into ${dimsText(shape)}`);
    }
    out[infer] = size / known;
  }
  let outSize = 1;
  for (const d of out) outSize *= d;
  if (outSize !== size) throw new ShapeError(`Reshape: cannot reshape ${dimsText(dims)} into ${dimsText(shape)}`);
  return out;
}

const reshapeOps = [
  op({
    name: 'Reshape', since: 1,
    parse: (a: Attrs) => Object.freeze({ shape: a.ints('shape') }),
    infer: ([x], { shape }) => [tensorType(elemOf(x), reshapeShape(shapeOf(x), shape, false))],
    inferDims: passDims,
    run: ([x], { shape }) => {
      const data = required('Reshape', x, 'data');
      return [data.reshape(reshapeDims(data.dims, shape, false))];
    },
  }),
  op({
    name: 'Reshape', since: 5,
    parse: (a: Attrs) => Object.freeze({ allowZero: a.int('allowzero', 0) !== 0 }),
    infer: ([x, s], { allowZero }) => {
      const target = targetDims(s);
      return [tensorType(elemOf(x), target && reshapeShape(shapeOf(x), target, allowZero))];
    },
    inferDims: passDims,
    run: ([x, s], { allowZero }) => {
      const data = required('Reshape', x, 'data');
      return [data.reshape(reshapeDims(data.dims, intList(required('Reshape', s, 'shape')), allowZero))];
    },
  }),
];

// ---- Flatten, Squeeze, Unsqueeze ----

const flattenOp = op({
  name: 'Flatten',
  since: 1,
  parse: (a: Attrs) => Object.freeze({ axis: a.int('axis', 1) }),
  infer: ([x], { axis }) => {
    const s = shapeOf(x);
    const a = s && axis < 0 ? axis + s.length : axis;
    return [tensorType(elemOf(x), s && [dimProduct(s.slice(0, a)), dimProduct(s.slice(a))])];
  },
  run: ([x], { axis }) => {
    const data = required('Flatten', x, 'input');
    const r = data.dims.length;
    const a = axis < 0 ? axis + r : axis;
    if (a < 0 || a > r) throw new InvalidNodeError(`Flatten: axis ${axis} out of range [${-r}, ${r}]`);
    return [data.reshape([sizeBetween(data.dims, 0, a), sizeBetween(data.dims, a, r)])];
  },
});

function squeezeRun(x: Tensor, axes: readonly number[] | undefined): Tensor {
  const r = x.dims.length;
  if (!axes) return x.reshape(x.dims.filter((d) => d !== 1));
  const drop = new Set<number>();
  for (const ax of axes) {
    const a = checkedAxis('Squeeze', ax, r);
    if (x.dims[a] !== 1) throw new ShapeError(`Squeeze: axis ${ax} has size ${x.dims[a]}, not 1, in ${dimsText(x.dims)}`);
    drop.add(a);
  }
  return x.reshape(x.dims.filter((_, i) => !drop.has(i)));
}

function unsqueezeRun(x: Tensor, axes: readonly number[]): Tensor {
  const r = x.dims.length + axes.length;
  const ones = new Set<number>();
  for (const ax of axes) {
    const a = checkedAxis('Unsqueeze', ax, r);
    if (ones.has(a)) throw new InvalidNodeError(`Unsqueeze: axis ${ax} is repeated in [${axes.join(', ')}]`);
    ones.add(a);
  }
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(ones.has(i) ? 1 : x.dims[j++]!);
  return x.reshape(out);
}

const squeezeOps = [
  op({
    name: 'Squeeze', since: 1,
    parse: (a: Attrs) => Object.freeze({ axes: a.has('axes') ? a.ints('axes') : undefined }),
    infer: ([x], { axes }) => [tensorType(elemOf(x), mapShape(x, (s) => squeezeShape(s, axes)))],
    inferDims: passDims,
    run: ([x], { axes }) => [squeezeRun(required('Squeeze', x, 'data'), axes)],
  }),
  op({
    name: 'Squeeze', since: 13,
    infer: ([x, axes]) => {
      const ax = axes ? knownInts(axes) : undefined;
      if (axes && !ax) return [tensorType(elemOf(x))];
      return [tensorType(elemOf(x), mapShape(x, (s) => squeezeShape(s, ax)))];
    },
    inferDims: passDims,
    run: ([x, axes]) => [squeezeRun(required('Squeeze', x, 'data'), axes && intList(axes))],
  }),
  op({
    name: 'Unsqueeze', since: 1,
    parse: (a: Attrs) => Object.freeze({ axes: a.ints('axes') }),
    infer: ([x], { axes }) => [tensorType(elemOf(x), mapShape(x, (s) => unsqueezeShape(s, axes)))],
    inferDims: passDims,
    run: ([x], { axes }) => [unsqueezeRun(required('Unsqueeze', x, 'data'), axes)],
  }),
  op({
    name: 'Unsqueeze', since: 13,
    infer: ([x, axes]) => {
      const ax = knownInts(axes);
      const s = shapeOf(x);
      if (!ax) return [tensorType(elemOf(x), s && shapeOf(axes)?.length === 1 ? targetDims({ type: tensorType('int64', [dimAdd(s.length, shapeOf(axes)![0]!)]) }) : undefined)];
      return [tensorType(elemOf(x), s && unsqueezeShape(s, ax))];
    },
    inferDims: passDims,
    run: ([x, axes]) => [unsqueezeRun(required('Unsqueeze', x, 'data'), intList(required('Unsqueeze', axes, 'axes')))],
  }),
];

// ---- Shape, Size ----

const shapeOpDefs = [
  op({
    name: 'Shape', since: 1,
    infer: ([x]) => [tensorType('int64', [rankOf(x) ?? null])],
    inferDims: ([x]) => [shapeOf(x)],
    run: ([x]) => [int64Tensor(required('Shape', x, 'data').dims)],
  }),
  op({
    name: 'Shape', since: 15,
    parse: (a: Attrs) => Object.freeze({ start: a.int('start', 0), end: a.has('end') ? a.int('end') : undefined }),
    infer: ([x], { start, end }) => [tensorType('int64', [shapeSlice(shapeOf(x), start, end)?.length ?? null])],
    inferDims: ([x], { start, end }) => [shapeSlice(shapeOf(x), start, end)],
    run: ([x], { start, end }) => {
      const dims = required('Shape', x, 'data').dims;
      const r = dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return [int64Tensor(dims.slice(clamp(start), end === undefined ? r : clamp(end)))];
    },
  }),
  op({
    name: 'Size', since: 1,
    infer: () => [tensorType('int64', [])],
    inferDims: ([x]) => [mapShape(x, (s) => [dimProduct(s)])],
    run: ([x]) => [int64Tensor([required('Size', x, 'data').size], [])],
  }),
];

// ---- Expand ----

const expandOp = op({
  name: 'Expand',
  since: 8,
  infer: ([x, s]) => [tensorType(elemOf(x), broadcast([shapeOf(x), targetDims(s)]))],
  run: ([x, s]) => {
    const data = required('Expand', x, 'input');
    const shape = intList(required('Expand', s, 'shape'));
    if (shape.some((d) => d < 0)) throw new ShapeError(`Expand: negative dim in shape ${dimsText(shape)}`);
    const outDims = broadcastShapes(data.dims, shape);
    if (!outDims) throw new ShapeError(`Expand: cannot broadcast ${dimsText(data.dims)} to ${dimsText(shape)}`);
    const inDims = [...new Array<number>(outDims.length - data.dims.length).fill(1), ...data.dims];
    const { words, width } = tensorWords(data);
    const out = outputWords(data.type, outDims);
    repeatCopy(words, out.words, inDims, outDims, width);
    return [out.tensor];
  },
});

// ---- Identity ----

const identityOp = op({
  name: 'Identity',
  since: 1,
  values: true,
  infer: ([x]) => [x?.type],
  inferDims: passDims,
  run: (inputs) => [inputs[0] as Value],
});

// ---- Constant, ConstantOfShape ----

function constantFromAttrs(a: Attrs): Tensor {
  const names = a.names();
  if (names.length !== 1) {
    throw new InvalidNodeError(`Constant: needs exactly one value attribute, has [${names.join(', ')}]`);
  }
  const name = names[0]!;
  switch (name) {
    case 'value': return a.tensor('value')!;
    case 'value_float': return new Tensor('float32', Float32Array.of(a.float(name)), []);
    case 'value_floats': return new Tensor('float32', Float32Array.from(a.floats(name)), [a.floats(name).length]);
    case 'value_int': return int64Tensor([a.int(name)], []);
    case 'value_ints': return int64Tensor(a.ints(name));
    case 'value_string': return new Tensor('string', [a.string(name)], []);
    case 'value_strings': return new Tensor('string', [...a.strings(name)], [a.strings(name).length]);
    case 'sparse_value': {
      const raw = a.raw(name);
      if (raw?.type !== 'sparse_tensor') throw new InvalidNodeError('Constant: sparse_value is not a sparse tensor');
      const { values, indices, dims } = raw.value;
      const out = outputWords(values.type, dims);
      const { words, width } = tensorWords(values);
      const bad = sparseToDense(words, intList(indices), indices.dims.length === 2 ? indices.dims[1]! : 1, dims,
        out.words, width);
      if (bad >= 0) throw new InvalidNodeError(`Constant: sparse_value index ${bad} lies outside ${dimsText(dims)}`);
      return out.tensor;
    }
    default: throw new InvalidNodeError(`Constant: unknown attribute '${name}'`);
  }
}

const constantOp = op({
  name: 'Constant',
  since: 1,
  parse: (a: Attrs) => Object.freeze({ value: constantFromAttrs(a) }),
  infer: (_inputs, { value }) => [tensorType(value.type, value.dims)],
  run: (_inputs, { value }) => [value],
});

const constantOfShapeOp = op({
  name: 'ConstantOfShape',
  since: 9,
  parse: (a: Attrs) => {
    const value = a.tensor('value') ?? new Tensor('float32', new Float32Array(1), [1]);
    if (value.size !== 1) throw new InvalidNodeError(`ConstantOfShape: value must hold one element, has ${value.size}`);
    return Object.freeze({ value });
  },
  infer: ([s], { value }) => [tensorType(value.type, targetDims(s))],
  run: ([s], { value }) => {
    const dims = intList(required('ConstantOfShape', s, 'input'));
    if (dims.some((d) => d < 0)) throw new ShapeError(`ConstantOfShape: negative dim in ${dimsText(dims)}`);
    const out = outputWords(value.type, dims);
    fillPattern(out.words, tensorWords(value).words, out.tensor.size);
    return [out.tensor];
  },
});

// ---- Range, EyeLike ----

function scalarOf(opName: string, t: Tensor | undefined, what: string): Tensor {
  const v = required(opName, t, what);
  if (v.size !== 1) throw new ShapeError(`${opName}: ${what} must be a scalar, has shape ${dimsText(v.dims)}`);
  return v;
}

const rangeOp = op({
  name: 'Range',
  since: 11,
  infer: ([s, l, d], _a, ctx) => {
    const [a, b, c] = [knownNumbers(s)?.[0], knownNumbers(l)?.[0], knownNumbers(d)?.[0]];
    const n = a !== undefined && b !== undefined && c ? Math.max(Math.ceil((b - a) / c), 0) : ctx.dataDim('length');
    return [tensorType(elemOf(s), [n])];
  },
  run: ([s, l, d]) => {
    const start = scalarOf('Range', s, 'start');
    const limit = scalarOf('Range', l, 'limit');
    const delta = scalarOf('Range', d, 'delta');
    const type = start.type;
    if (limit.type !== type || delta.type !== type) {
      throw new ShapeError(`Range: start, limit and delta types differ (${type}, ${limit.type}, ${delta.type})`);
    }
    if (type === 'int64' || type === 'uint64') {
      const [a, b, c] = [start, limit, delta].map((t) => (t.data as BigInt64Array)[0]!) as [bigint, bigint, bigint];
      if (c === 0n) throw new InvalidNodeError('Range: delta is 0');
      const span = b - a;
      const q = span / c; // truncated toward zero; ceil adds one for an inexact positive quotient
      const ceil = q * c !== span && (span > 0n) === (c > 0n) ? q + 1n : q;
      const n = ceil < 0n ? 0 : Number(ceil);
      const out = Tensor.zeros(type, [Math.max(n, 0)]);
      rangeBigInts(out.data as BigInt64Array, a, c);
      return [out];
    }
    const isFloat = type === 'float32' || type === 'float64' || isHalfType(type);
    const [a, b, c] = isFloat
      ? [floatData(start)[0]!, floatData(limit)[0]!, floatData(delta)[0]!]
      : [start.toNumbers()[0]!, limit.toNumbers()[0]!, delta.toNumbers()[0]!];
    if (c === 0) throw new InvalidNodeError('Range: delta is 0');
    const n = Math.max(Math.ceil((b - a) / c), 0);
    if (!Number.isFinite(n)) throw new InvalidNodeError(`Range: ${a} to ${b} by ${c} is not a finite range`);
    if (isHalfType(type)) {
      const f = new Float32Array(n);
      rangeNumbers(f, a, c);
      return [floatTensor(type, f, [n])];
    }
    const out = Tensor.zeros(type, [n]);
    rangeNumbers(out.data as Float32Array, a, c);
    return [out];
  },
});

const eyeLikeOp = op({
  name: 'EyeLike',
  since: 9,
  parse: (a: Attrs) => {
    let dtype: DataType | undefined;
    if (a.has('dtype')) {
      dtype = dataTypeFromOnnx(a.int('dtype'));
      if (!dtype) throw new InvalidNodeError(`EyeLike: unknown dtype ${a.int('dtype')}`);
    }
    return Object.freeze({ dtype, k: a.int('k', 0) });
  },
  infer: ([x], { dtype }) => [tensorType(dtype ?? elemOf(x), shapeOf(x))],
  run: ([x], { dtype, k }) => {
    const data = required('EyeLike', x, 'input');
    if (data.dims.length !== 2) throw new ShapeError(`EyeLike: input must be 2-D, has shape ${dimsText(data.dims)}`);
    const type = dtype ?? data.type;
    const out = outputWords(type, data.dims);
    eyeFill(out.words, data.dims[0]!, data.dims[1]!, k, scalarWords(type, 1));
    return [out.tensor];
  },
});

// ---- NonZero, Compress ----

function zeroTest(type: DataType): ZeroTest {
  if (type === 'string') throw new InvalidNodeError('NonZero: string tensors are not supported');
  if (type === 'int64' || type === 'uint64') return 'bigint';
  return isHalfType(type) ? 'half' : 'number';
}

const nonZeroOp = op({
  name: 'NonZero',
  since: 9,
  infer: ([x], _a, ctx) => [tensorType('int64', [Math.max(rankOf(x) ?? NaN, 1) || null, ctx.dataDim('dim1')])],
  run: ([x]) => {
    const data = required('NonZero', x, 'X');
    const mask = new Uint8Array(data.size);
    const count = nonZeroMask(data.data as Float64Array, zeroTest(data.type), mask);
    // A scalar reports its one coordinate as rank 1 (numpy and onnxruntime do the same).
    const dims = data.dims.length === 0 ? [1] : data.dims;
    const out = new BigInt64Array(dims.length * count);
    maskCoordinates(mask, dims, count, out);
    return [new Tensor('int64', out, [dims.length, count])];
  },
});

const compressOp = op({
  name: 'Compress',
  since: 9,
  parse: (a: Attrs) => Object.freeze({ axis: a.has('axis') ? a.int('axis') : undefined }),
  infer: ([x], { axis }, ctx) => {
    const s = shapeOf(x);
    if (axis === undefined) return [tensorType(elemOf(x), [ctx.dataDim('dim0')])];
    return [tensorType(elemOf(x), s?.map((d, i) => (i === normAxis(axis, s.length) ? ctx.dataDim(`dim${i}`) : d)))];
  },
  run: ([x, c], { axis }) => {
    const data = required('Compress', x, 'input');
    const cond = required('Compress', c, 'condition');
    if (cond.type !== 'bool' || cond.dims.length !== 1) {
      throw new ShapeError(`Compress: condition must be a 1-D bool tensor, is ${cond.type} ${dimsText(cond.dims)}`);
    }
    const flags = cond.data as Uint8Array;
    const dims = axis === undefined ? [data.size] : data.dims;
    const a = axis === undefined ? 0 : checkedAxis('Compress', axis, dims.length);
    const len = dims[a]!;
    const outDims = [...dims];
    outDims[a] = countSet(flags, len);
    const { words, width } = tensorWords(data);
    const out = outputWords(data.type, outDims);
    compress(words, out.words, sizeBetween(dims, 0, a), len, sizeBetween(dims, a + 1, dims.length) * width, flags);
    return [out.tensor];
  },
});

export const shapeOps: OpDef[] = [
  ...reshapeOps, flattenOp, ...squeezeOps, ...shapeOpDefs, expandOp, identityOp,
  constantOp, constantOfShapeOp, rangeOp, eyeLikeOp, nonZeroOp, compressOp,
];
