// TopK: k from an attribute (opset 1) or an input (opset 10); largest / sorted since opset 11.

import { normalizeAxis, sizeBetween } from '../../kernels/strides.js';
import { topkBigInt, topkNumber } from '../../kernels/topk.js';
import { allocate, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { ValueType } from '../../src/ir/graph.js';
import { elemOf, knownInts, normAxis, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type InferInput, type OpDef, op } from '../op-def.js';
import { allocFloat, floatData, floatTensor, intValues, requiredInput } from '../compute.js';

interface TopKAttrs {
  /** From the attribute (opset 1); null when k is an input. */
  readonly k: number | null;
  readonly axis: number;
  readonly largest: boolean;
  /** Outputs are always sorted; sorted=0 allows any order, so sorted order is conforming. */
  readonly sorted: boolean;
}

const NUMBER_INT_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

type NumberArray = Parameters<typeof topkNumber>[0];

function topk(x: Tensor, k: number, a: TopKAttrs): [Tensor, Tensor] {
  const rank = x.dims.length;
  const axis = normalizeAxis(a.axis, rank);
  if (axis < 0) throw new InvalidNodeError(`TopK: axis ${a.axis} out of range [${-rank}, ${rank})`);
  const n = x.dims[axis]!;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new ShapeError(`TopK: k = ${k} out of range [0, ${n}] for axis ${a.axis} of dims [${x.dims.join(', ')}]`);
  }
  const outer = sizeBetween(x.dims, 0, axis);
  const inner = sizeBetween(x.dims, axis + 1, rank);
  const outDims = x.dims.slice();
  outDims[axis] = k;
  const count = outer * k * inner;
  const indices = new BigInt64Array(count);
  let values: Tensor;
  if (isFloatType(x.type)) {
    const out = allocFloat(x.type, count);
    topkNumber(floatData(x), out, indices, outer, n, inner, k, a.largest);
    values = floatTensor(x.type, out, outDims);
  } else if (NUMBER_INT_TYPES.has(x.type)) {
    const out = allocate(x.type, count) as NumberArray;
    topkNumber(x.data as NumberArray, out, indices, outer, n, inner, k, a.largest);
    values = new Tensor(x.type, out, outDims);
  } else if (x.type === 'int64' || x.type === 'uint64') {
    const out = allocate(x.type, count) as BigInt64Array | BigUint64Array;
    topkBigInt(x.data as BigInt64Array | BigUint64Array, out, indices, outer, n, inner, k, a.largest);
    values = new Tensor(x.type, out, outDims);
  } else {
    throw new InvalidNodeError(`TopK: unsupported input type ${x.type}`);
  }
  return [values, new Tensor('int64', indices, outDims)];
}

function kInput(t: Tensor | undefined): number {
  if (t === undefined) throw new InvalidNodeError('TopK: the K input is required');
  if (t.size !== 1 || t.dims.length > 1) {
    throw new ShapeError(`TopK: K must be a 1-D tensor of one value, got dims [${t.dims.join(', ')}]`);
  }
  return intValues(t)[0]!;
}

function inferTopK(x: InferInput | undefined, k: number | null, a: TopKAttrs): ValueType[] {
  const s = shapeOf(x);
  const dims = s && s.map((d, i) => (i === normAxis(a.axis, s.length) ? k : d));
  return [tensorType(elemOf(x), dims), tensorType('int64', dims)];
}

const parseTopK = (a: Attrs, kFromAttr: boolean): TopKAttrs => Object.freeze({
  k: kFromAttr ? a.int('k') : null,
  axis: a.int('axis', -1),
  largest: a.int('largest', 1) !== 0,
  sorted: a.int('sorted', 1) !== 0,
});

export const topkOps: OpDef[] = [
  op<TopKAttrs>({
    name: 'TopK',
    since: 1,
    parse: (a) => parseTopK(a, true),
    infer: (inputs, a) => inferTopK(inputs[0], a.k, a),
    run: (inputs, a) => topk(requiredInput(inputs[0], 'TopK'), a.k!, a),
  }),
  op<TopKAttrs>({
    name: 'TopK',
    since: 10,
    parse: (a) => parseTopK(a, false),
    infer: (inputs, a) => inferTopK(inputs[0], knownInts(inputs[1])?.[0] ?? null, a),
    run: (inputs, a) => topk(requiredInput(inputs[0], 'TopK'), kInput(inputs[1]), a),
  }),
];
