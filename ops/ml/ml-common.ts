// Helpers shared by the ai.onnx.ml op files: feature matrices, post_transform, labels.

import { takeBigIntLabels, takeStringLabels } from '../../kernels/ml-classify.js';
import { PostTransform, POST_TRANSFORM_NAMES } from '../../kernels/ml-post-transform.js';
import { type DataType, isFloatType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { floatData } from '../compute.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import { shapeOf, tensorType } from '../infer-helpers.js';
import type { Attrs, InferInput } from '../op-def.js';

export const ML = 'ai.onnx.ml';

/** Input X ([N, F], or [F] as one row) as numbers: float32/float64 data as is, other types converted. */
export function featureMatrix(opName: string, x: Tensor | undefined): { data: ArrayLike<number>; rows: number; cols: number } {
  if (!x) throw new InvalidNodeError(`${opName}: input X is missing`);
  if (x.type === 'string' || x.type === 'bool' || x.type.startsWith('complex')) {
    throw new InvalidNodeError(`${opName}: input must be numeric, got ${x.type}`);
  }
  const rank = x.dims.length;
  if (rank > 2) throw new ShapeError(`${opName}: input must be [N, F] or [F], got [${x.dims.join(', ')}]`);
  const rows = rank === 2 ? x.dims[0]! : 1;
  const cols = rank === 0 ? 1 : x.dims[rank - 1]!;
  const data = isFloatType(x.type) ? floatData(x) : Float64Array.from(x.toNumbers());
  return { data, rows, cols };
}

/** The output float type matching input X (float64 for double, float32 otherwise). */
export function scoreType(x: Tensor): 'float32' | 'float64' {
  return x.type === 'float64' ? 'float64' : 'float32';
}

export function scoreTensor(type: 'float32' | 'float64', s: Float64Array, dims: readonly number[]): Tensor {
  return new Tensor(type, type === 'float64' ? s : Float32Array.from(s), dims);
}

export function parsePostTransform(opName: string, a: Attrs): PostTransform {
  const name = a.string('post_transform', 'NONE');
  const i = (POST_TRANSFORM_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new InvalidNodeError(`${opName}: unknown post_transform '${name}'`);
  return i as PostTransform;
}

/** A float list given either as `name` (floats) or `name_as_tensor` (a tensor attribute). */
export function floatsOrTensor(a: Attrs, name: string): number[] | undefined {
  const t = a.tensor(`${name}_as_tensor`);
  if (t) return t.toNumbers();
  return a.has(name) ? [...a.floats(name)] : undefined;
}

/** Class labels: classlabels_strings or classlabels_int64s (exactly one). */
export type Labels = { readonly kind: 'string'; readonly values: readonly string[] } | { readonly kind: 'int64'; readonly values: readonly bigint[] };

export function parseLabels(opName: string, a: Attrs): Labels {
  if (a.has('classlabels_strings')) return { kind: 'string', values: a.strings('classlabels_strings') };
  if (a.has('classlabels_int64s')) return { kind: 'int64', values: a.ints('classlabels_int64s').map(BigInt) };
  throw new InvalidNodeError(`${opName}: one of classlabels_strings / classlabels_int64s is required`);
}

/** Label output tensor of shape [n] from per-row class indices (into labels.values). */
export function labelTensor(labels: Labels, classIndex: Int32Array): Tensor {
  const n = classIndex.length;
  if (labels.kind === 'string') {
    const out = new Array<string>(n);
    takeStringLabels(labels.values, classIndex, out);
    return new Tensor('string', out, [n]);
  }
  const out = new BigInt64Array(n);
  takeBigIntLabels(BigInt64Array.from(labels.values), classIndex, out);
  return new Tensor('int64', out, [n]);
}

/** The label output's element type. */
export function labelType(labels: Labels): 'string' | 'int64' {
  return labels.kind;
}

/** Row count N of a feature input X ([N, F], or [F] / scalar as one row); undefined if unknown. */
export function rowsOf(x: InferInput | undefined): Dim | undefined {
  const s = shapeOf(x);
  if (!s || s.length > 2) return undefined;
  return s.length === 2 ? s[0]! : 1;
}

/** Feature count F of a feature input X; null when unknown. */
export function colsOf(x: InferInput | undefined): Dim {
  const s = shapeOf(x);
  if (!s || s.length > 2) return null;
  return s.length === 0 ? 1 : s[s.length - 1]!;
}

/** A classifier's outputs: labels [N] and float32 scores [N, nScores]. */
export function classifierTypes(x: InferInput | undefined, labels: Labels, nScores: Dim): ValueType[] {
  const n = rowsOf(x);
  return [
    tensorType(labelType(labels), n === undefined ? undefined : [n]),
    tensorType('float32', n === undefined ? undefined : [n, nScores]),
  ];
}

/** A regressor's scores [N, nTargets] of `elemType` (undefined: unknown). */
export function scoreTypes(x: InferInput | undefined, nTargets: Dim, elemType: DataType | undefined): ValueType[] {
  const n = rowsOf(x);
  return [tensorType(elemType, n === undefined ? undefined : [n, nTargets])];
}
