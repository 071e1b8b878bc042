// Vector and matrix norms: linalg_vector_norm, linalg_matrix_norm (fro, nuc, ±inf, ±1, ±2),
// linalg_norm, frobenius_norm, nuclear_norm and the overloads of norm, composed from ONNX
// reductions; the spectral and nuclear norms take the singular values of ops/aten/linalg.ts.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { DataType } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { boolArg, dimArg, intList, optDtype, optIntList, scalarArg, tensorArg } from './args.js';
import { aten, shapeTensor } from './define.js';
import { singularValues } from './linalg.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, scalarTensor } from './promote.js';

const T = (v: TsValue, op: string): Tensor => tensorArg(v, op, 'self');

/** The tensor a norm computes over: cast to dtype when given; floating point either way. */
function normInput(x: Tensor, dtype: TsValue, op: string): Tensor {
  const t: DataType | null = optDtype(dtype, op);
  const y = t === null ? x : castTo(x, t);
  if (!isFloating(y.type)) throw new InvalidNodeError(`${op}: expected a floating point input tensor, got ${y.type}`);
  return y;
}

function reduceOver(kind: string, x: Tensor, axes: readonly number[], keep: boolean): Tensor {
  if (x.rank === 0) return x;
  return onnx1(kind, [x, shapeTensor(axes)], { keepdims: keep ? 1 : 0 });
}

/** Dims to reduce: null or [] means all. */
function axesOf(x: Tensor, dims: readonly number[] | null, op: string): number[] {
  if (dims === null || dims.length === 0) return x.dims.map((_, i) => i);
  const axes = dims.map((d) => dimArg(d, x.rank, op));
  if (new Set(axes).size !== axes.length) throw new InvalidNodeError(`${op}: dim [${dims.join(', ')}] repeats a dimension`);
  return axes;
}

/** sum(|x|^ord)^(1/ord) over dims; ord ±inf is max/min |x|, 0 the count of non-zeros. */
export function vectorNorm(x: Tensor, ord: number, dims: readonly number[] | null, keep: boolean, op: string): Tensor {
  const axes = axesOf(x, dims, op);
  const abs = onnx1('Abs', [x]);
  if (ord === Infinity || ord === -Infinity) {
    if (axes.some((a) => x.dims[a] === 0)) throw new ShapeError(`${op}: cannot compute the ${ord} norm over a zero-size dimension`);
    return reduceOver(ord > 0 ? 'ReduceMax' : 'ReduceMin', abs, axes, keep);
  }
  if (ord === 0) return reduceOver('ReduceSum', castTo(onnx1('Not', [onnx1('Equal', [x, scalarTensor(0, x.type)])]), x.type), axes, keep);
  if (ord === 1) return reduceOver('ReduceSum', abs, axes, keep);
  if (ord === 2) return onnx1('Sqrt', [reduceOver('ReduceSum', onnx1('Mul', [x, x]), axes, keep)]);
  const p = scalarTensor(ord, x.type);
  const s = reduceOver('ReduceSum', onnx1('Pow', [abs, p]), axes, keep);
  return onnx1('Pow', [s, scalarTensor(1 / ord, x.type)]);
}

/** A matrix norm over two dims: 'fro', 'nuc', or ±1, ±2, ±inf. */
export function matrixNorm(x: Tensor, ord: number | string, dims: readonly number[], keep: boolean, op: string): Tensor {
  if (dims.length !== 2) throw new InvalidNodeError(`${op}: dim must be a 2-tuple, got [${dims.join(', ')}]`);
  if (x.rank < 2) throw new ShapeError(`${op}: the input tensor must be a matrix or a batch of matrices, got [${x.dims.join(', ')}]`);
  const [d0, d1] = dims.map((d) => dimArg(d, x.rank, op)) as [number, number];
  if (d0 === d1) throw new InvalidNodeError(`${op}: dims must be different, got (${d0}, ${d1})`);
  if (ord === 'fro') return vectorNorm(x, 2, [d0, d1], keep, op);
  const keepBoth = (t: Tensor): Tensor => {
    if (!keep) return t;
    const out = [...x.dims];
    out[d0] = 1;
    out[d1] = 1;
    return t.reshape(out);
  };
  if (ord === 'nuc' || ord === 2 || ord === -2) {
    const s = singularValues(x, d0, d1, op);
    const kind = ord === 'nuc' ? 'ReduceSum' : ord === 2 ? 'ReduceMax' : 'ReduceMin';
    if (kind !== 'ReduceSum' && s.dims[s.rank - 1] === 0) throw new ShapeError(`${op}: the ${ord} norm of an empty matrix is not defined`);
    return keepBoth(reduceOver(kind, s, [s.rank - 1], false));
  }
  if (typeof ord === 'number' && (Math.abs(ord) === 1 || Math.abs(ord) === Infinity)) {
    // 1: the largest column sum of |x| (sum over d0, then max over d1); inf: the largest row sum.
    const [sumDim, maxDim] = Math.abs(ord) === 1 ? [d0, d1] : [d1, d0];
    if (x.dims[maxDim] === 0) throw new ShapeError(`${op}: the ${ord} norm of an empty matrix is not defined`);
    const sums = reduceOver('ReduceSum', onnx1('Abs', [x]), [sumDim], true);
    return keepBoth(reduceOver(ord > 0 ? 'ReduceMax' : 'ReduceMin', sums, [maxDim], true).reshape(
      x.dims.filter((_, i) => i !== d0 && i !== d1)));
  }
  throw new InvalidNodeError(`${op}: Order ${String(ord)} not supported.`);
}

function ordArg(v: TsValue, op: string): number {
  return Number(scalarArg(v, op, 'ord'));
}

/** linalg.norm: a vector norm over one dim (or the flattened tensor), a matrix norm over two. */
function linalgNorm(x: Tensor, ord: number | string | null, dims: readonly number[] | null, keep: boolean, op: string): Tensor {
  if (typeof ord === 'string') return matrixNorm(x, ord, dims ?? [-2, -1], keep, op);
  if (dims !== null && dims.length === 2) return matrixNorm(x, ord ?? 'fro', dims, keep, op);
  if (dims !== null && dims.length !== 1) throw new InvalidNodeError(`${op}: dim must be an int or a 2-tuple, got [${dims.join(', ')}]`);
  if (ord === null) return vectorNorm(x, 2, dims, keep, op);
  if (dims === null && x.rank === 2) return matrixNorm(x, ord, [0, 1], keep, op);
  if (dims === null && x.rank !== 1) throw new InvalidNodeError(`${op}: input must be 1-D or 2-D when dim is None and ord is not None, got [${x.dims.join(', ')}]`);
  return vectorNorm(x, ord, dims, keep, op);
}

/** norm(p): p None is 2 (the Frobenius norm for any number of dims). */
function norm(x: Tensor, p: TsValue, dims: readonly number[] | null, keep: boolean, dtype: TsValue, op: string): Tensor {
  const ord = p === null ? 2 : ordArg(p, op);
  return vectorNorm(normInput(x, dtype, op), ord, dims, keep, op);
}

const VARIANTS = '(Tensor self, Scalar? p, int[1] dim, bool keepdim';

export const normOps: readonly AtenOp[] = [
  aten('linalg_vector_norm', '(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    vectorNorm(normInput(T(a[0]!, 'linalg_vector_norm'), a[4]!, 'aten::linalg_vector_norm'), ordArg(a[1]!, 'linalg_vector_norm'),
      optIntList(a[2]!, 'linalg_vector_norm', 'dim'), boolArg(a[3]!, 'linalg_vector_norm', 'keepdim'), 'aten::linalg_vector_norm')),
  aten('linalg_matrix_norm', '(Tensor self, Scalar ord, int[] dim=[-2, -1], bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    matrixNorm(normInput(T(a[0]!, 'linalg_matrix_norm'), a[4]!, 'aten::linalg_matrix_norm'), ordArg(a[1]!, 'linalg_matrix_norm'),
      intList(a[2]!, 'linalg_matrix_norm', 'dim'), boolArg(a[3]!, 'linalg_matrix_norm', 'keepdim'), 'aten::linalg_matrix_norm')),
  aten('linalg_matrix_norm', '(Tensor self, str ord="fro", int[] dim=[-2, -1], bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    matrixNorm(normInput(T(a[0]!, 'linalg_matrix_norm'), a[4]!, 'aten::linalg_matrix_norm'), a[1] as string,
      intList(a[2]!, 'linalg_matrix_norm', 'dim'), boolArg(a[3]!, 'linalg_matrix_norm', 'keepdim'), 'aten::linalg_matrix_norm')),
  aten('linalg_norm', '(Tensor self, Scalar? ord=None, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    linalgNorm(normInput(T(a[0]!, 'linalg_norm'), a[4]!, 'aten::linalg_norm'), a[1] === null ? null : ordArg(a[1]!, 'linalg_norm'),
      optIntList(a[2]!, 'linalg_norm', 'dim'), boolArg(a[3]!, 'linalg_norm', 'keepdim'), 'aten::linalg_norm')),
  aten('linalg_norm', '(Tensor self, str ord, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    linalgNorm(normInput(T(a[0]!, 'linalg_norm'), a[4]!, 'aten::linalg_norm'), a[1] as string,
      optIntList(a[2]!, 'linalg_norm', 'dim'), boolArg(a[3]!, 'linalg_norm', 'keepdim'), 'aten::linalg_norm')),
  aten('frobenius_norm', '(Tensor self)', (a) => vectorNorm(normInput(T(a[0]!, 'frobenius_norm'), null, 'aten::frobenius_norm'), 2, null, false, 'aten::frobenius_norm')),
  aten('frobenius_norm', '(Tensor self, int[1] dim, bool keepdim=False)', (a) =>
    vectorNorm(normInput(T(a[0]!, 'frobenius_norm'), null, 'aten::frobenius_norm'), 2, intList(a[1]!, 'frobenius_norm', 'dim'),
      boolArg(a[2]!, 'frobenius_norm', 'keepdim'), 'aten::frobenius_norm')),
  aten('nuclear_norm', '(Tensor self, bool keepdim=False)', (a) => {
    const x = normInput(T(a[0]!, 'nuclear_norm'), null, 'aten::nuclear_norm');
    if (x.rank !== 2) throw new ShapeError(`aten::nuclear_norm: expected a 2-D tensor, got [${x.dims.join(', ')}]`);
    return matrixNorm(x, 'nuc', [0, 1], boolArg(a[1]!, 'nuclear_norm', 'keepdim'), 'aten::nuclear_norm');
  }),
  aten('nuclear_norm', '(Tensor self, int[2] dim, bool keepdim=False)', (a) =>
    matrixNorm(normInput(T(a[0]!, 'nuclear_norm'), null, 'aten::nuclear_norm'), 'nuc', intList(a[1]!, 'nuclear_norm', 'dim', 2),
      boolArg(a[2]!, 'nuclear_norm', 'keepdim'), 'aten::nuclear_norm')),
  aten('norm', '(Tensor self, Scalar p=2)', (a) => norm(T(a[0]!, 'norm'), a[1]!, null, false, null, 'aten::norm')),
  aten('norm', '(Tensor self, Scalar? p, *, ScalarType dtype)', (a) => norm(T(a[0]!, 'norm'), a[1]!, null, false, a[2]!, 'aten::norm')),
  aten('norm', `${VARIANTS}=False)`, (a) =>
    norm(T(a[0]!, 'norm'), a[1]!, intList(a[2]!, 'norm', 'dim'), boolArg(a[3]!, 'norm', 'keepdim'), null, 'aten::norm')),
  aten('norm', `${VARIANTS}, *, ScalarType dtype)`, (a) =>
    norm(T(a[0]!, 'norm'), a[1]!, intList(a[2]!, 'norm', 'dim'), boolArg(a[3]!, 'norm', 'keepdim'), a[4]!, 'aten::norm')),
];
