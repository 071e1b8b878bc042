// Reductions (sum, mean, prod, max/min, amax/amin, argmax/argmin, std/var, all/any),
// scans (cumsum/cumprod, diff) and ordering (topk, sort, argsort), composed from ONNX ops.
// Integer and bool sums and products accumulate in int64, as PyTorch does.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { TsTuple, type AtenOp, type TsValue } from './aten-op.js';
import { boolArg, dimArg, intArg, isIntegral, optDtype, optIntList, optTensor, tensorArg } from './args.js';
import { aten, shapeTensor } from './define.js';
import { onnx1, runOnnx } from './onnx-bridge.js';
import { castTo, isFloating, promoteTypes, scalarTensor } from './promote.js';
import { toBool } from './elementwise.js';

const T = (v: TsValue, op: string): Tensor => tensorArg(v, op, 'self');
const I = (v: TsValue, op: string, name: string): number => intArg(v, op, name);
const B = (v: TsValue, op: string, name: string): boolean => boolArg(v, op, name);

/** Dims to reduce: null or [] means all. */
function axesOf(x: Tensor, dims: readonly number[] | null, op: string): number[] {
  if (dims === null || dims.length === 0) return x.dims.map((_, i) => i);
  return dims.map((d) => dimArg(d, x.rank, op));
}

function reduce(kind: string, x: Tensor, dims: readonly number[] | null, keep: boolean, op: string): Tensor {
  if (x.rank === 0) return x;
  return onnx1(kind, [x, shapeTensor(axesOf(x, dims, op))], { keepdims: keep ? 1 : 0 });
}

/** any/all over a list of dims (torch 2.x's .dims overloads): None reduces every dim, [] none. */
function truthOver(kind: 'any' | 'all', a: readonly TsValue[]): Tensor {
  const op = `aten::${kind}`;
  const x = toBool(T(a[0]!, kind));
  const dims = optIntList(a[1]!, op, 'dim');
  if (dims !== null && dims.length === 0) return x === a[0] ? new Tensor('bool', (x.data as Uint8Array).slice(), x.dims) : x;
  return castTo(reduce(kind === 'any' ? 'ReduceMax' : 'ReduceMin', castTo(x, 'uint8'), dims, B(a[2]!, kind, 'keepdim'), op), 'bool');
}

function sumLike(kind: 'ReduceSum' | 'ReduceProd', x: Tensor, dims: readonly number[] | null, keep: boolean, dtype: TsValue, op: string): Tensor {
  const t = optDtype(dtype, op) ?? (isIntegral(x.type) || x.type === 'bool' ? 'int64' : x.type);
  const r = reduce(kind, castTo(x, t), dims, keep, op);
  return r === x ? new Tensor(x.type, (x.data as Float32Array).slice(), x.dims) : r;
}

function mean(x: Tensor, dims: readonly number[] | null, keep: boolean, dtype: TsValue, op: string): Tensor {
  const t = optDtype(dtype, op) ?? x.type;
  if (!isFloating(t)) throw new InvalidNodeError(`${op}: mean could not infer the output dtype; input dtype ${x.type} must be floating point`);
  return reduce('ReduceMean', castTo(x, t), dims, keep, op);
}

/** Variance over dims with Bessel's correction `correction` (1 = unbiased). */
function variance(x: Tensor, dims: readonly number[] | null, correction: number, keep: boolean, op: string): Tensor {
  const xf = isFloating(x.type) ? x : castTo(x, 'float32');
  const axes = axesOf(xf, dims, op);
  const axesT = shapeTensor(axes);
  const m = onnx1('ReduceMean', [xf, axesT], { keepdims: 1 });
  const d = onnx1('Sub', [xf, m]);
  const ss = onnx1('ReduceSum', [onnx1('Mul', [d, d]), axesT], { keepdims: keep ? 1 : 0 });
  const n = axes.reduce((p, a) => p * xf.dims[a]!, 1);
  return onnx1('Div', [ss, scalarTensor(Math.max(n - correction, 0), xf.type)]);
}

function maxMinDim(isMax: boolean, x: Tensor, dim: number, keep: boolean, op: string): TsTuple {
  const d = dimArg(dim, x.rank, op);
  if (x.rank > 0 && x.dims[d] === 0) throw new ShapeError(`${op}: cannot reduce over a zero-size dimension`);
  const idx = argMaxMin(isMax, x, d, keep, op);
  const values = x.rank === 0 ? x : onnx1('GatherElements', [x, keep ? idx : unsqueezeAt(idx, d)], { axis: d });
  return new TsTuple([keep || x.rank === 0 ? values : squeezeAt(values, d), idx]);
}

function unsqueezeAt(t: Tensor, d: number): Tensor {
  const dims = [...t.dims];
  dims.splice(d, 0, 1);
  return t.reshape(dims);
}
function squeezeAt(t: Tensor, d: number): Tensor {
  return t.reshape(t.dims.filter((_, i) => i !== d));
}

/** argmax/argmin along d (first occurrence; NaN counts as the extreme, as in PyTorch). */
function argMaxMin(isMax: boolean, x: Tensor, d: number | null, keep: boolean, op: string): Tensor {
  if (d === null) {
    const flat = x.reshape([x.size]);
    const r = argMaxMin(isMax, flat, 0, false, op);
    return keep ? r.reshape(x.dims.map(() => 1)) : r;
  }
  if (x.rank === 0) return new Tensor('int64', BigInt64Array.of(0n), []);
  const xin = x.type === 'bool' ? castTo(x, 'uint8') : x;
  let r = onnx1(isMax ? 'ArgMax' : 'ArgMin', [xin], { axis: d, keepdims: keep ? 1 : 0 });
  if (isFloating(x.type)) {
    // NaN wins: where a NaN exists along d, take the first NaN's index.
    const nan = onnx1('IsNaN', [xin]);
    const anyNan = onnx1('ReduceMax', [castTo(nan, 'uint8'), shapeTensor([d])], { keepdims: keep ? 1 : 0 });
    const firstNan = onnx1('ArgMax', [castTo(nan, 'uint8')], { axis: d, keepdims: keep ? 1 : 0 });
    r = onnx1('Where', [castTo(anyNan, 'bool'), firstNan, r]);
  }
  return r;
}

function maxMinAll(isMax: boolean, x: Tensor, op: string): Tensor {
  if (x.size === 0) throw new ShapeError(`${op}: operation does not have an identity, so cannot reduce an empty tensor`);
  const flat = x.reshape([x.size]);
  const i = argMaxMin(isMax, flat, 0, false, op);
  return onnx1('Gather', [flat, i], { axis: 0 });
}

function amaxmin(isMax: boolean, x: Tensor, dims: readonly number[] | null, keep: boolean, op: string): Tensor {
  let r = x;
  const axes = axesOf(x, dims, op).sort((a, b) => b - a);
  if (!keep) {
    for (const a of axes) r = (maxMinDim(isMax, r, a, false, op).items[0] as Tensor);
    return r;
  }
  for (const a of axes) r = (maxMinDim(isMax, r, a, true, op).items[0] as Tensor);
  return r;
}

function topk(x: Tensor, k: number, dim: number, largest: boolean, op: string): TsTuple {
  const d = dimArg(dim, x.rank, op);
  if (x.rank === 0) return new TsTuple([x, new Tensor('int64', BigInt64Array.of(0n), [])]);
  if (k < 0 || k > x.dims[d]!) throw new InvalidNodeError(`${op}: k (${k}) out of range for dimension of size ${x.dims[d]}`);
  const [v, i] = runOnnx('TopK', [x, new Tensor('int64', BigInt64Array.of(BigInt(k)), [1])], { axis: d, largest: largest ? 1 : 0, sorted: 1 }, 2);
  return new TsTuple([v!, i!]);
}

function sort(x: Tensor, dim: number, descending: boolean, op: string): TsTuple {
  const d = dimArg(dim, x.rank, op);
  return topk(x, x.rank === 0 ? 1 : x.dims[d]!, d, descending, op);
}

function scan(kind: 'CumSum' | 'CumProd', x: Tensor, dim: number, dtype: TsValue, op: string): Tensor {
  const t = optDtype(dtype, op) ?? (isIntegral(x.type) || x.type === 'bool' ? 'int64' : x.type);
  const xin = castTo(x, t);
  if (x.rank === 0) return xin;
  const d = dimArg(dim, x.rank, op);
  return onnx1(kind, [xin, new Tensor('int64', BigInt64Array.of(BigInt(d)), [])]);
}

/** The n-th forward difference along dim, after concatenating prepend and append there
 * (logical xor for bool, as PyTorch); n at or past the length gives an empty dim. */
function diff(x: Tensor, n: number, dim: number, prepend: Tensor | null, append: Tensor | null, op: string): Tensor {
  if (x.rank === 0) throw new InvalidNodeError(`${op}: diff expects input to be at least one-dimensional`);
  if (n < 0) throw new InvalidNodeError(`${op}: order must be non-negative but got ${n}`);
  const d = dimArg(dim, x.rank, op);
  const parts = [prepend, x, append].filter((t): t is Tensor => t !== null);
  for (const t of parts) {
    if (t.rank !== x.rank) throw new ShapeError(`${op}: prepend and append must have as many dims as input (${x.rank}), got ${t.rank}`);
  }
  const type = parts.reduce((acc, t) => promoteTypes(acc, t.type), x.type);
  let y = parts.length === 1 ? x : onnx1('Concat', parts.map((t) => castTo(t, type)), { axis: d });
  const slice = (t: Tensor, from: number, to: number) => onnx1('Slice', [t, shapeTensor([from]), shapeTensor([to]), shapeTensor([d])]);
  for (let i = 0; i < n && y.dims[d]! > 0; i++) {
    const len = y.dims[d]!;
    y = onnx1(type === 'bool' ? 'Xor' : 'Sub', [slice(y, 1, len), slice(y, 0, len - 1)]);
  }
  return y;
}

const dimsArg = (v: TsValue, op: string) => optIntList(v, op, 'dim');

export const reduceOps: readonly AtenOp[] = [
  aten('sum', '(Tensor self, *, ScalarType? dtype=None)', (a) => sumLike('ReduceSum', T(a[0]!, 'sum'), null, false, a[1]!, 'aten::sum')),
  aten('sum', '(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    sumLike('ReduceSum', T(a[0]!, 'sum'), dimsArg(a[1]!, 'sum'), B(a[2]!, 'sum', 'keepdim'), a[3]!, 'aten::sum')),
  aten('prod', '(Tensor self, *, ScalarType? dtype=None)', (a) => sumLike('ReduceProd', T(a[0]!, 'prod'), null, false, a[1]!, 'aten::prod')),
  aten('prod', '(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    sumLike('ReduceProd', T(a[0]!, 'prod'), [I(a[1]!, 'prod', 'dim')], B(a[2]!, 'prod', 'keepdim'), a[3]!, 'aten::prod')),
  aten('mean', '(Tensor self, *, ScalarType? dtype=None)', (a) => mean(T(a[0]!, 'mean'), null, false, a[1]!, 'aten::mean')),
  aten('mean', '(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)', (a) =>
    mean(T(a[0]!, 'mean'), dimsArg(a[1]!, 'mean'), B(a[2]!, 'mean', 'keepdim'), a[3]!, 'aten::mean')),
  aten('max', '(Tensor self)', (a) => maxMinAll(true, T(a[0]!, 'max'), 'aten::max')),
  aten('min', '(Tensor self)', (a) => maxMinAll(false, T(a[0]!, 'min'), 'aten::min')),
  aten('max', '(Tensor self, int dim, bool keepdim=False)', (a) => maxMinDim(true, T(a[0]!, 'max'), I(a[1]!, 'max', 'dim'), B(a[2]!, 'max', 'keepdim'), 'aten::max')),
  aten('min', '(Tensor self, int dim, bool keepdim=False)', (a) => maxMinDim(false, T(a[0]!, 'min'), I(a[1]!, 'min', 'dim'), B(a[2]!, 'min', 'keepdim'), 'aten::min')),
  aten('amax', '(Tensor self, int[1] dim=[], bool keepdim=False)', (a) => amaxmin(true, T(a[0]!, 'amax'), dimsArg(a[1]!, 'amax'), B(a[2]!, 'amax', 'keepdim'), 'aten::amax')),
  aten('amin', '(Tensor self, int[1] dim=[], bool keepdim=False)', (a) => amaxmin(false, T(a[0]!, 'amin'), dimsArg(a[1]!, 'amin'), B(a[2]!, 'amin', 'keepdim'), 'aten::amin')),
  aten('argmax', '(Tensor self, int? dim=None, bool keepdim=False)', (a) => {
    const x = T(a[0]!, 'argmax');
    return argMaxMin(true, x, a[1] === null ? null : dimArg(I(a[1]!, 'argmax', 'dim'), x.rank, 'aten::argmax'), B(a[2]!, 'argmax', 'keepdim'), 'aten::argmax');
  }),
  aten('argmin', '(Tensor self, int? dim=None, bool keepdim=False)', (a) => {
    const x = T(a[0]!, 'argmin');
    return argMaxMin(false, x, a[1] === null ? null : dimArg(I(a[1]!, 'argmin', 'dim'), x.rank, 'aten::argmin'), B(a[2]!, 'argmin', 'keepdim'), 'aten::argmin');
  }),
  aten('var', '(Tensor self, bool unbiased=True)', (a) => variance(T(a[0]!, 'var'), null, B(a[1]!, 'var', 'unbiased') ? 1 : 0, false, 'aten::var')),
  aten('var', '(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False)', (a) =>
    variance(T(a[0]!, 'var'), dimsArg(a[1]!, 'var'), B(a[2]!, 'var', 'unbiased') ? 1 : 0, B(a[3]!, 'var', 'keepdim'), 'aten::var')),
  aten('std', '(Tensor self, bool unbiased=True)', (a) => onnx1('Sqrt', [variance(T(a[0]!, 'std'), null, B(a[1]!, 'std', 'unbiased') ? 1 : 0, false, 'aten::std')])),
  aten('std', '(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False)', (a) =>
    onnx1('Sqrt', [variance(T(a[0]!, 'std'), dimsArg(a[1]!, 'std'), B(a[2]!, 'std', 'unbiased') ? 1 : 0, B(a[3]!, 'std', 'keepdim'), 'aten::std')])),
  aten('all', '(Tensor self)', (a) => castTo(reduce('ReduceMin', castTo(toBool(T(a[0]!, 'all')), 'uint8'), null, false, 'aten::all'), 'bool')),
  aten('any', '(Tensor self)', (a) => castTo(reduce('ReduceMax', castTo(toBool(T(a[0]!, 'any')), 'uint8'), null, false, 'aten::any'), 'bool')),
  aten('all', '(Tensor self, int dim, bool keepdim=False)', (a) =>
    castTo(reduce('ReduceMin', castTo(toBool(T(a[0]!, 'all')), 'uint8'), [I(a[1]!, 'all', 'dim')], B(a[2]!, 'all', 'keepdim'), 'aten::all'), 'bool')),
  aten('any', '(Tensor self, int dim, bool keepdim=False)', (a) =>
    castTo(reduce('ReduceMax', castTo(toBool(T(a[0]!, 'any')), 'uint8'), [I(a[1]!, 'any', 'dim')], B(a[2]!, 'any', 'keepdim'), 'aten::any'), 'bool')),
  aten('all', '(Tensor self, int[]? dim=None, bool keepdim=False)', (a) => truthOver('all', a)),
  aten('any', '(Tensor self, int[]? dim=None, bool keepdim=False)', (a) => truthOver('any', a)),
  aten('diff', '(Tensor self, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None)', (a) =>
    diff(T(a[0]!, 'diff'), I(a[1]!, 'diff', 'n'), I(a[2]!, 'diff', 'dim'), optTensor(a[3]!, 'aten::diff', 'prepend'), optTensor(a[4]!, 'aten::diff', 'append'), 'aten::diff')),
  aten('cumsum', '(Tensor self, int dim, *, ScalarType? dtype=None)', (a) => scan('CumSum', T(a[0]!, 'cumsum'), I(a[1]!, 'cumsum', 'dim'), a[2]!, 'aten::cumsum')),
  aten('cumprod', '(Tensor self, int dim, *, ScalarType? dtype=None)', (a) => scan('CumProd', T(a[0]!, 'cumprod'), I(a[1]!, 'cumprod', 'dim'), a[2]!, 'aten::cumprod')),
  aten('topk', '(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True)', (a) =>
    topk(T(a[0]!, 'topk'), I(a[1]!, 'topk', 'k'), I(a[2]!, 'topk', 'dim'), B(a[3]!, 'topk', 'largest'), 'aten::topk')),
  aten('sort', '(Tensor self, int dim=-1, bool descending=False)', (a) =>
    sort(T(a[0]!, 'sort'), I(a[1]!, 'sort', 'dim'), B(a[2]!, 'sort', 'descending'), 'aten::sort')),
  aten('sort', '(Tensor self, *, bool? stable, int dim=-1, bool descending=False)', (a) =>
    sort(T(a[0]!, 'sort'), I(a[2]!, 'sort', 'dim'), B(a[3]!, 'sort', 'descending'), 'aten::sort')),
  aten('argsort', '(Tensor self, int dim=-1, bool descending=False)', (a) =>
    sort(T(a[0]!, 'argsort'), I(a[1]!, 'argsort', 'dim'), B(a[2]!, 'argsort', 'descending'), 'aten::argsort').items[1]!),
];
