// Advanced indexing (index / index_put with long and bool tensors), index_select, gather,
// scatter, masked_select, nonzero and tensor-to-scalar conversions.
//
// index/index_put linearise the indexed dims: self is permuted to [indexed..., rest...],
// the broadcast index tensors become one flat index into the product of the indexed dims,
// and a Gather / ScatterND over axis 0 does the work. When the indexed dims are adjacent
// the result dims sit where the first indexed dim was (PyTorch's rule), else in front.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { broadcastShapes } from '../../kernels/broadcast.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { boolArg, dimArg, intArg, scalarArg, strArg, tensorArg, tensorItem } from './args.js';
import { aten, shapeTensor, withInPlace } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, scalarTensor } from './promote.js';
import { permute } from './shape.js';
import { div } from './elementwise.js';

const T = (v: TsValue, op: string, name = 'self'): Tensor => tensorArg(v, op, name);

interface IndexPlan {
  /** self permuted to [indexed dims..., other dims...] and flattened to [prod(indexed), ...others]. */
  readonly flat: Tensor;
  /** Flat int64 index of broadcast shape `bshape`. */
  readonly index: Tensor;
  readonly bshape: number[];
  readonly perm: number[];
  readonly others: number[];
  /** Where the broadcast dims go in the result (0 when not adjacent). */
  readonly at: number;
}

function nonzeroColumns(mask: Tensor): Tensor[] {
  const nz = onnx1('NonZero', [mask]); // [rank, count]
  const cols: Tensor[] = [];
  for (let i = 0; i < mask.rank; i++) {
    cols.push(onnx1('Gather', [nz, new Tensor('int64', BigInt64Array.of(BigInt(i)), [])], { axis: 0 }));
  }
  return cols;
}

function plan(self: Tensor, indices: readonly TsValue[], op: string): IndexPlan {
  const perDim: (Tensor | null)[] = [];
  for (const v of indices) {
    if (v === null) { perDim.push(null); continue; }
    const t = tensorArg(v, op, 'indices');
    if (t.type === 'bool' || t.type === 'uint8') {
      const start = perDim.length;
      for (let i = 0; i < t.rank; i++) {
        if (t.dims[i] !== self.dims[start + i]) {
          throw new ShapeError(`${op}: the shape of the mask [${t.dims.join(', ')}] does not match the shape of the indexed tensor [${self.dims.join(', ')}] at dim ${start + i}`);
        }
      }
      perDim.push(...nonzeroColumns(castTo(t, 'bool')));
    } else {
      if (t.type !== 'int64' && t.type !== 'int32') throw new InvalidNodeError(`${op}: tensors used as indices must be long, int, byte or bool tensors, got ${t.type}`);
      perDim.push(castTo(t, 'int64'));
    }
  }
  if (perDim.length > self.rank) throw new InvalidNodeError(`${op}: too many indices for tensor of dimension ${self.rank} (got ${perDim.length})`);
  const used = perDim.map((t, i) => (t === null ? -1 : i)).filter((i) => i >= 0);
  if (used.length === 0) throw new InvalidNodeError(`${op}: at least one index tensor is required`);
  const bshape = broadcastShapes(...used.map((i) => perDim[i]!.dims));
  if (bshape === null) throw new ShapeError(`${op}: shape mismatch: indexing tensors could not be broadcast together`);
  const others = self.dims.map((_, i) => i).filter((i) => !used.includes(i));
  const perm = [...used, ...others];
  const adjacent = used.every((d, k) => k === 0 || d === used[k - 1]! + 1);
  let flatIdx: Tensor | null = null;
  let stride = 1;
  for (let k = used.length - 1; k >= 0; k--) {
    const d = used[k]!;
    const n = self.dims[d]!;
    let idx = perDim[d]!;
    const neg = onnx1('Less', [idx, scalarTensor(0n, 'int64')]);
    idx = onnx1('Where', [neg, onnx1('Add', [idx, scalarTensor(BigInt(n), 'int64')]), idx]);
    const term = stride === 1 ? idx : onnx1('Mul', [idx, scalarTensor(BigInt(stride), 'int64')]);
    flatIdx = flatIdx === null ? term : onnx1('Add', [flatIdx, term]);
    stride *= n;
  }
  const index = onnx1('Expand', [flatIdx!, shapeTensor(bshape)]);
  const p = permute(self, perm, op);
  const flat = p.reshape([stride, ...others.map((d) => self.dims[d]!)]);
  return { flat, index, bshape, perm, others, at: adjacent ? used[0]! : 0 };
}

/** Moves the broadcast dims of a [bshape..., others...] tensor to position `at`. */
function placeResult(t: Tensor, nb: number, at: number): Tensor {
  if (at === 0) return t;
  const rank = t.rank;
  const perm: number[] = [];
  for (let i = 0; i < at; i++) perm.push(nb + i);
  for (let i = 0; i < nb; i++) perm.push(i);
  for (let i = nb + at; i < rank; i++) perm.push(i);
  return onnx1('Transpose', [t], { perm });
}

export function index(self: Tensor, indices: readonly TsValue[], op: string): Tensor {
  const p = plan(self, indices, op);
  const g = onnx1('Gather', [p.flat, p.index], { axis: 0 });
  return placeResult(g, p.bshape.length, p.at);
}

export function indexPut(self: Tensor, indices: readonly TsValue[], values: Tensor, accumulate: boolean, op: string): Tensor {
  const p = plan(self, indices, op);
  const nb = p.bshape.length;
  const otherDims = p.others.map((d) => self.dims[d]!);
  // values broadcast to the shape self[indices] has, then laid out as [bshape..., others...].
  const resultDims = [...otherDims.slice(0, p.at), ...p.bshape, ...otherDims.slice(p.at)];
  let v = onnx1('Expand', [castTo(values, self.type), shapeTensor(resultDims)]);
  if (p.at > 0) {
    const perm: number[] = [];
    for (let i = 0; i < nb; i++) perm.push(p.at + i);
    for (let i = 0; i < p.at; i++) perm.push(i);
    for (let i = p.at + nb; i < resultDims.length; i++) perm.push(i);
    v = onnx1('Transpose', [v], { perm });
  }
  const idx = p.index.reshape([...p.bshape, 1]);
  const updated = onnx1('ScatterND', [p.flat, idx, v], accumulate ? { reduction: 'add' } : {});
  // Undo the flattening and the permutation.
  const permuted = updated.reshape(p.perm.map((d) => self.dims[d]!));
  const inverse = new Array<number>(p.perm.length);
  p.perm.forEach((d, i) => { inverse[d] = i; });
  return permute(permuted, inverse, op);
}

function gather(self: Tensor, dim: number, idx: Tensor, op: string): Tensor {
  const d = dimArg(dim, self.rank, op);
  return onnx1('GatherElements', [self, castTo(idx, 'int64')], { axis: d });
}

function scatter(self: Tensor, dim: number, idx: Tensor, src: Tensor | number | bigint | boolean, reduce: string | null, op: string): Tensor {
  const d = dimArg(dim, self.rank, op);
  let updates: Tensor;
  if (src instanceof Tensor) {
    updates = castTo(src, self.type);
    if (updates.dims.some((n, i) => n !== idx.dims[i])) {
      const i64 = (v: number[]) => shapeTensor(v);
      updates = onnx1('Slice', [updates, i64(idx.dims.map(() => 0)), i64([...idx.dims]), i64(idx.dims.map((_, i) => i))]);
    }
  } else updates = onnx1('Expand', [scalarTensor(src, self.type), shapeTensor(idx.dims)]);
  const reduction = reduce === null ? 'none' : reduce === 'add' || reduce === 'sum' ? 'add' : reduce === 'multiply' || reduce === 'prod' ? 'mul' : reduce;
  if (!['none', 'add', 'mul', 'amax', 'amin'].includes(reduction)) throw new InvalidNodeError(`${op}: unsupported reduce '${reduce}'`);
  const onnxReduction = reduction === 'amax' ? 'max' : reduction === 'amin' ? 'min' : reduction;
  return onnx1('ScatterElements', [self, castTo(idx, 'int64'), updates], { axis: d, reduction: onnxReduction });
}

const SCATTER_REDUCTIONS = new Map([['sum', 'add'], ['prod', 'mul'], ['mean', 'add'], ['amax', 'max'], ['amin', 'min']]);

/**
 * scatter_reduce: self with src reduced into the positions index names. Without include_self,
 * those positions start from the reduction's identity (amax/amin: from one of their own values).
 * mean divides by the count of values reduced into each position (floor division for integers).
 */
function scatterReduce(self: Tensor, dim: number, idx: Tensor, src: Tensor, reduce: string, includeSelf: boolean, op: string): Tensor {
  const reduction = SCATTER_REDUCTIONS.get(reduce);
  if (reduction === undefined) throw new InvalidNodeError(`${op}: reduce argument must be either sum, prod, mean, amax or amin, got ${reduce}`);
  const d = dimArg(dim, self.rank, op);
  const i = castTo(idx, 'int64');
  let updates = castTo(src, self.type);
  if (updates.dims.some((n, k) => n !== idx.dims[k])) {
    updates = onnx1('Slice', [updates, shapeTensor(idx.dims.map(() => 0)), shapeTensor([...idx.dims]), shapeTensor(idx.dims.map((_, k) => k))]);
  }
  const filled = (v: number) => onnx1('Expand', [scalarTensor(v, self.type), shapeTensor(idx.dims)]);
  const put = (base: Tensor, values: Tensor, how: string) => onnx1('ScatterElements', [base, i, values], { axis: d, reduction: how });
  const start = includeSelf ? self : put(self, reduction === 'mul' ? filled(1) : reduction === 'add' ? filled(0) : updates, 'none');
  const out = put(start, updates, reduction);
  if (reduce !== 'mean') return out;
  const ones = onnx1('Expand', [scalarTensor(1, self.type), shapeTensor(self.dims)]);
  const count = put(includeSelf ? ones : put(ones, filled(0), 'none'), filled(1), 'add');
  return isFloating(self.type) ? onnx1('Div', [out, count]) : div(out, count, 'floor', op);
}

function nonzero(x: Tensor): Tensor {
  return onnx1('Transpose', [onnx1('NonZero', [x])], { perm: [1, 0] });
}

function scalarOut(t: Tensor, kind: 'int' | 'float' | 'bool' | 'any', op: string): TsValue {
  if (t.size !== 1) throw new InvalidNodeError(`${op}: a Tensor with ${t.size} elements cannot be converted to a scalar`);
  const v = tensorItem(t);
  if (kind === 'int') return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  if (kind === 'float') return Number(v);
  if (kind === 'bool') return typeof v === 'boolean' ? v : Number(v) !== 0;
  return v;
}

const indexSchemas = ['Tensor?[] indices', 'Tensor[] indices'];

export const indexingOps: readonly AtenOp[] = [
  ...indexSchemas.map((s) => aten('index', `(Tensor self, ${s})`, (a) => index(T(a[0]!, 'index'), a[1] as TsValue[], 'aten::index'))),
  ...withInPlace(indexSchemas.map((s) => aten('index_put', `(Tensor self, ${s}, Tensor values, bool accumulate=False)`, (a) =>
    indexPut(T(a[0]!, 'index_put'), a[1] as TsValue[], T(a[2]!, 'index_put', 'values'), boolArg(a[3]!, 'index_put', 'accumulate'), 'aten::index_put')))),
  aten('index_select', '(Tensor self, int dim, Tensor index)', (a) => {
    const x = T(a[0]!, 'index_select');
    const i = T(a[2]!, 'index_select', 'index');
    return onnx1('Gather', [x, i.rank === 0 ? i.reshape([1]) : i], { axis: dimArg(intArg(a[1]!, 'index_select', 'dim'), x.rank, 'aten::index_select') });
  }),
  aten('gather', '(Tensor self, int dim, Tensor index, *, bool sparse_grad=False)', (a) =>
    gather(T(a[0]!, 'gather'), intArg(a[1]!, 'gather', 'dim'), T(a[2]!, 'gather', 'index'), 'aten::gather')),
  ...withInPlace([
    aten('scatter', '(Tensor self, int dim, Tensor index, Tensor src)', (a) =>
      scatter(T(a[0]!, 'scatter'), intArg(a[1]!, 'scatter', 'dim'), T(a[2]!, 'scatter', 'index'), T(a[3]!, 'scatter', 'src'), null, 'aten::scatter')),
    aten('scatter', '(Tensor self, int dim, Tensor index, Scalar value)', (a) =>
      scatter(T(a[0]!, 'scatter'), intArg(a[1]!, 'scatter', 'dim'), T(a[2]!, 'scatter', 'index'), scalarArg(a[3]!, 'scatter', 'value'), null, 'aten::scatter')),
    aten('scatter', '(Tensor self, int dim, Tensor index, Tensor src, *, str reduce)', (a) =>
      scatter(T(a[0]!, 'scatter'), intArg(a[1]!, 'scatter', 'dim'), T(a[2]!, 'scatter', 'index'), T(a[3]!, 'scatter', 'src'), strArg(a[4]!, 'scatter', 'reduce'), 'aten::scatter')),
    aten('scatter_reduce', '(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True)', (a) =>
      scatterReduce(T(a[0]!, 'scatter_reduce'), intArg(a[1]!, 'scatter_reduce', 'dim'), T(a[2]!, 'scatter_reduce', 'index'), T(a[3]!, 'scatter_reduce', 'src'),
        strArg(a[4]!, 'scatter_reduce', 'reduce'), boolArg(a[5]!, 'scatter_reduce', 'include_self'), 'aten::scatter_reduce')),
    aten('scatter_add', '(Tensor self, int dim, Tensor index, Tensor src)', (a) =>
      scatter(T(a[0]!, 'scatter_add'), intArg(a[1]!, 'scatter_add', 'dim'), T(a[2]!, 'scatter_add', 'index'), T(a[3]!, 'scatter_add', 'src'), 'add', 'aten::scatter_add')),
  ]),
  aten('masked_select', '(Tensor self, Tensor mask)', (a) => {
    const x = T(a[0]!, 'masked_select');
    const m = T(a[1]!, 'masked_select', 'mask');
    const dims = broadcastShapes(x.dims, m.dims);
    if (dims === null) throw new ShapeError(`aten::masked_select: mask [${m.dims.join(', ')}] does not broadcast with [${x.dims.join(', ')}]`);
    const xe = onnx1('Expand', [x, shapeTensor(dims)]);
    const me = onnx1('Expand', [castTo(m, 'bool'), shapeTensor(dims)]);
    const n = xe.size;
    return onnx1('Compress', [xe.reshape([n]), me.reshape([n])], { axis: 0 });
  }),
  aten('nonzero', '(Tensor self)', (a) => nonzero(T(a[0]!, 'nonzero'))),
  aten('where', '(Tensor condition)', (a) => {
    const c = T(a[0]!, 'where', 'condition');
    return c.rank === 0 ? [nonzero(c.reshape([1])).reshape([nonzero(c.reshape([1])).dims[0]!])] : nonzeroColumns(c);
  }),
  aten('is_floating_point', '(Tensor self)', (a) => isFloating(T(a[0]!, 'is_floating_point').type)),
  aten('is_complex', '(Tensor self)', (a) => T(a[0]!, 'is_complex').type.startsWith('complex')),
  aten('is_nonzero', '(Tensor self)', (a) => scalarOut(T(a[0]!, 'is_nonzero'), 'bool', 'aten::is_nonzero')),
];
