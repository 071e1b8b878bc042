// Linear algebra over the last two dims of float32/float64 tensors, batched over the leading
// ones: det, inv (and inv_ex's LAPACK info), solve, svd, qr, eigh (kernels/linalg.ts,
// kernels/det.ts), and the products einsum and cross composed from ONNX ops. PyTorch's CPU
// linalg takes float and double only; so do these.

import { determinant } from '../../kernels/det.js';
import { eigh, inverse, qr, solve, svd } from '../../kernels/linalg.js';
import { broadcastShapes } from '../../kernels/broadcast.js';
import { allocate, type DataType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type AtenOp, TsTuple, type TsValue } from './aten-op.js';
import { boolArg, intArg, optInt, strArg, tensorArg, tensorList } from './args.js';
import { checkTensorElements } from './budget.js';
import { aten, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, promoteTypes } from './promote.js';
import { permuted } from './shape.js';

type Float = Float32Array | Float64Array;
const T = (v: TsValue, op: string, name = 'A'): Tensor => tensorArg(v, op, name);
const fmt = (dims: readonly number[]) => `[${dims.join(', ')}]`;

/** A float32/float64 tensor of rank >= 2 (square when asked): its batch count and matrix dims. */
function matrices(x: Tensor, op: string, square: boolean): { batch: number; m: number; n: number; lead: number[] } {
  if (x.type !== 'float32' && x.type !== 'float64') {
    throw new InvalidNodeError(`${op}: expected a float or double tensor, got ${x.type}`);
  }
  if (x.rank < 2) throw new ShapeError(`${op}: the input must have at least 2 dimensions, got ${fmt(x.dims)}`);
  const m = x.dims[x.rank - 2]!, n = x.dims[x.rank - 1]!;
  if (square && m !== n) throw new ShapeError(`${op}: A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  const lead = x.dims.slice(0, -2);
  return { batch: lead.reduce((p, d) => p * d, 1), m, n, lead };
}

function alloc(type: DataType, dims: readonly number[], op: string): Float {
  const n = dims.reduce((p, d) => p * d, 1);
  checkTensorElements(n, () => `${op} output of shape ${fmt(dims)}`);
  return allocate(type, n) as Float;
}

function det(x: Tensor, op: string): Tensor {
  const { batch, m, lead } = matrices(x, op, true);
  const out = alloc(x.type, lead, op);
  determinant(x.data as Float, out, batch, m);
  return new Tensor(x.type, out, lead);
}

/** (inverse, info): info[b] > 0 names the first zero pivot of matrix b (LAPACK's getrf). */
function invEx(x: Tensor, op: string): [Tensor, Tensor] {
  const { batch, m, lead } = matrices(x, op, true);
  const out = alloc(x.type, x.dims, op);
  const info = new Int32Array(batch);
  inverse(x.data as Float, out, info, batch, m);
  return [new Tensor(x.type, out, x.dims), new Tensor('int32', info, lead)];
}

/** Refuses a singular input as PyTorch does, naming the batch element and the zero pivot. */
function checkInfo(info: Int32Array, batched: boolean, op: string): void {
  const b = info.findIndex((v) => v !== 0);
  if (b < 0) return;
  const where = batched ? ` (Batch element ${b})` : '';
  throw new InvalidNodeError(`${op}${where}: The diagonal element ${info[b]} is zero, the inversion could not be completed because the input matrix is singular.`);
}

function lastTwoSwapped(x: Tensor): Tensor {
  const perm = x.dims.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return permuted(x, perm);
}

/** linalg.solve: A X = B (left) or X A = B; B a vector (or a batch of them) where PyTorch takes it as one. */
function linalgSolve(a: Tensor, b: Tensor, left: boolean, op: string): Tensor {
  const type = promoteTypes(a.type, b.type);
  let A = castTo(a, type), B = castTo(b, type);
  matrices(A, op, true);
  const vector = B.rank === 1 || (B.rank === A.rank - 1 && B.dims.every((d, i) => d === A.dims[i]));
  if (vector) B = B.reshape([...B.dims, 1]);
  if (!left) {
    A = lastTwoSwapped(A);
    B = lastTwoSwapped(B);
  }
  const m = A.dims[A.rank - 1]!;
  if (B.dims[B.rank - 2] !== m) {
    throw new ShapeError(`${op}: incompatible shapes of A and B for the equation ${left ? 'AX = B' : 'XA = B'} (${fmt(a.dims)} and ${fmt(b.dims)})`);
  }
  const k = B.dims[B.rank - 1]!;
  const lead = broadcastShapes(A.dims.slice(0, -2), B.dims.slice(0, -2));
  if (lead === null) throw new ShapeError(`${op}: the batch dims of A ${fmt(a.dims)} and B ${fmt(b.dims)} do not broadcast`);
  A = onnx1('Expand', [A, shapeTensor([...lead, m, m])]);
  B = onnx1('Expand', [B, shapeTensor([...lead, m, k])]);
  const batch = lead.reduce((p, d) => p * d, 1);
  const dims = [...lead, m, k];
  const out = alloc(type, dims, op);
  const info = new Int32Array(batch);
  solve(A.data as Float, B.data as Float, out, info, batch, m, k);
  if (info.some((v) => v !== 0)) {
    const i = info.findIndex((v) => v !== 0);
    throw new InvalidNodeError(`${op}${batch > 1 || lead.length > 0 ? ` (Batch element ${i})` : ''}: The solver failed because the input matrix is singular.`);
  }
  let x = new Tensor(type, out, dims);
  if (!left) x = lastTwoSwapped(x);
  return vector ? x.reshape(x.dims.slice(0, -1)) : x;
}

/** (U, S, Vh) of linalg.svd; `full` completes U and Vh to square. */
function linalgSvd(x: Tensor, full: boolean, uv: boolean, op: string): [Tensor, Tensor, Tensor] {
  const { batch, m, n, lead } = matrices(x, op, false);
  const k = Math.min(m, n);
  const uDims = [...lead, m, full ? m : k], sDims = [...lead, k], vDims = [...lead, full ? n : k, n];
  const s = alloc(x.type, sDims, op);
  const u = uv ? alloc(x.type, uDims, op) : null;
  const vh = uv ? alloc(x.type, vDims, op) : null;
  svd(x.data as Float, { u, s, vh }, batch, m, n, full);
  const empty = new Tensor(x.type, allocate(x.type, 0), [0]);
  return [u ? new Tensor(x.type, u, uDims) : empty, new Tensor(x.type, s, sDims), vh ? new Tensor(x.type, vh, vDims) : empty];
}

/** torch.svd: (U, S, V) with V = Vhᵀ; `some` is the reduced form; without uv, U and V are zeros. */
function legacySvd(x: Tensor, some: boolean, uv: boolean, op: string): TsTuple {
  const { m, n, lead } = matrices(x, op, false);
  const [u, s, vh] = linalgSvd(x, !some, uv, op);
  if (!uv) return new TsTuple([Tensor.zeros(x.type, [...lead, m, m]), s, Tensor.zeros(x.type, [...lead, n, n])]);
  return new TsTuple([u, s, lastTwoSwapped(vh)]);
}

function linalgQr(x: Tensor, mode: string, op: string): TsTuple {
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') {
    throw new InvalidNodeError(`${op}: qr received unrecognized mode '${mode}' but expected one of 'reduced' (default), 'r', or 'complete'`);
  }
  const { batch, m, n, lead } = matrices(x, op, false);
  const k = Math.min(m, n);
  const complete = mode === 'complete';
  const qDims = [...lead, m, complete ? m : k], rDims = [...lead, complete ? m : k, n];
  const r = alloc(x.type, rDims, op);
  const q = mode === 'r' ? null : alloc(x.type, qDims, op);
  qr(x.data as Float, q, r, batch, m, n, complete);
  const qT = q === null ? new Tensor(x.type, allocate(x.type, 0), [0]) : new Tensor(x.type, q, qDims);
  return new TsTuple([qT, new Tensor(x.type, r, rDims)]);
}

function linalgEigh(x: Tensor, uplo: string, op: string): TsTuple {
  const u = uplo.toUpperCase();
  if (u !== 'L' && u !== 'U') throw new InvalidNodeError(`${op}: Expected UPLO argument to be 'L' or 'U', but got ${uplo}`);
  const { batch, m, lead } = matrices(x, op, true);
  const values = alloc(x.type, [...lead, m], op);
  const vectors = alloc(x.type, x.dims, op);
  eigh(x.data as Float, values, vectors, batch, m, u === 'L');
  return new TsTuple([new Tensor(x.type, values, [...lead, m]), new Tensor(x.type, vectors, x.dims)]);
}

/** The singular values of x over dims (d0, d1), last: for the 2, -2 and nuclear matrix norms. */
export function singularValues(x: Tensor, d0: number, d1: number, op: string): Tensor {
  const rest = x.dims.map((_, i) => i).filter((i) => i !== d0 && i !== d1);
  const moved = permuted(x, [...rest, d0, d1]);
  return linalgSvd(moved, false, false, op)[1];
}

/** einsum through ONNX Einsum (operands promoted to one type; spaces dropped from the equation). */
function einsum(equation: string, xs: readonly Tensor[], op: string): Tensor {
  if (xs.length === 0) throw new InvalidNodeError(`${op}: must provide at least one operand`);
  const type = xs.map((t) => t.type).reduce(promoteTypes);
  return onnx1('Einsum', xs.map((t) => castTo(t, type)), { equation: equation.replace(/\s+/g, '') });
}

const gatherAt = (x: Tensor, idx: readonly number[], axis: number) =>
  onnx1('Gather', [x, new Tensor('int64', BigInt64Array.from(idx, BigInt), [3])], { axis });

/** a × b along dim (size 3), broadcasting the others; dim null takes the first dim of size 3. */
function cross(a: Tensor, b: Tensor, dim: number | null, op: string): Tensor {
  const dims = broadcastShapes(a.dims, b.dims);
  if (dims === null) throw new ShapeError(`${op}: shapes ${fmt(a.dims)} and ${fmt(b.dims)} do not broadcast`);
  let d: number;
  if (dim === null) {
    d = dims.indexOf(3);
    if (d < 0) throw new ShapeError(`${op}: no dimension of size 3 in input ${fmt(dims)}`);
  } else {
    const r = dims.length;
    if (dim < -r || dim >= r) throw new InvalidNodeError(`${op}: dim ${dim} out of range [${-r}, ${r - 1}]`);
    d = dim < 0 ? dim + r : dim;
    if (dims[d] !== 3) throw new ShapeError(`${op}: inputs dimension ${dim} must have length 3, got ${fmt(dims)}`);
  }
  const type = promoteTypes(a.type, b.type);
  const A = onnx1('Expand', [castTo(a, type), shapeTensor(dims)]);
  const B = onnx1('Expand', [castTo(b, type), shapeTensor(dims)]);
  const p = onnx1('Mul', [gatherAt(A, [1, 2, 0], d), gatherAt(B, [2, 0, 1], d)]);
  const q = onnx1('Mul', [gatherAt(A, [2, 0, 1], d), gatherAt(B, [1, 2, 0], d)]);
  return onnx1('Sub', [p, q]);
}

export const linalgOps: readonly AtenOp[] = [
  aten('linalg_det', '(Tensor A)', (a) => det(T(a[0]!, 'linalg_det'), 'aten::linalg_det')),
  aten('det', '(Tensor self)', (a) => det(T(a[0]!, 'det', 'self'), 'aten::det')),
  aten('linalg_inv_ex', '(Tensor A, *, bool check_errors=False)', (a) => {
    const x = T(a[0]!, 'linalg_inv_ex');
    const [inv, info] = invEx(x, 'aten::linalg_inv_ex');
    if (boolArg(a[1]!, 'linalg_inv_ex', 'check_errors')) checkInfo(info.data as Int32Array, x.rank > 2, 'aten::linalg_inv_ex');
    return new TsTuple([inv, info]);
  }),
  aten('linalg_inv', '(Tensor A)', (a) => {
    const x = T(a[0]!, 'linalg_inv');
    const [inv, info] = invEx(x, 'aten::linalg_inv');
    checkInfo(info.data as Int32Array, x.rank > 2, 'aten::linalg_inv');
    return inv;
  }),
  aten('inverse', '(Tensor self)', (a) => {
    const x = T(a[0]!, 'inverse', 'self');
    const [inv, info] = invEx(x, 'aten::inverse');
    checkInfo(info.data as Int32Array, x.rank > 2, 'aten::inverse');
    return inv;
  }),
  aten('linalg_solve', '(Tensor A, Tensor B, *, bool left=True)', (a) =>
    linalgSolve(T(a[0]!, 'linalg_solve'), T(a[1]!, 'linalg_solve', 'B'), boolArg(a[2]!, 'linalg_solve', 'left'), 'aten::linalg_solve')),
  aten('linalg_svd', '(Tensor A, bool full_matrices=True, *, str? driver=None)', (a) =>
    new TsTuple(linalgSvd(T(a[0]!, 'linalg_svd'), boolArg(a[1]!, 'linalg_svd', 'full_matrices'), true, 'aten::linalg_svd'))),
  aten('linalg_svdvals', '(Tensor A, *, str? driver=None)', (a) => linalgSvd(T(a[0]!, 'linalg_svdvals'), false, false, 'aten::linalg_svdvals')[1]),
  aten('svd', '(Tensor self, bool some=True, bool compute_uv=True)', (a) =>
    legacySvd(T(a[0]!, 'svd', 'self'), boolArg(a[1]!, 'svd', 'some'), boolArg(a[2]!, 'svd', 'compute_uv'), 'aten::svd')),
  aten('linalg_qr', '(Tensor A, str mode="reduced")', (a) => linalgQr(T(a[0]!, 'linalg_qr'), strArg(a[1]!, 'linalg_qr', 'mode'), 'aten::linalg_qr')),
  aten('linalg_eigh', '(Tensor self, str UPLO="L")', (a) => linalgEigh(T(a[0]!, 'linalg_eigh', 'self'), strArg(a[1]!, 'linalg_eigh', 'UPLO'), 'aten::linalg_eigh')),
  aten('linalg_eigvalsh', '(Tensor self, str UPLO="L")', (a) =>
    linalgEigh(T(a[0]!, 'linalg_eigvalsh', 'self'), strArg(a[1]!, 'linalg_eigvalsh', 'UPLO'), 'aten::linalg_eigvalsh').items[0]!),
  aten('einsum', '(str equation, Tensor[] tensors, *, int[]? path=None)', (a) =>
    einsum(strArg(a[0]!, 'einsum', 'equation'), tensorList(a[1]!, 'einsum'), 'aten::einsum')),
  aten('cross', '(Tensor self, Tensor other, int? dim=None)', (a) =>
    cross(T(a[0]!, 'cross', 'self'), T(a[1]!, 'cross', 'other'), optInt(a[2]!, 'cross', 'dim'), 'aten::cross')),
  aten('linalg_cross', '(Tensor self, Tensor other, *, int dim=-1)', (a) =>
    cross(T(a[0]!, 'linalg_cross', 'self'), T(a[1]!, 'linalg_cross', 'other'), intArg(a[2]!, 'linalg_cross', 'dim'), 'aten::linalg_cross')),
];
