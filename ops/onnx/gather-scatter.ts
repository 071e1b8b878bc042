// Indexing ops: Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND, OneHot.
// Data moves as raw bits (kernels/take.ts), so every element type works and nothing converts.

import { elementOffsets, gatherOffsets, type IndexArray, ndOffsets, normalizeIndices } from '../../kernels/gather.js';
import { oneHotFill, oneHotIndices } from '../../kernels/onehot.js';
import { type ScatterReduce, scatterReduceBig, scatterReduceFloat } from '../../kernels/scatter.js';
import { contiguousStrides, normalizeAxis, shapeSize, sizeBetween } from '../../kernels/strides.js';
import { bitView, type BitView, copyAll, putBlocks, takeBlocks } from '../../kernels/take.js';
import { DATA_TYPES, allocate, isFloatType, isHalfType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { floatData, floatTensor, intValues } from '../compute.js';
import { elemOf, knownDims, knownInts, knownNumbers, normAxis, rankOf, sameAs, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';

// ---- shared helpers -------------------------------------------------------------------------

/** The tensor's storage as integer lanes (see kernels/take.ts). */
function tensorBits(t: Tensor): BitView {
  return bitView(t.data as ArrayBufferView | string[], DATA_TYPES[t.type].slots);
}

function required(t: Tensor | undefined, opName: string, what: string): Tensor {
  if (!t) throw new InvalidNodeError(`${opName}: input '${what}' is required`);
  return t;
}

function indexArray(t: Tensor, opName: string): IndexArray {
  if (t.type === 'int32') return t.data as Int32Array;
  if (t.type === 'int64') return t.data as BigInt64Array;
  throw new InvalidNodeError(`${opName}: indices must be int32 or int64, got ${t.type}`);
}

function axisOf(axis: number, rank: number, opName: string): number {
  const a = normalizeAxis(axis, rank);
  if (a < 0) throw new InvalidNodeError(`${opName}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Normalised indices; throws naming the first bad index and its bound. */
function checkedIndices(indices: Tensor, bounds: readonly number[], opName: string, into?: Int32Array): Int32Array {
  const src = indexArray(indices, opName);
  const out = into ? into.subarray(0, src.length) : new Int32Array(src.length);
  const bad = normalizeIndices(src, bounds, out);
  if (bad >= 0) {
    const bound = bounds[bad % bounds.length]!;
    const where = bounds.length > 1 ? ` (component ${bad % bounds.length} of an index tuple)` : '';
    throw new InvalidNodeError(
      `${opName}: index ${String(src[bad])}${where} out of range [${-bound}, ${bound})`,
    );
  }
  return out;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Gathers `count` blocks of `block` elements of `data` at element `offsets` into a new tensor. */
function takeTensor(data: Tensor, offsets: Int32Array, block: number, dims: readonly number[]): Tensor {
  const out = new Tensor(data.type, allocate(data.type, shapeSize(dims)), dims);
  const src = tensorBits(data);
  takeBlocks(src.bits, tensorBits(out).bits, offsets, block, src.lanes);
  return out;
}

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;
type Reduction = (typeof REDUCTIONS)[number];

function parseReduction(a: Attrs, opName: string): Reduction {
  const r = a.string('reduction', 'none');
  if (!(REDUCTIONS as readonly string[]).includes(r)) {
    throw new InvalidNodeError(`${opName}: unknown reduction '${r}' (expected ${REDUCTIONS.join(', ')})`);
  }
  return r as Reduction;
}

/** A copy of data with updates block k written or reduced into offsets[k]. */
function scatterInto(
  data: Tensor, updates: Tensor, offsets: Int32Array, block: number, reduction: Reduction, opName: string,
): Tensor {
  if (updates.type !== data.type) {
    throw new InvalidNodeError(`${opName}: updates type ${updates.type} differs from data type ${data.type}`);
  }
  const type = data.type;
  if (reduction === 'none') {
    const out = new Tensor(type, allocate(type, data.size), data.dims);
    const dst = tensorBits(out);
    copyAll(tensorBits(data).bits, dst.bits);
    putBlocks(tensorBits(updates).bits, dst.bits, offsets, block, dst.lanes);
    return out;
  }
  const scale = DATA_TYPES[type].slots;
  if (type === 'bool' || type === 'string' || scale !== 1 || DATA_TYPES[type].bytes < 1) {
    throw new InvalidNodeError(`${opName}: reduction '${reduction}' is not defined for ${type}`);
  }
  if (type === 'int64' || type === 'uint64') {
    const out = new Tensor(type, (data.data as BigInt64Array).slice(), data.dims);
    scatterReduceBig(out.data as BigInt64Array, updates.data as BigInt64Array, offsets, block, reduction);
    return out;
  }
  if (type === 'float32' || type === 'float64' || isHalfType(type)) {
    const work = type === 'float64' ? (data.data as Float64Array).slice()
      : type === 'float32' ? (data.data as Float32Array).slice() : floatData(data);
    scatterReduceFloat(work, floatData(updates), offsets, block, reduction);
    return floatTensor(type, work, data.dims);
  }
  // Integers of up to 32 bits are exact in float64; the store back wraps like the int type.
  const work = new Float64Array(data.data as ArrayLike<number>);
  const upd = new Float64Array(updates.data as ArrayLike<number>);
  scatterReduceFloat(work, upd, offsets, block, reduction === 'mul' ? 'imul' : (reduction as ScatterReduce));
  const out = allocate(type, data.size) as Int32Array;
  out.set(work);
  return new Tensor(type, out, data.dims);
}

// ---- Gather family --------------------------------------------------------------------------

/**
 * Gather's index and offset scratch, grown and reused (ops run synchronously and Gather reads them
 * only while it runs): a steady-state run allocates no storage for them.
 */
const gatherBuffers = [new Int32Array(64), new Int32Array(64)];
function gatherScratch(which: 0 | 1, n: number): Int32Array {
  if (gatherBuffers[which]!.length < n) gatherBuffers[which] = new Int32Array(Math.max(n, 2 * gatherBuffers[which]!.length));
  return gatherBuffers[which]!;
}

interface AxisAttrs { readonly axis: number }

const gather = op<AxisAttrs>({
  name: 'Gather',
  since: 1,
  parse: (a) => Object.freeze({ axis: a.int('axis', 0) }),
  infer: ([x, ind], { axis }) => {
    const [s, is] = [shapeOf(x), shapeOf(ind)];
    if (!s || !is) return [tensorType(elemOf(x))];
    const a = normAxis(axis, s.length);
    return [tensorType(elemOf(x), [...s.slice(0, a), ...is, ...s.slice(a + 1)])];
  },
  inferDims: ([x, ind]) => {
    // Picking dims out of a shape-value: Gather(Shape(x), [0]).
    const v = knownDims(x);
    const idx = knownInts(ind);
    if (!v || !idx || rankOf(x) !== 1) return [];
    return [idx.map((i) => v[i < 0 ? i + v.length : i] ?? null)];
  },
  run: ([data, indices], { axis }) => {
    const x = required(data, 'Gather', 'data');
    const ind = required(indices, 'Gather', 'indices');
    const ax = axisOf(axis, x.rank, 'Gather');
    const axisLen = x.dims[ax]!;
    const idx = checkedIndices(ind, [axisLen], 'Gather', gatherScratch(0, ind.size));
    const outer = sizeBetween(x.dims, 0, ax);
    const inner = sizeBetween(x.dims, ax + 1, x.rank);
    const offsets = gatherScratch(1, outer * idx.length).subarray(0, outer * idx.length);
    gatherOffsets(outer, axisLen, inner, idx, offsets);
    const dims = [...x.dims.slice(0, ax), ...ind.dims, ...x.dims.slice(ax + 1)];
    return [takeTensor(x, offsets, inner, dims)];
  },
});

/** Checks an indices/updates tensor against data for the *Elements ops; returns the axis. */
function elementsAxis(x: Tensor, ind: Tensor, axis: number, opName: string): number {
  const ax = axisOf(axis, x.rank, opName);
  if (ind.rank !== x.rank) {
    throw new ShapeError(`${opName}: indices rank ${ind.rank} differs from data rank ${x.rank}`);
  }
  for (let d = 0; d < x.rank; d++) {
    if (d !== ax && ind.dims[d]! > x.dims[d]!) {
      throw new ShapeError(
        `${opName}: indices dim ${d} is ${ind.dims[d]} but data dim is ${x.dims[d]} ` +
          `(indices [${ind.dims.join(', ')}], data [${x.dims.join(', ')}])`,
      );
    }
  }
  return ax;
}

function elementsOffsetsFor(x: Tensor, ind: Tensor, ax: number, opName: string): Int32Array {
  const idx = checkedIndices(ind, [x.dims[ax]!], opName);
  const offsets = new Int32Array(idx.length);
  elementOffsets(ind.dims, contiguousStrides(x.dims), ax, idx, offsets);
  return offsets;
}

const gatherElements = op<AxisAttrs>({
  name: 'GatherElements',
  since: 11,
  parse: (a) => Object.freeze({ axis: a.int('axis', 0) }),
  infer: ([x, ind]) => [tensorType(elemOf(x), shapeOf(ind))],
  run: ([data, indices], { axis }) => {
    const x = required(data, 'GatherElements', 'data');
    const ind = required(indices, 'GatherElements', 'indices');
    const ax = elementsAxis(x, ind, axis, 'GatherElements');
    const offsets = elementsOffsetsFor(x, ind, ax, 'GatherElements');
    return [takeTensor(x, offsets, 1, ind.dims)];
  },
});

/** Offsets and slice size shared by GatherND and ScatterND. */
function ndPlan(x: Tensor, ind: Tensor, batchDims: number, opName: string): { offsets: Int32Array; block: number } {
  const q = ind.rank;
  const r = x.rank;
  if (q < 1) throw new ShapeError(`${opName}: indices must have rank >= 1`);
  if (batchDims < 0 || batchDims >= Math.min(q, r)) {
    throw new InvalidNodeError(`${opName}: batch_dims ${batchDims} must be in [0, min(${q}, ${r}))`);
  }
  for (let d = 0; d < batchDims; d++) {
    if (ind.dims[d] !== x.dims[d]) {
      throw new ShapeError(`${opName}: batch dim ${d} of indices (${ind.dims[d]}) differs from data (${x.dims[d]})`);
    }
  }
  const k = ind.dims[q - 1]!;
  if (k > r - batchDims) {
    throw new ShapeError(`${opName}: index tuples of length ${k} exceed data rank ${r} minus batch_dims ${batchDims}`);
  }
  const bounds = x.dims.slice(batchDims, batchDims + k);
  const batches = sizeBetween(x.dims, 0, batchDims);
  const perBatch = sizeBetween(ind.dims, batchDims, q - 1);
  const strides = contiguousStrides(x.dims).slice(batchDims, batchDims + k);
  const block = sizeBetween(x.dims, batchDims + k, r);
  const offsets = new Int32Array(batches * perBatch);
  if (k === 0) {
    // Empty tuples select the whole slice of each batch.
    ndOffsets(new Int32Array(0), 0, batches, perBatch, sizeBetween(x.dims, batchDims, r), [], offsets);
    return { offsets, block };
  }
  const idx = checkedIndices(ind, bounds, opName);
  ndOffsets(idx, k, batches, perBatch, sizeBetween(x.dims, batchDims, r), strides, offsets);
  return { offsets, block };
}

const gatherND = op<{ readonly batchDims: number }>({
  name: 'GatherND',
  since: 11,
  parse: (a) => Object.freeze({ batchDims: a.int('batch_dims', 0) }),
  infer: ([x, ind], { batchDims }) => {
    const [s, is] = [shapeOf(x), shapeOf(ind)];
    const last = is?.[is.length - 1];
    if (!s || !is || typeof last !== 'number') return [tensorType(elemOf(x))];
    return [tensorType(elemOf(x), [...is.slice(0, -1), ...s.slice(batchDims + last)])];
  },
  run: ([data, indices], { batchDims }) => {
    const x = required(data, 'GatherND', 'data');
    const ind = required(indices, 'GatherND', 'indices');
    const { offsets, block } = ndPlan(x, ind, batchDims, 'GatherND');
    const k = ind.dims[ind.rank - 1]!;
    const dims = [...ind.dims.slice(0, -1), ...x.dims.slice(batchDims + k)];
    return [takeTensor(x, offsets, block, dims)];
  },
});

// ---- Scatter family -------------------------------------------------------------------------

interface ScatterAttrs { readonly axis: number; readonly reduction: Reduction }

function runScatterElements(
  inputs: readonly (Tensor | undefined)[], { axis, reduction }: ScatterAttrs, opName: string,
): Tensor[] {
  const x = required(inputs[0], opName, 'data');
  const ind = required(inputs[1], opName, 'indices');
  const upd = required(inputs[2], opName, 'updates');
  if (!sameDims(upd.dims, ind.dims)) {
    throw new ShapeError(`${opName}: updates [${upd.dims.join(', ')}] must have the shape of indices [${ind.dims.join(', ')}]`);
  }
  const ax = elementsAxis(x, ind, axis, opName);
  const offsets = elementsOffsetsFor(x, ind, ax, opName);
  return [scatterInto(x, upd, offsets, 1, reduction, opName)];
}

const scatterElements = op<ScatterAttrs>({
  name: 'ScatterElements',
  since: 11,
  parse: (a) => Object.freeze({ axis: a.int('axis', 0), reduction: parseReduction(a, 'ScatterElements') }),
  infer: sameAs(0),
  run: (inputs, attrs) => runScatterElements(inputs, attrs, 'ScatterElements'),
});

/** Opsets 9-10: the op later renamed ScatterElements, without reductions. */
const scatter = op<ScatterAttrs>({
  name: 'Scatter',
  since: 9,
  parse: (a) => Object.freeze({ axis: a.int('axis', 0), reduction: 'none' as const }),
  infer: sameAs(0),
  run: (inputs, attrs) => runScatterElements(inputs, attrs, 'Scatter'),
});

const scatterND = op<{ readonly reduction: Reduction }>({
  name: 'ScatterND',
  since: 11,
  parse: (a) => Object.freeze({ reduction: parseReduction(a, 'ScatterND') }),
  infer: sameAs(0),
  run: ([data, indices, updates], { reduction }) => {
    const x = required(data, 'ScatterND', 'data');
    const ind = required(indices, 'ScatterND', 'indices');
    const upd = required(updates, 'ScatterND', 'updates');
    const k = ind.rank > 0 ? ind.dims[ind.rank - 1]! : 0;
    const want = [...ind.dims.slice(0, -1), ...x.dims.slice(k)];
    if (!sameDims(upd.dims, want)) {
      throw new ShapeError(
        `ScatterND: updates shape [${upd.dims.join(', ')}] should be [${want.join(', ')}] ` +
          `(indices [${ind.dims.join(', ')}], data [${x.dims.join(', ')}])`,
      );
    }
    const { offsets, block } = ndPlan(x, ind, 0, 'ScatterND');
    return [scatterInto(x, upd, offsets, block, reduction, 'ScatterND')];
  },
});

// ---- OneHot ---------------------------------------------------------------------------------

const oneHot = op<AxisAttrs>({
  name: 'OneHot',
  since: 9,
  parse: (a) => Object.freeze({ axis: a.int('axis', -1) }),
  infer: ([indices, depth, values], { axis }) => {
    const is = shapeOf(indices);
    const d = knownNumbers(depth)?.[0];
    if (!is) return [tensorType(elemOf(values))];
    const a = normAxis(axis, is.length + 1);
    return [tensorType(elemOf(values), [...is.slice(0, a), d === undefined ? null : Math.trunc(d), ...is.slice(a)])];
  },
  run: ([indices, depth, values], { axis }) => {
    const ind = required(indices, 'OneHot', 'indices');
    const dep = required(depth, 'OneHot', 'depth');
    const vals = required(values, 'OneHot', 'values');
    if (dep.size !== 1) throw new ShapeError(`OneHot: depth must hold one value, got shape [${dep.dims.join(', ')}]`);
    if (vals.size !== 2) throw new ShapeError(`OneHot: values must hold [off, on], got shape [${vals.dims.join(', ')}]`);
    if (ind.type === 'string' || ind.type === 'bool' || DATA_TYPES[ind.type].slots !== 1) {
      throw new InvalidNodeError(`OneHot: indices must be numeric, got ${ind.type}`);
    }
    const n = Math.trunc((isFloatType(dep.type) ? floatData(dep) : intValues(dep))[0]!);
    if (!(n >= 1)) throw new InvalidNodeError(`OneHot: depth must be a positive number, got ${n}`);
    const ax = axisOf(axis, ind.rank + 1, 'OneHot');
    const outer = sizeBetween(ind.dims, 0, ax);
    const inner = sizeBetween(ind.dims, ax, ind.rank);
    const idx = new Int32Array(ind.size);
    const src = ind.type === 'float16' || ind.type === 'bfloat16' ? floatData(ind) : ind.data;
    oneHotIndices(src as ArrayLike<number> | BigInt64Array, n, idx);
    const dims = [...ind.dims.slice(0, ax), n, ...ind.dims.slice(ax)];
    const out = new Tensor(vals.type, allocate(vals.type, shapeSize(dims)), dims);
    const v = tensorBits(vals);
    oneHotFill(tensorBits(out).bits, v.bits, v.lanes, idx, outer, n, inner);
    return [out];
  },
});

export const gatherScatterOps: OpDef[] = [
  gather, gatherElements, gatherND, scatterElements, scatter, scatterND, oneHot,
];
