// Tensor factories (zeros/ones/full/empty/arange/tensor and their _like/new_ forms) and
// whole-tensor writes (fill_, zero_, copy_). Devices, layouts and pin_memory are accepted
// and ignored: every tensor lives on the CPU.

import { rangeBigInts, rangeNumbers } from '../../kernels/range.js';
import { type DataType, allocate } from '../../src/dtypes.js';
import { InvalidNodeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp, TsValue } from './aten-op.js';
import { checkTensorDims, checkTensorElements, checkValueDepth } from './budget.js';
import { type Scalar, boolArg, intArg, intList, isScalar, optDtype, scalarArg, tensorArg } from './args.js';
import { aten, assignInPlace, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, scalarTensor, scalarType } from './promote.js';

const T = (v: TsValue, op: string): Tensor => tensorArg(v, op, 'self');
const OPTS = 'ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None';

/** zeros/ones/empty/full and their new_ and _like forms all allocate here: sizes are checked first. */
function full(dims: readonly number[], value: Scalar, type: DataType, op: string): Tensor {
  for (const d of dims) if (d < 0) throw new InvalidNodeError(`aten::${op}: negative dimension ${d} in [${dims.join(', ')}]`);
  checkTensorDims(dims, () => `aten::${op} of size [${dims.join(', ')}]`);
  if (Number(value) === 0 && value !== true) return Tensor.zeros(type, dims);
  return onnx1('Expand', [scalarTensor(value, type), shapeTensor(dims)]);
}

/** The n x m identity (torch.eye), float32 unless dtype says otherwise. */
function eye(n: number, m: number, dtype: TsValue): Tensor {
  if (n < 0 || m < 0) throw new InvalidNodeError(`aten::eye: n (${n}) and m (${m}) must be non-negative`);
  const type = optDtype(dtype, 'aten::eye') ?? 'float32';
  const zeros = full([n, m], 0, 'float32', 'eye');
  return castTo(onnx1('EyeLike', [zeros]), type);
}

/** torch.full's default dtype: that of the fill value (bool, int64, float32). */
function fillType(dtype: TsValue, value: Scalar, op: string): DataType {
  return optDtype(dtype, op) ?? scalarType(value);
}

function arange(start: Scalar, end: Scalar, step: Scalar, dtype: TsValue, op: string): Tensor {
  const allInt = [start, end, step].every((v) => typeof v === 'bigint' || typeof v === 'boolean');
  const type = optDtype(dtype, op) ?? (allInt ? 'int64' : 'float32');
  const s = Number(start), e = Number(end), st = Number(step);
  if (st === 0) throw new InvalidNodeError(`${op}: step must be nonzero`);
  if ((st > 0 && e < s) || (st < 0 && e > s)) throw new InvalidNodeError(`${op}: upper bound and larger bound inconsistent with step sign`);
  const n = Math.ceil((e - s) / st);
  checkTensorElements(n, `${op}(${s}, ${e}, ${st})`);
  const data = allocate(type, n);
  if (data instanceof BigInt64Array) rangeBigInts(data, BigInt(Math.trunc(s)), BigInt(Math.trunc(st)));
  else if (type === 'float16' || type === 'bfloat16' || type === 'bool' || data instanceof BigUint64Array || Array.isArray(data)) {
    const f = new Float64Array(n);
    rangeNumbers(f, s, st);
    return castTo(new Tensor('float64', f, [n]), type);
  } else rangeNumbers(data, s, st);
  return new Tensor(type, data, [n]);
}

/** torch.tensor from (nested) TorchScript lists of numbers. */
function tensorFromData(data: TsValue, dtype: TsValue, op: string): Tensor {
  const dims: number[] = [];
  let probe: TsValue = data;
  while (Array.isArray(probe)) {
    checkValueDepth(dims.length + 1, `${op}: nested data`);
    dims.push(probe.length);
    probe = probe.length > 0 ? probe[0]! : null;
  }
  // Before walking: [[row] * 4096] * 4096 is short lists that alias each other, but 2**24 numbers.
  checkTensorDims(dims, `${op} from nested lists of shape [${dims.join(', ')}]`);
  const flat: Scalar[] = [];
  const walk = (v: TsValue, depth: number) => {
    if (Array.isArray(v)) {
      if (v.length !== dims[depth]) throw new InvalidNodeError(`${op}: ragged nested list (expected ${dims[depth]} items, got ${v.length})`);
      for (const x of v) walk(x, depth + 1);
    } else if (isScalar(v)) flat.push(v);
    else throw new InvalidNodeError(`${op}: expected numbers in the data list, got ${String(v)}`);
  };
  walk(data, 0);
  let inferred: DataType = 'bool';
  for (const v of flat) {
    const t = typeof v === 'number' ? 'float32' : typeof v === 'bigint' ? 'int64' : 'bool';
    if (t === 'float32' || (t === 'int64' && inferred === 'bool')) inferred = t;
  }
  const type = optDtype(dtype, op) ?? (flat.length === 0 ? 'float32' : inferred);
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(flat, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))))), dims);
  const f = new Float64Array(flat.map((v) => Number(v)));
  return castTo(new Tensor('float64', f, dims), type);
}

function factories(): AtenOp[] {
  const ops: AtenOp[] = [];
  for (const [name, value] of [['zeros', 0n], ['ones', 1n], ['empty', 0n]] as const) {
    const tail = name === 'empty' ? ', MemoryFormat? memory_format=None' : '';
    ops.push(
      aten(name, `(SymInt[] size, *, ${OPTS}${tail})`, (a) => full(intList(a[0]!, name, 'size'), value, optDtype(a[1]!, name) ?? 'float32', name)),
      aten(`${name}_like`, `(Tensor self, *, ${OPTS}, MemoryFormat? memory_format=None)`, (a) => {
        const x = T(a[0]!, `${name}_like`);
        return full(x.dims, value, optDtype(a[1]!, `${name}_like`) ?? x.type, `${name}_like`);
      }),
      aten(`new_${name}`, `(Tensor self, SymInt[] size, *, ${OPTS})`, (a) =>
        full(intList(a[1]!, `new_${name}`, 'size'), value, optDtype(a[2]!, `new_${name}`) ?? T(a[0]!, `new_${name}`).type, `new_${name}`)),
    );
  }
  ops.push(
    aten('full', `(SymInt[] size, Scalar fill_value, *, ${OPTS})`, (a) => {
      const v = scalarArg(a[1]!, 'full', 'fill_value');
      return full(intList(a[0]!, 'full', 'size'), v, fillType(a[2]!, v, 'aten::full'), 'full');
    }),
    aten('full_like', `(Tensor self, Scalar fill_value, *, ${OPTS}, MemoryFormat? memory_format=None)`, (a) => {
      const x = T(a[0]!, 'full_like');
      return full(x.dims, scalarArg(a[1]!, 'full_like', 'fill_value'), optDtype(a[2]!, 'full_like') ?? x.type, 'full_like');
    }),
    aten('new_full', `(Tensor self, SymInt[] size, Scalar fill_value, *, ${OPTS})`, (a) =>
      full(intList(a[1]!, 'new_full', 'size'), scalarArg(a[2]!, 'new_full', 'fill_value'), optDtype(a[3]!, 'new_full') ?? T(a[0]!, 'new_full').type, 'new_full')),
    aten('scalar_tensor', `(Scalar s, *, ${OPTS})`, (a) => scalarTensor(scalarArg(a[0]!, 'scalar_tensor', 's'), optDtype(a[1]!, 'scalar_tensor') ?? 'float32')),
    aten('arange', `(Scalar end, *, ${OPTS})`, (a) => arange(0n, scalarArg(a[0]!, 'arange', 'end'), 1n, a[1]!, 'aten::arange')),
    aten('arange', `(Scalar start, Scalar end, *, ${OPTS})`, (a) =>
      arange(scalarArg(a[0]!, 'arange', 'start'), scalarArg(a[1]!, 'arange', 'end'), 1n, a[2]!, 'aten::arange')),
    aten('arange', `(Scalar start, Scalar end, Scalar step=1, *, ${OPTS})`, (a) =>
      arange(scalarArg(a[0]!, 'arange', 'start'), scalarArg(a[1]!, 'arange', 'end'), scalarArg(a[2]!, 'arange', 'step'), a[3]!, 'aten::arange')),
    ...['t[] data', 'float t', 'int t', 'bool t'].map((d) =>
      aten('tensor', `(${d}, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False)`, (a) => tensorFromData(a[0]!, a[1]!, 'aten::tensor'))),
    aten('as_tensor', '(Tensor(a) data, *, ScalarType? dtype=None, Device? device=None)', (a) => {
      const t = optDtype(a[1]!, 'as_tensor');
      const x = T(a[0]!, 'as_tensor');
      return t === null ? x : castTo(x, t);
    }),
    aten('eye', `(int n, *, ${OPTS})`, (a) => eye(intArg(a[0]!, 'eye', 'n'), intArg(a[0]!, 'eye', 'n'), a[1]!)),
    aten('eye', `(int n, int m, *, ${OPTS})`, (a) => eye(intArg(a[0]!, 'eye', 'n'), intArg(a[1]!, 'eye', 'm'), a[2]!)),
    aten('triu', '(Tensor self, int diagonal=0)', (a) => onnx1('Trilu', [T(a[0]!, 'triu'), scalarTensor(BigInt(intArg(a[1]!, 'triu', 'diagonal')), 'int64')], { upper: 1 })),
    aten('tril', '(Tensor self, int diagonal=0)', (a) => onnx1('Trilu', [T(a[0]!, 'tril'), scalarTensor(BigInt(intArg(a[1]!, 'tril', 'diagonal')), 'int64')], { upper: 0 })),
  );
  return ops;
}

function writes(): AtenOp[] {
  return [
    aten('fill_', '(Tensor self, Scalar value)', (a) => {
      const x = T(a[0]!, 'fill_');
      return assignInPlace(x, scalarTensor(scalarArg(a[1]!, 'fill_', 'value'), x.type), 'aten::fill_');
    }),
    aten('fill_', '(Tensor self, Tensor value)', (a) => assignInPlace(T(a[0]!, 'fill_'), tensorArg(a[1]!, 'fill_', 'value'), 'aten::fill_')),
    aten('zero_', '(Tensor self)', (a) => {
      const x = T(a[0]!, 'zero_');
      return assignInPlace(x, scalarTensor(0n, x.type), 'aten::zero_');
    }),
    aten('copy_', '(Tensor self, Tensor src, bool non_blocking=False)', (a) => {
      const x = T(a[0]!, 'copy_');
      const src = tensorArg(a[1]!, 'copy_', 'src');
      boolArg(a[2]!, 'copy_', 'non_blocking');
      // copy_ casts any type into self (float into int truncates), unlike arithmetic in-place ops.
      return assignInPlace(x, castTo(src, x.type), 'aten::copy_');
    }),
    aten('bernoulli_', '(Tensor self, float p=0.5, *, Generator? generator=None)', () => {
      throw new InvalidNodeError('aten::bernoulli_: random sampling is not supported (only reached in training mode)');
    }),
  ];
}

export const creationOps: readonly AtenOp[] = [...factories(), ...writes()];
