// Unique: distinct elements (flattened) or distinct slices along an axis, with the index of
// each one's first occurrence, the inverse mapping and the counts (all int64).

import { sizeBetween } from '../../kernels/strides.js';
import {
  bigintRowKeys, type NumberArray, numberRowKeys, stringRowKeys, takeSlices, uniqueRows,
} from '../../kernels/unique.js';
import { isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { floatData, int64Tensor } from '../compute.js';
import { dimProduct, elemOf, normAxis, shapeOf, tensorType } from '../infer-helpers.js';
import { type OpDef, op } from '../op-def.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { checkedAxis, required } from '../op-inputs.js';

interface UniqueAttrs {
  readonly axis: number | null;
  readonly sorted: boolean;
}

function rowKeys(x: Tensor, outer: number, n: number, inner: number): Float64Array {
  if (x.type === 'string') return stringRowKeys(x.data as string[], outer, n, inner);
  if (x.type === 'int64' || x.type === 'uint64') {
    return bigintRowKeys(x.data as BigInt64Array | BigUint64Array, outer, n, inner);
  }
  if (isFloatType(x.type)) return numberRowKeys(floatData(x), outer, n, inner);
  if (x.type.startsWith('complex') || x.type.startsWith('float')) {
    throw new InvalidNodeError(`Unique: unsupported input type ${x.type}`);
  }
  return numberRowKeys(x.data as NumberArray, outer, n, inner);
}

function runUnique(x: Tensor, a: UniqueAttrs): Tensor[] {
  const rank = x.dims.length;
  const axis = a.axis === null ? null : checkedAxis('Unique', a.axis, rank);
  // Slices along `axis` of x viewed as [outer, n, inner]; no axis: every element is a slice.
  const outer = axis === null ? 1 : sizeBetween(x.dims, 0, axis);
  const n = axis === null ? x.size : x.dims[axis]!;
  const inner = axis === null ? 1 : sizeBetween(x.dims, axis + 1, rank);
  const keys = rowKeys(x, outer, n, inner);
  const res = uniqueRows(keys, n, keys.length / Math.max(n, 1), a.sorted);
  const outDims = axis === null ? [res.count] : x.dims.map((d, i) => (i === axis ? res.count : d));
  const { words, width } = tensorWords(x);
  const y = outputWords(x.type, outDims);
  takeSlices(words, y.words, outer, n, inner * width, res.first);
  return [
    y.tensor,
    int64Tensor(Array.from(res.first)),
    int64Tensor(Array.from(res.inverse)),
    int64Tensor(Array.from(res.counts)),
  ];
}

export const uniqueOps: OpDef[] = [
  op<UniqueAttrs>({
    name: 'Unique',
    since: 11,
    parse: (a) => Object.freeze({ axis: a.has('axis') ? a.int('axis') : null, sorted: a.int('sorted', 1) !== 0 }),
    // The number of unique values depends on the data: one fresh symbolic dim for all outputs.
    infer: ([x], a, ctx) => {
      const s = shapeOf(x);
      const count = ctx.dataDim('count');
      const y = a.axis === null ? [count] : s?.map((d, i) => (i === normAxis(a.axis!, s.length) ? count : d));
      const n = a.axis === null ? dimProduct(s ?? [null]) : (s?.[normAxis(a.axis, s.length)] ?? null);
      return [tensorType(elemOf(x), y), tensorType('int64', [count]), tensorType('int64', [n]), tensorType('int64', [count])];
    },
    run: (inputs, a) => runUnique(required('Unique', inputs[0], 'X'), a),
  }),
];
