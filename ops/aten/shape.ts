// Shape and data-movement ops. view/reshape/flatten/squeeze/unsqueeze/contiguous/detach
// return tensors sharing `self`'s data array (same element order); slice, select,
// narrow, permute, transpose, expand, repeat, chunk/split/unbind copy. permute/transpose,
// slice and cat move the elements with the kernels directly (as words, any element type).

import { concat as concatKernel } from '../../kernels/concat.js';
import type { WordArray } from '../../kernels/element-words.js';
import { slice as sliceKernel } from '../../kernels/slice.js';
import { transpose as transposeKernel } from '../../kernels/transpose.js';
import type { TensorData } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import {
  boolArg, dimArg, dtypeArg, intArg, intList, optDtype, optInt, tensorArg, tensorList,
} from './args.js';
import { outputWords, tensorWords } from '../tensor-words.js';
import { checkTensorElements } from './budget.js';
import { newF32 } from './slabs.js';
import { aten, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, promoteTypes } from './promote.js';
import { recordAlias, recordSlice, ViewTensor } from './views.js';

const T = (v: TsValue, op: string, name = 'self'): Tensor => tensorArg(v, op, name);
const I = (v: TsValue, op: string, name: string): number => intArg(v, op, name);

/** Resolves one -1 in a view shape against `size` elements. */
export function inferShape(size: number, shape: readonly number[], op: string): number[] {
  const out = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: only one dimension can be inferred in [${shape.join(', ')}]`);
      infer = i;
    } else if (out[i]! < 0) {
      throw new ShapeError(`${op}: invalid shape dimension ${out[i]} in [${shape.join(', ')}]`);
    } else known *= out[i]!;
  }
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${op}: shape '[${shape.join(', ')}]' is invalid for input of size ${size}`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(`${op}: shape '[${shape.join(', ')}]' is invalid for input of size ${size}`);
  }
  return out;
}

export function view(x: Tensor, shape: readonly number[], op: string): Tensor {
  return recordAlias(x.reshape(inferShape(x.size, shape, op)), x);
}

export function flatten(x: Tensor, start: number, end: number, op: string): Tensor {
  if (x.rank === 0) return recordAlias(x.reshape([1]), x);
  const s = dimArg(start, x.rank, op);
  const e = dimArg(end, x.rank, op);
  if (s > e) throw new InvalidNodeError(`${op}: start_dim ${start} cannot come after end_dim ${end}`);
  const dims = x.dims;
  let n = 1;
  for (let i = s; i <= e; i++) n *= dims[i]!;
  return recordAlias(x.reshape([...dims.slice(0, s), n, ...dims.slice(e + 1)]), x);
}

export function unsqueeze(x: Tensor, dim: number, op: string): Tensor {
  const d = dimArg(dim, x.rank + 1, op);
  const dims = [...x.dims];
  dims.splice(d, 0, 1);
  return recordAlias(x.reshape(dims), x);
}

function squeeze(x: Tensor, dim: number | null, op: string): Tensor {
  if (dim === null) return recordAlias(x.reshape(x.dims.filter((d) => d !== 1)), x);
  if (x.rank === 0) return x;
  const d = dimArg(dim, x.rank, op);
  if (x.dims[d] !== 1) return x;
  return recordAlias(x.reshape(x.dims.filter((_, i) => i !== d)), x);
}

/** Storage for a new tensor of x's type and `dims` (at most x's size: no limit check), and as words. */
function outputOf(x: Tensor, dims: readonly number[]): { data: TensorData; words: WordArray } {
  if (x.type !== 'float32') {
    const out = outputWords(x.type, dims);
    return { data: out.tensor.data, words: out.words };
  }
  let n = 1;
  for (const d of dims) n *= d;
  const data = newF32(n);
  return { data, words: new Uint32Array(data.buffer, data.byteOffset, n) };
}

/** The storage of x with its axes permuted (output axis i is input axis perm[i]) and its dims. */
function permutedData(x: Tensor, perm: readonly number[]): { data: TensorData; dims: number[] } {
  const dims = perm.map((a) => x.dims[a]!);
  const src = tensorWords(x);
  const out = outputOf(x, dims);
  transposeKernel(src.words, out.words, x.dims, perm, src.width);
  return { data: out.data, dims };
}

/** x with its axes permuted: output axis i is input axis perm[i] (a plain copy, not a view of x). */
export function permuted(x: Tensor, perm: readonly number[]): Tensor {
  const { data, dims } = permutedData(x, perm);
  return new Tensor(x.type, data, dims);
}

/** x permuted, as a view of x (an in-place write to it is written back into x). */
function permutedView(x: Tensor, perm: readonly number[]): Tensor {
  const { data, dims } = permutedData(x, perm);
  return new ViewTensor(x.type, data, dims, { base: x, perm });
}

export function permute(x: Tensor, dims: readonly number[], op: string): Tensor {
  if (dims.length !== x.rank) throw new ShapeError(`${op}: number of dims ${dims.length} doesn't match the rank ${x.rank}`);
  const perm = dims.map((d) => dimArg(d, x.rank, op));
  if (new Set(perm).size !== perm.length) throw new ShapeError(`${op}: repeated dim in [${dims.join(', ')}]`);
  if (perm.every((p, i) => p === i)) return x;
  return permutedView(x, perm);
}

export function transpose(x: Tensor, d0: number, d1: number, op: string): Tensor {
  if (x.rank === 0) return x;
  const a = dimArg(d0, x.rank, op);
  const b = dimArg(d1, x.rank, op);
  if (a === b) return x;
  const perm = x.dims.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permutedView(x, perm);
}

/** PyTorch's slice clamping: start/end wrap once, then clamp to [0, size]; step > 0. */
export function slice(x: Tensor, dim: number, start: number | null, end: number | null, step: number, op: string): Tensor {
  if (x.rank === 0) throw new InvalidNodeError(`${op}: slice() cannot be applied to a 0-dim tensor`);
  if (step <= 0) throw new InvalidNodeError(`${op}: slice step must be positive, got ${step}`);
  const d = dimArg(dim, x.rank, op);
  const n = x.dims[d]!;
  let s = start ?? 0;
  let e = end ?? n;
  if (s < 0) s += n;
  if (e < 0) e += n;
  s = Math.min(Math.max(s, 0), n);
  e = Math.min(Math.max(e, s), n);
  if (s === 0 && e === n && step === 1) return x;
  const starts = x.dims.map((_, i) => (i === d ? s : 0));
  const steps = x.dims.map((_, i) => (i === d ? step : 1));
  const outDims = [...x.dims];
  outDims[d] = Math.ceil((e - s) / step);
  const src = tensorWords(x);
  const out = outputOf(x, outDims);
  sliceKernel(src.words, out.words, x.dims, starts, steps, outDims, src.width);
  return new ViewTensor(x.type, out.data, outDims, { base: x, starts, steps });
}

export function select(x: Tensor, dim: number, index: number, op: string): Tensor {
  const d = dimArg(dim, x.rank, op);
  const n = x.dims[d]!;
  if (index < -n || index >= n) throw new InvalidNodeError(`${op}: index ${index} out of range for dimension ${dim} of size ${n}`);
  const i = index < 0 ? index + n : index;
  const s = slice(x, d, i, i + 1, 1, op);
  return recordAlias(s.reshape(x.dims.filter((_, k) => k !== d)), s);
}

export function expand(x: Tensor, size: readonly number[], op: string): Tensor {
  if (size.length < x.rank) {
    throw new ShapeError(`${op}: the number of sizes provided (${size.length}) must be >= the number of dimensions (${x.rank})`);
  }
  const lead = size.length - x.rank;
  const target = size.map((s, i) => {
    const have = i >= lead ? x.dims[i - lead]! : 1;
    if (s === -1) {
      if (i < lead) throw new ShapeError(`${op}: -1 is not allowed in a leading, non-existing dimension`);
      return have;
    }
    if (have !== 1 && have !== s) {
      throw new ShapeError(`${op}: the expanded size ${s} must match the existing size ${have} at dimension ${i}`);
    }
    return s;
  });
  if (target.length === x.rank && target.every((s, i) => s === x.dims[i])) return x;
  return onnx1('Expand', [x, shapeTensor(target)]);
}

function repeat(x: Tensor, repeats: readonly number[], op: string): Tensor {
  if (repeats.length < x.rank) throw new ShapeError(`${op}: number of repeat dims can not be smaller than the number of tensor dims`);
  const padded = x.reshape([...new Array<number>(repeats.length - x.rank).fill(1), ...x.dims]);
  return onnx1('Tile', [padded, shapeTensor(repeats)]);
}

function splitSizes(x: Tensor, sizes: readonly number[], dim: number, op: string): Tensor[] {
  const d = dimArg(dim, x.rank, op);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.dims[d]) {
    throw new ShapeError(`${op}: split sizes [${sizes.join(', ')}] must sum to the dimension size ${x.dims[d]}`);
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(sliceCopy(x, d, at, at + s));
    at += s;
  }
  return out;
}

/** A slice that always copies (split results must not alias each other's storage). */
function sliceCopy(x: Tensor, d: number, s: number, e: number): Tensor {
  const r = slice(x, d, s, e, 1, 'split');
  if (r !== x) return r;
  const ones = x.dims.map(() => 1);
  return recordSlice(clone(x), x, ones.map(() => 0), ones);
}

function splitEvery(x: Tensor, size: number, dim: number, op: string): Tensor[] {
  const d = dimArg(dim, x.rank, op);
  const n = x.dims[d]!;
  if (size <= 0 && n > 0) throw new InvalidNodeError(`${op}: split_size must be positive, got ${size}`);
  const sizes: number[] = [];
  for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
  if (sizes.length === 0) sizes.push(0);
  return splitSizes(x, sizes, d, op);
}

function chunk(x: Tensor, chunks: number, dim: number, op: string): Tensor[] {
  if (chunks <= 0) throw new InvalidNodeError(`${op}: chunks must be positive, got ${chunks}`);
  const n = x.dims[dimArg(dim, x.rank, op)]!;
  return splitEvery(x, Math.max(1, Math.ceil(n / chunks)), dim, op);
}

function unbind(x: Tensor, dim: number, op: string): Tensor[] {
  const d = dimArg(dim, x.rank, op);
  const out: Tensor[] = [];
  for (let i = 0; i < x.dims[d]!; i++) out.push(select(x, d, i, op));
  return out;
}

/** torch.cat: promotes types; legacy 1-D empty tensors are skipped. */
export function cat(ts: readonly Tensor[], dim: number, op: string): Tensor {
  if (ts.length === 0) throw new InvalidNodeError(`${op}: expected a non-empty list of Tensors`);
  const type = ts.map((t) => t.type).reduce(promoteTypes);
  const kept = ts.filter((t) => !(t.rank === 1 && t.dims[0] === 0));
  if (kept.length === 0) return castTo(ts[0]!, type);
  const rank = kept[0]!.rank;
  if (rank === 0) throw new InvalidNodeError(`${op}: zero-dimensional tensor cannot be concatenated`);
  const d = dimArg(dim, rank, op);
  if (kept.length === 1) return castTo(kept[0]!, type);
  return concatTensors(kept.map((t) => castTo(t, type)), d, op);
}

/** Tensors of one type joined along axis `d` (each checked to match the first outside it). */
function concatTensors(ts: readonly Tensor[], d: number, op: string): Tensor {
  const first = ts[0]!;
  const outDims = [...first.dims];
  outDims[d] = 0;
  for (const t of ts) {
    if (t.rank !== first.rank || t.dims.some((v, i) => i !== d && v !== first.dims[i])) {
      throw new ShapeError(`${op}: sizes of tensors must match except in dimension ${d}, got [${first.dims.join(', ')}] and [${t.dims.join(', ')}]`);
    }
    outDims[d] += t.dims[d]!;
  }
  let size = 1;
  for (const v of outDims) size *= v;
  checkTensorElements(size, () => `${op} output of shape [${outDims.join(', ')}]`);
  let outer = 1;
  for (let i = 0; i < d; i++) outer *= first.dims[i]!;
  const srcs: WordArray[] = [];
  const blocks: number[] = [];
  for (const t of ts) {
    const { words, width } = tensorWords(t);
    let block = width;
    for (let i = d; i < t.rank; i++) block *= t.dims[i]!;
    srcs.push(words);
    blocks.push(block);
  }
  const out = outputWords(first.type, outDims);
  concatKernel(srcs, blocks, out.words, outer);
  return out.tensor;
}

function stack(ts: readonly Tensor[], dim: number, op: string): Tensor {
  if (ts.length === 0) throw new InvalidNodeError(`${op}: expected a non-empty list of Tensors`);
  const d = dimArg(dim, ts[0]!.rank + 1, op);
  for (const t of ts) {
    if (t.rank !== ts[0]!.rank || t.dims.some((v, i) => v !== ts[0]!.dims[i])) {
      throw new ShapeError(`${op}: stack expects each tensor to be equal size, got [${ts[0]!.dims.join(', ')}] and [${t.dims.join(', ')}]`);
    }
  }
  return cat(ts.map((t) => unsqueeze(t, d, op)), d, op);
}

function flip(x: Tensor, dims: readonly number[], op: string): Tensor {
  let r = x;
  for (const dim of dims) {
    const d = dimArg(dim, x.rank, op);
    const n = x.dims[d]!;
    if (n <= 1) continue;
    const i64 = (v: number) => new Tensor('int64', BigInt64Array.of(BigInt(v)), [1]);
    r = onnx1('Slice', [r, i64(n - 1), i64(-n - 1), i64(d), i64(-1)]);
  }
  return r === x ? clone(x) : r;
}

function roll(x: Tensor, shifts: readonly number[], dims: readonly number[], op: string): Tensor {
  if (dims.length === 0) return roll(x.reshape([x.size]), shifts.slice(0, 1), [0], op).reshape(x.dims);
  let r = x;
  for (let k = 0; k < dims.length; k++) {
    const d = dimArg(dims[k]!, x.rank, op);
    const n = x.dims[d]!;
    if (n === 0) continue;
    const s = ((shifts[k]! % n) + n) % n;
    if (s === 0) continue;
    r = cat([slice(r, d, n - s, n, 1, op), slice(r, d, 0, n - s, 1, op)], d, op);
  }
  return r === x ? clone(x) : r;
}

export function clone(x: Tensor): Tensor {
  return new Tensor(x.type, (x.data as Float32Array).slice(), x.dims);
}

/** aten::to: converts the dtype; `copy` forces a new tensor. Devices are accepted and ignored. */
function to(x: Tensor, type: string | null, copy: boolean): Tensor {
  const r = type === null ? x : castTo(x, type as Tensor['type']);
  return copy && r === x ? clone(x) : r;
}

const toTail = 'bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None)';

function conversions(): AtenOp[] {
  const copyArg = (v: TsValue) => boolArg(v, 'to', 'copy');
  return [
    aten('to', `(Tensor self, Device device, ScalarType dtype, ${toTail}`, (a) => to(T(a[0]!, 'to'), dtypeArg(a[2]!, 'to'), copyArg(a[4]!))),
    aten('to', `(Tensor self, ScalarType dtype, ${toTail}`, (a) => to(T(a[0]!, 'to'), dtypeArg(a[1]!, 'to'), copyArg(a[3]!))),
    aten('to', `(Tensor self, Tensor other, ${toTail}`, (a) => to(T(a[0]!, 'to'), T(a[1]!, 'to', 'other').type, copyArg(a[3]!))),
    aten('to', '(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, '
      + `${toTail}`, (a) => to(T(a[0]!, 'to'), optDtype(a[1]!, 'to'), copyArg(a[6]!))),
    aten('to', '(Tensor self, Device? device, int? dtype=None, bool non_blocking=False, bool copy=False)',
      (a) => to(T(a[0]!, 'to'), optDtype(a[2]!, 'to'), copyArg(a[4]!))),
    aten('to', '(Tensor self, int? dtype=None, bool non_blocking=False, bool copy=False)',
      (a) => to(T(a[0]!, 'to'), optDtype(a[1]!, 'to'), copyArg(a[3]!))),
    aten('to', '(Tensor self, bool non_blocking=False, bool copy=False)', (a) => to(T(a[0]!, 'to'), null, copyArg(a[2]!))),
    aten('type_as', '(Tensor self, Tensor other)', (a) => castTo(T(a[0]!, 'type_as'), T(a[1]!, 'type_as', 'other').type)),
    aten('float', '(Tensor self)', (a) => castTo(T(a[0]!, 'float'), 'float32')),
    aten('double', '(Tensor self)', (a) => castTo(T(a[0]!, 'double'), 'float64')),
    aten('half', '(Tensor self)', (a) => castTo(T(a[0]!, 'half'), 'float16')),
    aten('int', '(Tensor self)', (a) => castTo(T(a[0]!, 'int'), 'int32')),
    aten('long', '(Tensor self)', (a) => castTo(T(a[0]!, 'long'), 'int64')),
    aten('bool', '(Tensor self)', (a) => castTo(T(a[0]!, 'bool'), 'bool')),
    aten('clone', '(Tensor self, *, MemoryFormat? memory_format=None)', (a) => clone(T(a[0]!, 'clone'))),
    aten('detach', '(Tensor self)', (a) => T(a[0]!, 'detach')),
    // Every tensor lives on the CPU and nothing records gradients: both are the identity.
    aten('cpu', '(Tensor(a) self)', (a) => T(a[0]!, 'cpu')),
    aten('requires_grad_', '(Tensor(a!) self, bool requires_grad=True)', (a) => T(a[0]!, 'requires_grad_')),
    aten('contiguous', '(Tensor self, *, MemoryFormat memory_format=0)', (a) => T(a[0]!, 'contiguous')),
  ];
}

function shapes(): AtenOp[] {
  return [
    aten('size', '(Tensor self)', (a) => T(a[0]!, 'size').dims.map((d) => BigInt(d))),
    aten('size', '(Tensor self, int dim)', (a) => {
      const x = T(a[0]!, 'size');
      return BigInt(x.dims[dimArg(I(a[1]!, 'size', 'dim'), x.rank, 'aten::size')] ?? 1);
    }),
    aten('dim', '(Tensor self)', (a) => BigInt(T(a[0]!, 'dim').rank)),
    aten('numel', '(Tensor self)', (a) => BigInt(T(a[0]!, 'numel').size)),
    aten('view', '(Tensor self, SymInt[] size)', (a) => view(T(a[0]!, 'view'), intList(a[1]!, 'view', 'size'), 'aten::view')),
    aten('reshape', '(Tensor self, SymInt[] shape)', (a) => view(T(a[0]!, 'reshape'), intList(a[1]!, 'reshape', 'shape'), 'aten::reshape')),
    aten('view_as', '(Tensor self, Tensor other)', (a) => view(T(a[0]!, 'view_as'), T(a[1]!, 'view_as', 'other').dims, 'aten::view_as')),
    aten('reshape_as', '(Tensor self, Tensor other)', (a) => view(T(a[0]!, 'reshape_as'), T(a[1]!, 'reshape_as', 'other').dims, 'aten::reshape_as')),
    aten('flatten', '(Tensor self, int start_dim=0, int end_dim=-1)', (a) =>
      flatten(T(a[0]!, 'flatten'), I(a[1]!, 'flatten', 'start_dim'), I(a[2]!, 'flatten', 'end_dim'), 'aten::flatten')),
    aten('squeeze', '(Tensor self)', (a) => squeeze(T(a[0]!, 'squeeze'), null, 'aten::squeeze')),
    aten('squeeze', '(Tensor self, int dim)', (a) => squeeze(T(a[0]!, 'squeeze'), I(a[1]!, 'squeeze', 'dim'), 'aten::squeeze')),
    aten('unsqueeze', '(Tensor self, int dim)', (a) => unsqueeze(T(a[0]!, 'unsqueeze'), I(a[1]!, 'unsqueeze', 'dim'), 'aten::unsqueeze')),
    aten('permute', '(Tensor self, int[] dims)', (a) => permute(T(a[0]!, 'permute'), intList(a[1]!, 'permute', 'dims'), 'aten::permute')),
    aten('transpose', '(Tensor self, int dim0, int dim1)', (a) =>
      transpose(T(a[0]!, 'transpose'), I(a[1]!, 'transpose', 'dim0'), I(a[2]!, 'transpose', 'dim1'), 'aten::transpose')),
    aten('t', '(Tensor self)', (a) => {
      const x = T(a[0]!, 't');
      if (x.rank > 2) throw new ShapeError(`aten::t: expects a tensor with <= 2 dimensions, but self is ${x.rank}D`);
      return x.rank < 2 ? x : transpose(x, 0, 1, 'aten::t');
    }),
    aten('expand', '(Tensor self, SymInt[] size, *, bool implicit=False)', (a) => expand(T(a[0]!, 'expand'), intList(a[1]!, 'expand', 'size'), 'aten::expand')),
    aten('expand_as', '(Tensor self, Tensor other)', (a) => expand(T(a[0]!, 'expand_as'), T(a[1]!, 'expand_as', 'other').dims, 'aten::expand_as')),
    aten('repeat', '(Tensor self, SymInt[] repeats)', (a) => repeat(T(a[0]!, 'repeat'), intList(a[1]!, 'repeat', 'repeats'), 'aten::repeat')),
    aten('slice', '(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1)', (a) =>
      slice(T(a[0]!, 'slice'), I(a[1]!, 'slice', 'dim'), optInt(clampBig(a[2]!), 'slice', 'start'), optInt(clampBig(a[3]!), 'slice', 'end'),
        I(a[4]!, 'slice', 'step'), 'aten::slice')),
    aten('select', '(Tensor self, int dim, int index)', (a) => select(T(a[0]!, 'select'), I(a[1]!, 'select', 'dim'), I(a[2]!, 'select', 'index'), 'aten::select')),
    aten('narrow', '(Tensor self, int dim, int start, int length)', (a) => narrow(T(a[0]!, 'narrow'), I(a[1]!, 'narrow', 'dim'), I(a[2]!, 'narrow', 'start'), I(a[3]!, 'narrow', 'length'))),
    aten('narrow', '(Tensor self, int dim, Tensor start, int length)', (a) => narrow(T(a[0]!, 'narrow'), I(a[1]!, 'narrow', 'dim'), I(T(a[2]!, 'narrow', 'start').toNumbers()[0]!, 'narrow', 'start'), I(a[3]!, 'narrow', 'length'))),
    aten('chunk', '(Tensor self, int chunks, int dim=0)', (a) => chunk(T(a[0]!, 'chunk'), I(a[1]!, 'chunk', 'chunks'), I(a[2]!, 'chunk', 'dim'), 'aten::chunk')),
    aten('split', '(Tensor self, int split_size, int dim=0)', (a) => splitEvery(T(a[0]!, 'split'), I(a[1]!, 'split', 'split_size'), I(a[2]!, 'split', 'dim'), 'aten::split')),
    aten('split', '(Tensor self, int[] split_size, int dim=0)', (a) => splitSizes(T(a[0]!, 'split'), intList(a[1]!, 'split', 'split_size'), I(a[2]!, 'split', 'dim'), 'aten::split')),
    aten('split_with_sizes', '(Tensor self, int[] split_sizes, int dim=0)', (a) =>
      splitSizes(T(a[0]!, 'split_with_sizes'), intList(a[1]!, 'split_with_sizes', 'split_sizes'), I(a[2]!, 'split_with_sizes', 'dim'), 'aten::split_with_sizes')),
    aten('unbind', '(Tensor self, int dim=0)', (a) => unbind(T(a[0]!, 'unbind'), I(a[1]!, 'unbind', 'dim'), 'aten::unbind')),
    aten('cat', '(Tensor[] tensors, int dim=0)', (a) => cat(tensorList(a[0]!, 'cat'), I(a[1]!, 'cat', 'dim'), 'aten::cat')),
    aten('concat', '(Tensor[] tensors, int dim=0)', (a) => cat(tensorList(a[0]!, 'concat'), I(a[1]!, 'concat', 'dim'), 'aten::concat')),
    aten('stack', '(Tensor[] tensors, int dim=0)', (a) => stack(tensorList(a[0]!, 'stack'), I(a[1]!, 'stack', 'dim'), 'aten::stack')),
    aten('flip', '(Tensor self, int[] dims)', (a) => flip(T(a[0]!, 'flip'), intList(a[1]!, 'flip', 'dims'), 'aten::flip')),
    aten('tile', '(Tensor self, int[] dims)', (a) => {
      const x = T(a[0]!, 'tile');
      const reps = intList(a[1]!, 'tile', 'dims');
      return repeat(x, [...new Array<number>(Math.max(0, x.rank - reps.length)).fill(1), ...reps], 'aten::tile');
    }),
    aten('unflatten', '(Tensor(a) self, int dim, int[] sizes)', (a) => {
      const x = T(a[0]!, 'unflatten');
      const d = dimArg(I(a[1]!, 'unflatten', 'dim'), x.rank, 'aten::unflatten');
      const sizes = inferShape(x.dims[d] ?? 1, intList(a[2]!, 'unflatten', 'sizes'), 'aten::unflatten');
      return recordAlias(x.reshape([...x.dims.slice(0, d), ...sizes, ...x.dims.slice(d + 1)]), x);
    }),
    aten('ravel', '(Tensor(a) self)', (a) => flatten(T(a[0]!, 'ravel'), 0, -1, 'aten::ravel')),
    aten('diagonal', '(Tensor(a) self, int offset=0, int dim1=0, int dim2=1)', (a) =>
      diagonal(T(a[0]!, 'diagonal'), I(a[1]!, 'diagonal', 'offset'), I(a[2]!, 'diagonal', 'dim1'), I(a[3]!, 'diagonal', 'dim2'), 'aten::diagonal')),
    aten('roll', '(Tensor self, int[1] shifts, int[1] dims=[])', (a) =>
      roll(T(a[0]!, 'roll'), intList(a[1]!, 'roll', 'shifts'), intList(a[2]!, 'roll', 'dims'), 'aten::roll')),
  ];
}

/** The diagonal of dims (dim1, dim2) shifted by offset, as a new last dim (a copy, not a view). */
function diagonal(x: Tensor, offset: number, dim1: number, dim2: number, op: string): Tensor {
  const d1 = dimArg(dim1, x.rank, op), d2 = dimArg(dim2, x.rank, op);
  if (d1 === d2) throw new ShapeError(`${op}: diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const rest = x.dims.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  const [n1, n2] = [x.dims[d1]!, x.dims[d2]!];
  const len = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  // In the flattened (n1 * n2) plane the diagonal starts at offset (or -offset rows down) and steps n2 + 1.
  const start = len === 0 ? 0 : offset >= 0 ? offset : -offset * n2;
  const i64 = (v: number) => new Tensor('int64', BigInt64Array.of(BigInt(v)), []);
  const idx = onnx1('Range', [i64(start), i64(start + len * (n2 + 1)), i64(n2 + 1)]);
  const plane = permuted(x, [...rest, d1, d2]).reshape([...rest.map((i) => x.dims[i]!), n1 * n2]);
  return onnx1('Gather', [plane, idx], { axis: rest.length });
}

function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = dimArg(dim, x.rank, 'aten::narrow');
  const s = start < 0 ? start + x.dims[d]! : start;
  if (s < 0 || length < 0 || s + length > x.dims[d]!) {
    throw new ShapeError(`aten::narrow: start (${start}) + length (${length}) exceeds dimension size (${x.dims[d]})`);
  }
  return slice(x, d, s, s + length, 1, 'aten::narrow');
}

/** Slice bounds such as 9223372036854775807 (INT64_MAX) as safe JS numbers. */
function clampBig(v: TsValue): TsValue {
  if (typeof v !== 'bigint') return v;
  const lim = BigInt(Number.MAX_SAFE_INTEGER);
  return v > lim ? lim : v < -lim ? -lim : v;
}

export const shapeOps: readonly AtenOp[] = [...shapes(), ...conversions()];

