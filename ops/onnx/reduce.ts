// Reduce* (attribute axes before opset 13/18, input axes after) and ArgMax / ArgMin.

import {
  type IntArray, type ReduceKind, argReduceBigInt, argReduceNumber, reduceBigInt, reduceFloat,
  reduceInt, reductionPlan,
} from '../../kernels/reduce.js';
import { normalizeAxis, sizeBetween } from '../../kernels/strides.js';
import { type DataType, allocate, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, reduceShape, shapeOf, tensorType, unknownDims } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { allocFloat, floatData, floatTensor, intValues, requiredInput } from '../compute.js';

interface ReduceAttrs {
  /** From the attribute (attribute form); null in the input form. */
  readonly axes: readonly number[] | null;
  readonly keepdims: boolean;
  readonly noopWithEmptyAxes: boolean;
}

/** Lowest and highest values of the integer types: empty max / min results. */
const INT_LIMITS: Partial<Record<DataType, readonly [number, number]>> = {
  bool: [0, 1], int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};
const BIG_LIMITS: Partial<Record<DataType, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** Which axes a reduction folds; empty `axes` means all unless `noop` (then none). */
function reducedFlags(name: string, rank: number, axes: readonly number[], noop: boolean): boolean[] {
  const flags = new Array<boolean>(rank).fill(axes.length === 0 && !noop);
  for (const a of axes) {
    const d = normalizeAxis(a, rank);
    if (d < 0) throw new InvalidNodeError(`${name}: axis ${a} out of range [${-rank}, ${rank})`);
    if (flags[d]) throw new InvalidNodeError(`${name}: axis ${a} listed twice in [${axes.join(', ')}]`);
    flags[d] = true;
  }
  return flags;
}

function reducedDims(dims: readonly number[], flags: readonly boolean[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let d = 0; d < dims.length; d++) {
    if (!flags[d]) out.push(dims[d]!);
    else if (keepdims) out.push(1);
  }
  return out;
}

function reduce(name: string, kind: ReduceKind, x: Tensor | undefined, axes: readonly number[], a: ReduceAttrs): Tensor {
  if (!x) throw new InvalidNodeError(`${name}: input 'data' is required`);
  const flags = reducedFlags(name, x.dims.length, axes, a.noopWithEmptyAxes);
  const outDims = reducedDims(x.dims, flags, a.keepdims);
  const plan = reductionPlan(x.dims, flags);
  const n = plan.outer.length;
  if (isFloatType(x.type)) {
    const out = allocFloat(x.type, n);
    reduceFloat(kind, floatData(x), out, plan);
    return floatTensor(x.type, out, outDims);
  }
  if (x.type === 'bool' && kind !== 'max' && kind !== 'min') {
    throw new InvalidNodeError(`${name}: bool input is not supported (only ReduceMax / ReduceMin take bool)`);
  }
  const lim = INT_LIMITS[x.type];
  if (lim) {
    const out = allocate(x.type, n) as IntArray;
    reduceInt(kind, x.data as IntArray, out, plan, lim[0], lim[1]);
    return new Tensor(x.type, out, outDims);
  }
  const big = BIG_LIMITS[x.type];
  if (big) {
    const out = allocate(x.type, n) as BigInt64Array | BigUint64Array;
    reduceBigInt(kind, x.data as BigInt64Array | BigUint64Array, out, plan, big[0], big[1]);
    return new Tensor(x.type, out, outDims);
  }
  throw new InvalidNodeError(`${name}: unsupported input type ${x.type}`);
}

/** The axes input of the input form: absent or empty means "no axes given". */
function axesInput(t: Tensor | undefined): readonly number[] {
  if (t === undefined) return [];
  if (t.dims.length > 1) throw new ShapeError(`axes must be 1-D, got dims [${t.dims.join(', ')}]`);
  return intValues(t);
}

function reduceType(x: InferInput | undefined, axes: readonly number[], a: ReduceAttrs): ValueType {
  const shape = shapeOf(x);
  return tensorType(elemOf(x), shape && reduceShape(shape, axes, a.keepdims, a.noopWithEmptyAxes));
}

function reduceOpsFor(name: string, kind: ReduceKind, inputSince: number): OpDef[] {
  const attrForm = op<ReduceAttrs>({
    name,
    since: 1,
    parse: (a: Attrs) => Object.freeze({
      axes: a.ints('axes', []),
      keepdims: a.int('keepdims', 1) !== 0,
      noopWithEmptyAxes: false,
    }),
    infer: (inputs, a) => [reduceType(inputs[0], a.axes!, a)],
    run: (inputs, a) => [reduce(name, kind, inputs[0], a.axes!, a)],
  });
  const inputForm = op<ReduceAttrs>({
    name,
    since: inputSince,
    parse: (a: Attrs) => Object.freeze({
      axes: null,
      keepdims: a.int('keepdims', 1) !== 0,
      noopWithEmptyAxes: a.int('noop_with_empty_axes', 0) !== 0,
    }),
    infer: (inputs, a) => {
      if (inputs[1] && !inputs[1].value) {
        // Unknown axes: the rank is known only with keepdims.
        const shape = shapeOf(inputs[0]);
        return [tensorType(elemOf(inputs[0]), a.keepdims && shape ? unknownDims(shape.length) : undefined)];
      }
      return [reduceType(inputs[0], inputs[1]?.value ? axesInput(inputs[1].value) : [], a)];
    },
    run: (inputs, a) => [reduce(name, kind, inputs[0], axesInput(inputs[1]), a)],
  });
  return [attrForm, inputForm];
}

interface ArgAttrs {
  readonly axis: number;
  readonly keepdims: boolean;
  readonly selectLastIndex: boolean;
}

function argReduce(name: string, isMax: boolean, x: Tensor, a: ArgAttrs): Tensor {
  const rank = x.dims.length;
  const axis = normalizeAxis(a.axis, rank);
  if (axis < 0) throw new InvalidNodeError(`${name}: axis ${a.axis} out of range [${-rank}, ${rank})`);
  const n = x.dims[axis]!;
  const outDims = x.dims.slice();
  if (a.keepdims) outDims[axis] = 1;
  else outDims.splice(axis, 1);
  const outer = sizeBetween(x.dims, 0, axis);
  const inner = sizeBetween(x.dims, axis + 1, rank);
  const out = new BigInt64Array(outer * inner);
  if (out.length > 0 && n === 0) {
    throw new ShapeError(`${name}: cannot reduce over axis ${a.axis} of size 0 (dims [${x.dims.join(', ')}])`);
  }
  if (x.type === 'int64' || x.type === 'uint64') {
    argReduceBigInt(x.data as BigInt64Array | BigUint64Array, out, outer, n, inner, isMax, a.selectLastIndex);
  } else if (isFloatType(x.type)) {
    argReduceNumber(floatData(x), out, outer, n, inner, isMax, a.selectLastIndex);
  } else if (INT_LIMITS[x.type]) {
    argReduceNumber(x.data as IntArray, out, outer, n, inner, isMax, a.selectLastIndex);
  } else {
    throw new InvalidNodeError(`${name}: unsupported input type ${x.type}`);
  }
  return new Tensor('int64', out, outDims);
}

function argOp(name: string, isMax: boolean): OpDef {
  return op<ArgAttrs>({
    name,
    since: 1,
    parse: (a: Attrs) => Object.freeze({
      axis: a.int('axis', 0),
      keepdims: a.int('keepdims', 1) !== 0,
      selectLastIndex: a.int('select_last_index', 0) !== 0,
    }),
    infer: (inputs, a) => {
      const shape = shapeOf(inputs[0]);
      return [tensorType('int64', shape && reduceShape(shape, [a.axis], a.keepdims))];
    },
    run: (inputs, a) => [argReduce(name, isMax, requiredInput(inputs[0], name), a)],
  });
}

export const reduceOps: OpDef[] = [
  ...reduceOpsFor('ReduceSum', 'sum', 13),
  ...reduceOpsFor('ReduceMean', 'mean', 18),
  ...reduceOpsFor('ReduceMax', 'max', 18),
  ...reduceOpsFor('ReduceMin', 'min', 18),
  ...reduceOpsFor('ReduceProd', 'prod', 18),
  ...reduceOpsFor('ReduceL1', 'l1', 18),
  ...reduceOpsFor('ReduceL2', 'l2', 18),
  ...reduceOpsFor('ReduceLogSum', 'logsum', 18),
  ...reduceOpsFor('ReduceLogSumExp', 'logsumexp', 18),
  ...reduceOpsFor('ReduceSumSquare', 'sumsquare', 18),
  argOp('ArgMax', true),
  argOp('ArgMin', false),
];
